import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createPublishLocalAction } from './publishLocal';
import { examples } from './publishLocal.examples';
import { runOrFail } from '../../__testUtils__/processes';

/** Runs git (or another tool) and fails the test unless it exits 0. */
const run = (command: string, args: string[]) =>
  runOrFail(command, command, args, { cwd: os.tmpdir() });

describe('unifiCloudflare:repository:publishLocal examples', () => {
  const root = createMockDirectory();
  beforeEach(() => root.clear());

  it.each(examples.map(e => [e.description, e] as const))(
    '%s',
    async (_, example) => {
      const step = parse(example.example).steps[0];
      const repos = root.resolve('repos');
      const config = mockServices.rootConfig({
        data: {
          unifiCloudflare: {
            localPublisher: { enabled: true, directory: repos },
          },
        },
      });
      const action = createPublishLocalAction({ config });
      // The template expressions an example uses, resolved as the scaffolder would.
      const input = JSON.parse(
        JSON.stringify(step.input).replace(
          '${{ parameters.name }}',
          'homelab-dns-dev',
        ),
      );
      root.addContent({
        workspace: {
          'README.md': '# env\n',
          environment: { 'main.k': 'x = 1\n' },
        },
      });
      const ctx = createMockActionContext({
        input,
        workspacePath: root.resolve('workspace'),
        user: { ref: 'user:default/guest' },
      });
      await action.handler(ctx);
      const { stdout } = await run('git', [
        '-C',
        path.join(repos, input.name),
        'log',
        '--format=%an|%s',
        'main',
      ]);
      expect(stdout.trim()).toBe(
        `user:default/guest|${input.gitCommitMessage ?? 'Initial commit'}`,
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'localPath',
        path.join(repos, input.name),
      );
    },
  );
});
