import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { loadTestKits } from '../../__testUtils__/kits';
import { PACKAGE_DIR } from '../../__testUtils__/paths';
import { runOrFail } from '../../__testUtils__/processes';
import { canonicalValues } from '../../__testUtils__/values';
import { createKitReleases, KitReleases } from '../../upgrade';
import { writeFiles } from '../../workspace/writeFiles';
import { createUpgradeEnvironmentAction } from './upgradeEnvironment';

const git = (cwd: string, args: string[]) =>
  runOrFail(
    'git',
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args],
    { cwd },
  ).then(r => r.output.trim());

/** Makes `dir` an environment repository rendered by the current kits, committed on main. */
async function makeEnvironmentRepository(
  releases: KitReleases,
  dir: string,
  values: Record<string, unknown>,
) {
  await mkdir(dir, { recursive: true });
  await writeFiles(
    dir,
    dir,
    releases.current.render(
      values as never,
      'template:default/development-environment',
    ),
  );
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '--quiet', '-m', 'Create']);
}

describe('unifiCloudflare:environment:upgrade', () => {
  const root = createMockDirectory();
  let releases: KitReleases;
  beforeAll(async () => {
    releases = createKitReleases({
      kits: await loadTestKits(),
      kitVersion: '9.9.9',
      releasesRoot: path.join(PACKAGE_DIR, 'kits-releases'),
    });
  });
  beforeEach(() => root.clear());

  const repos = () => root.resolve('repos');
  const action = (enabled = true) =>
    createUpgradeEnvironmentAction({
      releases,
      config: mockServices.rootConfig({
        data: {
          unifiCloudflare: { localPublisher: { enabled, directory: repos() } },
        },
      }),
    });
  const localEntity = (name: string) => ({
    metadata: {
      name,
      annotations: {
        'backstage.io/managed-by-location': `file:${path.join(repos(), name, 'catalog-info.yaml')}`,
      },
    },
  });
  const local = {
    ...canonicalValues.development,
    name: 'lab',
    publishTarget: 'local',
  };

  it('commits the upgrade of a local repository to a new branch and leaves main alone', async () => {
    const dir = path.join(repos(), 'lab');
    await makeEnvironmentRepository(releases, dir, local);
    const main = await git(dir, ['rev-parse', 'main']);
    const ctx = createMockActionContext({
      input: { entity: localEntity('lab'), glueVersion: 'v0.13.0' },
      workspacePath: root.resolve('workspace'),
    });
    await action().handler(ctx);
    expect(await git(dir, ['rev-parse', 'main'])).toBe(main);
    expect(await git(dir, ['rev-parse', 'upgrade/kit-9.9.9^'])).toBe(main);
    expect(
      parse(
        await git(dir, ['show', 'upgrade/kit-9.9.9:.environment-answers.yaml']),
      ).values.glueVersion,
    ).toBe('v0.13.0');
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect(ctx.output).toHaveBeenCalledWith('target', 'local');
    expect(ctx.output).toHaveBeenCalledWith(
      'changed',
      expect.arrayContaining(['kcl/kcl.mod', 'README.md']),
    );
    expect(ctx.output).toHaveBeenCalledWith('conflicts', []);
    expect(ctx.output).toHaveBeenCalledWith(
      'commitHash',
      await git(dir, ['rev-parse', 'upgrade/kit-9.9.9']),
    );
  });

  it('in a dry-run, reports the upgrade of a local repository without making a branch', async () => {
    const dir = path.join(repos(), 'lab');
    await makeEnvironmentRepository(releases, dir, local);
    // createMockActionContext keeps only some options; isDryRun is set on what it returns.
    const ctx = {
      ...createMockActionContext({
        input: { entity: localEntity('lab'), glueVersion: 'v0.13.0' },
        workspacePath: root.resolve('workspace'),
      }),
      isDryRun: true,
    };
    await action().handler(ctx);
    expect(await git(dir, ['branch', '--list'])).toBe('* main');
    expect(ctx.output).toHaveBeenCalledWith(
      'body',
      expect.stringContaining('### What changed'),
    );
  });

  it('merges a GitHub repository fetched into the workspace, for the pull request step', async () => {
    const workspace = root.resolve('workspace');
    const values = {
      ...canonicalValues.development,
      repoUrl: 'ghe.example.com?owner=acme&repo=lab',
    };
    await makeEnvironmentRepository(
      releases,
      path.join(workspace, 'repository'),
      values,
    );
    const entity = {
      metadata: {
        name: 'lab',
        annotations: {
          'backstage.io/source-location':
            'url:https://ghe.example.com/acme/lab/',
        },
      },
    };
    const ctx = createMockActionContext({
      input: {
        entity,
        addServices: [
          { name: 'photos', port: 2283, publicHostname: 'photos.example.com' },
        ],
      },
      workspacePath: workspace,
    });
    await action(false).handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith(
      'repoUrl',
      'ghe.example.com?owner=acme&repo=lab',
    );
    expect(ctx.output).toHaveBeenCalledWith('filesToDelete', []);
    expect(
      await readFile(path.join(workspace, 'repository', 'kcl/main.k'), 'utf8'),
    ).toContain('photos');
  });

  it('refuses a sourcePath outside the workspace, main as branch, and an entity without a repository', async () => {
    const entity = {
      metadata: {
        name: 'lab',
        annotations: {
          'backstage.io/source-location':
            'url:https://ghe.example.com/acme/lab/',
        },
      },
    };
    const workspacePath = root.resolve('workspace');
    await expect(
      action().handler(
        createMockActionContext({
          input: { entity, sourcePath: '../outside' },
          workspacePath,
        }),
      ),
    ).rejects.toThrow(/outside|not allowed/i);
    await expect(
      action().handler(
        createMockActionContext({
          input: { entity, branchName: 'main' },
          workspacePath,
        }),
      ),
    ).rejects.toThrow('branchName must not be main');
    await expect(
      action().handler(
        createMockActionContext({
          input: { entity: { metadata: { name: 'lab' } } },
          workspacePath,
        }),
      ),
    ).rejects.toThrow('names no repository');
    const elsewhere = {
      metadata: {
        name: 'lab',
        annotations: {
          'backstage.io/managed-by-location': 'file:/etc/lab/catalog-info.yaml',
        },
      },
    };
    await expect(
      action().handler(
        createMockActionContext({
          input: { entity: elsewhere },
          workspacePath,
        }),
      ),
    ).rejects.toThrow('not a repository directly inside');
    await expect(
      action(false).handler(
        createMockActionContext({
          input: { entity: localEntity('lab') },
          workspacePath,
        }),
      ),
    ).rejects.toThrow('is disabled');
  });

  it('adds services to the device each names, and refuses one that names none when there are several, as an InputError', async () => {
    const dir = path.join(repos(), 'lab');
    const devices = local.devices as object[];
    const nas = {
      hostname: 'nas',
      macAddresses: ['00:11:32:aa:bb:cc'],
      services: [{ name: 'dsm', port: 5001, distribution: 'unifi_only' }],
    };
    await makeEnvironmentRepository(releases, dir, {
      ...local,
      devices: [...devices, nas],
    });
    const photos = {
      name: 'photos',
      port: 2283,
      publicHostname: 'photos.example.com',
    };
    const refused = createMockActionContext({
      input: { entity: localEntity('lab'), addServices: [photos] },
      workspacePath: root.resolve('workspace'),
    });
    await expect(action().handler(refused)).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringContaining(
        'addServices[0].device is required: this environment has 2 devices (media-server, nas), so an added service names the hostname of the device that runs it, for example device: media-server',
      ),
    });
    expect(await git(dir, ['branch', '--list'])).toBe('* main');

    const ctx = createMockActionContext({
      input: {
        entity: localEntity('lab'),
        addServices: [{ ...photos, device: 'nas' }],
        addDevices: [
          {
            hostname: 'printer',
            macAddresses: ['aa:bb:cc:00:00:02'],
            services: [{ name: 'cups', port: 631, distribution: 'unifi_only' }],
          },
        ],
      },
      workspacePath: root.resolve('workspace'),
    });
    await action().handler(ctx);
    const answers = parse(
      await git(dir, ['show', 'upgrade/kit-9.9.9:.environment-answers.yaml']),
    );
    expect(
      answers.values.devices.map((d: any) => [
        d.hostname,
        d.services.map((s: any) => s.name),
      ]),
    ).toEqual([
      ['media-server', ['jellyfin', 'grafana', 'status']],
      ['nas', ['dsm', 'photos']],
      ['printer', ['cups']],
    ]);
    expect(ctx.output).toHaveBeenCalledWith(
      'body',
      expect.stringContaining(
        '- addServices: service photos added to device nas',
      ),
    );
  });

  it('says which answer the kit refuses, as an InputError', async () => {
    const dir = path.join(repos(), 'lab');
    await makeEnvironmentRepository(releases, dir, local);
    const ctx = createMockActionContext({
      input: { entity: localEntity('lab'), glueVersion: 'latest' },
      workspacePath: root.resolve('workspace'),
    });
    await expect(action().handler(ctx)).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringContaining('glueVersion'),
    });
  });
});
