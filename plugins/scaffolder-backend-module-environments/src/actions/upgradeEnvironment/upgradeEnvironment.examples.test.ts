import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import path from 'node:path';
import { parse } from 'yaml';
import { loadTestKits } from '../../__testUtils__/kits';
import { PACKAGE_DIR } from '../../__testUtils__/paths';
import { canonicalValues } from '../../__testUtils__/values';
import { createKitReleases } from '../../upgrade';
import {
  createUpgradeEnvironmentAction,
  UPGRADE_ENVIRONMENT_ACTION_ID,
} from './upgradeEnvironment';
import { examples } from './upgradeEnvironment.examples';
import { mkdir } from 'node:fs/promises';
import { runOrFail } from '../../__testUtils__/processes';
import { KitReleases } from '../../upgrade';
import { writeFiles } from '../../workspace/writeFiles';

/** An environment repository rendered by the current kits, committed on main with the git CLI. */
async function makeEnvironmentRepository(
  releases: KitReleases,
  dir: string,
  values: Record<string, unknown>,
) {
  const git = (args: string[]) =>
    runOrFail(
      'git',
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args],
      { cwd: dir },
    );
  await mkdir(dir, { recursive: true });
  await writeFiles(
    dir,
    dir,
    releases.current.render(
      values as never,
      'template:default/development-environment',
    ),
  );
  await git(['init', '--quiet', '--initial-branch=main']);
  await git(['add', '-A']);
  await git(['commit', '--quiet', '-m', 'Create']);
}

describe('unifiCloudflare:environment:upgrade examples', () => {
  const root = createMockDirectory();
  beforeEach(() => root.clear());

  it.each(examples.map(e => [e.description, e] as const))(
    '%s',
    async (_, example) => {
      const releases = createKitReleases({
        kits: await loadTestKits(),
        kitVersion: '9.9.9',
        releasesRoot: path.join(PACKAGE_DIR, 'kits-releases'),
      });
      const steps = parse(example.example).steps;
      const step = steps.find(
        (s: any) => s.action === UPGRADE_ENVIRONMENT_ACTION_ID,
      );
      const repos = root.resolve('repos');
      const workspace = root.resolve('workspace');
      // What catalog:fetch (and fetch:plain) hand the step, as the scaffolder would.
      const viaGithub = steps.some(
        (s: any) => s.action === 'publish:github:pull-request',
      );
      const entity = viaGithub
        ? {
            metadata: {
              name: 'homelab-dns-dev',
              annotations: {
                'backstage.io/source-location':
                  'url:https://github.com/acme/homelab-dns-dev/',
              },
            },
          }
        : {
            metadata: {
              name: 'homelab-dns-dev',
              annotations: {
                'backstage.io/managed-by-location': `file:${path.join(repos, 'homelab-dns-dev', 'catalog-info.yaml')}`,
              },
            },
          };
      const values = viaGithub
        ? canonicalValues.development
        : { ...canonicalValues.development, publishTarget: 'local' };
      await makeEnvironmentRepository(
        releases,
        viaGithub
          ? path.join(workspace, 'repository')
          : path.join(repos, 'homelab-dns-dev'),
        values,
      );
      const input = { ...step.input, entity };
      const action = createUpgradeEnvironmentAction({
        releases,
        config: mockServices.rootConfig({
          data: {
            unifiCloudflare: {
              localPublisher: { enabled: true, directory: repos },
            },
          },
        }),
      });
      const ctx = createMockActionContext({ input, workspacePath: workspace });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('conflicts', []);
      expect(ctx.output).toHaveBeenCalledWith(
        'target',
        viaGithub ? 'github' : 'local',
      );
    },
  );
});
