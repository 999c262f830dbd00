import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import fs from 'node:fs';
import {
  mkdir,
  readdir,
  readFile,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import git from 'isomorphic-git';
import { commitAuthor, createPublishLocalAction } from './publishLocal';
import { runOrFail } from '../../__testUtils__/processes';

/** Runs git (or another tool) and fails the test unless it exits 0. */
const run = (command: string, args: string[]) =>
  runOrFail(command, command, args, { cwd: os.tmpdir() });

describe('unifiCloudflare:repository:publishLocal', () => {
  const root = createMockDirectory();
  let workspace: string;
  let repos: string;

  beforeEach(async () => {
    root.clear();
    workspace = root.resolve('workspace');
    repos = root.resolve('repos');
    root.addContent({
      workspace: {
        'README.md': '# homelab-dns-dev\n',
        'catalog-info.yaml': 'kind: Resource\n',
        kcl: { 'main.k': 'unifi_output = {}\n' },
      },
    });
    await writeFile(
      path.join(workspace, 'deploy.sh'),
      '#!/usr/bin/env bash\necho deploy\n',
      { mode: 0o755 },
    );
  });

  function action(localPublisher?: JsonObject) {
    const config = mockServices.rootConfig({
      data: localPublisher ? { unifiCloudflare: { localPublisher } } : {},
    });
    return createPublishLocalAction({ config });
  }
  const enabled = () => action({ enabled: true, directory: repos });

  function context(
    input: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) {
    return {
      ...createMockActionContext({
        input: input as any,
        workspacePath: workspace,
        user: {
          ref: 'user:default/guest',
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'User',
            metadata: { name: 'guest' },
            spec: {
              profile: {
                displayName: 'Grace Guest',
                email: 'grace@example.com',
              },
            },
          },
        },
      }),
      ...extra,
    };
  }

  async function listRepos(): Promise<string[]> {
    try {
      return await readdir(repos);
    } catch {
      return [];
    }
  }

  it('creates a git repository with one commit on main holding the workspace, authored by the user', async () => {
    const ctx = context({ name: 'homelab-dns-dev' });
    await enabled().handler(ctx);
    const dir = path.join(repos, 'homelab-dns-dev');

    // The real git tool reads it: branch, author, files and the executable bit.
    const { stdout: branch } = await run('git', [
      '-C',
      dir,
      'symbolic-ref',
      '--short',
      'HEAD',
    ]);
    expect(branch.trim()).toBe('main');
    const { stdout: log } = await run('git', [
      '-C',
      dir,
      'log',
      '--format=%an <%ae>|%s',
      'main',
    ]);
    expect(log.trim()).toBe('Grace Guest <grace@example.com>|Initial commit');
    const { stdout: tree } = await run('git', [
      '-C',
      dir,
      'ls-tree',
      '-r',
      'main',
    ]);
    const modes = Object.fromEntries(
      tree
        .trim()
        .split('\n')
        .map(line => [line.split('\t')[1], line.split(' ')[0]]),
    );
    expect(modes).toEqual({
      'README.md': '100644',
      'catalog-info.yaml': '100644',
      'deploy.sh': '100755',
      'kcl/main.k': '100644',
    });
    const { stdout: status } = await run('git', [
      '-C',
      dir,
      'status',
      '--porcelain',
    ]);
    expect(status).toBe('');

    const [commit] = await git.log({ fs, dir, ref: 'main' });
    expect(ctx.output).toHaveBeenCalledWith('commitHash', commit.oid);
    expect(ctx.output).toHaveBeenCalledWith('localPath', dir);
    expect(ctx.output).toHaveBeenCalledWith(
      'remoteUrl',
      pathToFileURL(dir).href,
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'repoContentsUrl',
      pathToFileURL(dir).href,
    );
    expect(ctx.output).toHaveBeenCalledWith('defaultBranch', 'main');
    expect(await readFile(path.join(dir, 'kcl/main.k'), 'utf8')).toBe(
      'unifi_output = {}\n',
    );

    // git clone accepts the remote URL.
    const clone = root.resolve('clone');
    await run('git', ['clone', '--quiet', pathToFileURL(dir).href, clone]);
    expect((await stat(path.join(clone, 'deploy.sh'))).mode & 0o111).not.toBe(
      0,
    );
  });

  it('publishes only sourcePath when given, with the given commit message', async () => {
    root.addContent({ workspace: { environment: { 'main.k': 'x = 1\n' } } });
    await enabled().handler(
      context({
        name: 'only-env',
        sourcePath: 'environment',
        gitCommitMessage: 'Add only-env',
      }),
    );
    const dir = path.join(repos, 'only-env');
    const { stdout } = await run('git', [
      '-C',
      dir,
      'log',
      '--format=%s',
      '--name-only',
      'main',
    ]);
    expect(stdout.trim().split('\n').filter(Boolean)).toEqual([
      'Add only-env',
      'main.k',
    ]);
  });

  it('skips a .git directory in the workspace', async () => {
    root.addContent({
      workspace: { '.git': { HEAD: 'ref: refs/heads/other\n' } },
    });
    await enabled().handler(context({ name: 'no-nested-git' }));
    const { stdout } = await run('git', [
      '-C',
      path.join(repos, 'no-nested-git'),
      'symbolic-ref',
      '--short',
      'HEAD',
    ]);
    expect(stdout.trim()).toBe('main');
  });

  describe('the author', () => {
    it('is the profile display name and email of the user entity', () => {
      expect(
        commitAuthor({
          ref: 'user:default/ada',
          entity: {
            spec: {
              profile: { displayName: 'Ada L', email: 'ada@example.com' },
            },
          },
        }),
      ).toEqual({ name: 'Ada L', email: 'ada@example.com' });
    });
    it('is the user reference without an email when the entity has no profile', () => {
      expect(commitAuthor({ ref: 'user:development/guest' })).toEqual({
        name: 'user:development/guest',
        email: '',
      });
      expect(
        commitAuthor({
          ref: 'user:default/ada',
          entity: { metadata: { name: 'ada' }, spec: {} },
        }),
      ).toEqual({
        name: 'user:default/ada',
        email: '',
      });
    });
    it('is the scaffolder when no user ran the task', () => {
      expect(commitAuthor(undefined)).toEqual({
        name: 'Backstage scaffolder',
        email: 'scaffolder@localhost',
      });
    });
    it('cannot inject extra header lines or addresses', () => {
      expect(
        commitAuthor({
          entity: {
            spec: {
              profile: { displayName: 'Eve\nauthor: x <y>', email: 'e@x\n' },
            },
          },
        }),
      ).toEqual({
        name: 'Eveauthor: x y',
        email: 'e@x',
      });
    });
    it('reaches git log when the user has only a reference', async () => {
      const ctx = {
        ...context({ name: 'by-ref' }),
        user: { ref: 'user:development/guest' },
      };
      await enabled().handler(ctx);
      const { stdout } = await run('git', [
        '-C',
        path.join(repos, 'by-ref'),
        'log',
        '--format=%an|%ae',
        'main',
      ]);
      expect(stdout.trim()).toBe('user:development/guest|');
    });
  });

  describe('refuses, and writes nothing', () => {
    it('when the local publisher is not enabled', async () => {
      for (const settings of [
        undefined,
        { directory: repos },
        { enabled: false, directory: repos },
      ]) {
        await expect(
          action(settings).handler(context({ name: 'homelab-dns-dev' })),
        ).rejects.toThrow(
          /is disabled: it writes repositories to the Backstage backend's own disk.*unifiCloudflare\.localPublisher\.enabled: true/,
        );
      }
      expect(await listRepos()).toEqual([]);
    });

    it('when it is enabled without a directory', async () => {
      await expect(
        action({ enabled: true }).handler(context({ name: 'homelab-dns-dev' })),
      ).rejects.toThrow(/needs unifiCloudflare\.localPublisher\.directory/);
    });

    it.each([
      '',
      'Homelab',
      '-dns',
      'dns-',
      'a/b',
      '../escape',
      '..',
      '.',
      'a'.repeat(64),
      'a b',
      '$(id)',
      'x\ny',
    ])('a repository name outside the rules: %j', async name => {
      await expect(enabled().handler(context({ name }))).rejects.toThrow(
        /is not allowed: it must be 1-63 lower-case letters, digits and hyphens.*for example "homelab-dns-dev"/,
      );
      expect(await listRepos()).toEqual([]);
      expect(await readdir(root.path)).toEqual(
        expect.not.arrayContaining(['escape']),
      );
    });

    it('an existing target, leaving it untouched', async () => {
      await mkdir(path.join(repos, 'taken'), { recursive: true });
      await writeFile(path.join(repos, 'taken', 'keep.txt'), 'mine');
      await expect(
        enabled().handler(context({ name: 'taken' })),
      ).rejects.toThrow(
        /A local repository named taken already exists at .*; choose another name/,
      );
      expect(await readdir(path.join(repos, 'taken'))).toEqual(['keep.txt']);
    });

    it('a sourcePath outside the workspace', async () => {
      await expect(
        enabled().handler(context({ name: 'escape', sourcePath: '../repos' })),
      ).rejects.toThrow(/sourcePath must stay inside the workspace/);
      expect(await listRepos()).toEqual([]);
    });

    it('a symbolic link in the workspace', async () => {
      await symlink('/etc/passwd', path.join(workspace, 'passwd'));
      await expect(
        enabled().handler(context({ name: 'linked' })),
      ).rejects.toThrow(/Refusing to publish the symbolic link passwd/);
      expect(await listRepos()).toEqual([]);
    });
  });

  it('in dry-run writes nothing and says what it would do', async () => {
    const ctx = context({ name: 'dry-one' }, { isDryRun: true });
    const info = jest.spyOn(ctx.logger, 'info');
    await enabled().handler(ctx);
    expect(await listRepos()).toEqual([]);
    const dir = path.join(repos, 'dry-one');
    expect(ctx.output).toHaveBeenCalledWith('localPath', dir);
    expect(ctx.output).toHaveBeenCalledWith(
      'remoteUrl',
      pathToFileURL(dir).href,
    );
    expect(ctx.output).not.toHaveBeenCalledWith(
      'commitHash',
      expect.anything(),
    );
    expect(info).toHaveBeenCalledWith(
      expect.stringContaining(
        `Dry run: would create the git repository ${dir} with 4 files in one commit on main by Grace Guest <grace@example.com>`,
      ),
    );
  });

  it('in dry-run also refuses when disabled or when the target exists', async () => {
    await expect(
      action().handler(context({ name: 'dry-two' }, { isDryRun: true })),
    ).rejects.toThrow(/is disabled/);
    await mkdir(path.join(repos, 'dry-two'), { recursive: true });
    await expect(
      enabled().handler(context({ name: 'dry-two' }, { isDryRun: true })),
    ).rejects.toThrow(/already exists/);
  });

  it('runs the creation inside a checkpoint, so a recovered task does not create the repository twice', async () => {
    // First run: the checkpoint runs the creation and records its result.
    const recorded = new Map<string, unknown>();
    const checkpoint = async ({
      key,
      fn,
    }: {
      key: string;
      fn: () => Promise<unknown>;
    }) => {
      if (!recorded.has(key)) recorded.set(key, await fn());
      return recorded.get(key);
    };
    const first = context({ name: 'recovered' }, { checkpoint });
    await enabled().handler(first);
    expect([...recorded.keys()]).toEqual([
      'unifiCloudflare.publishLocal.v1.recovered',
    ]);
    const [commit] = await git.log({
      fs,
      dir: path.join(repos, 'recovered'),
      ref: 'main',
    });

    // The task is recovered and the step runs again: the repository exists, yet nothing fails
    // and nothing is created again; the outputs are those of the first run.
    const second = context({ name: 'recovered' }, { checkpoint });
    await enabled().handler(second);
    expect(second.output).toHaveBeenCalledWith('commitHash', commit.oid);
    expect(
      await git.log({ fs, dir: path.join(repos, 'recovered'), ref: 'main' }),
    ).toHaveLength(1);

    // Without the checkpoint the same second run would have been refused.
    await expect(
      enabled().handler(context({ name: 'recovered' })),
    ).rejects.toThrow(/already exists/);
  });

  it('removes a half-made repository when creating it fails', async () => {
    const failing = jest
      .spyOn(git, 'commit')
      .mockRejectedValueOnce(new Error('disk full'));
    await expect(
      enabled().handler(context({ name: 'half-made' })),
    ).rejects.toThrow('disk full');
    failing.mockRestore();
    expect(await listRepos()).toEqual([]);
    await enabled().handler(context({ name: 'half-made' }));
    expect(await listRepos()).toEqual(['half-made']);
  });
});
