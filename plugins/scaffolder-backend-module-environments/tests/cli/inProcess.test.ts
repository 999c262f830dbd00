import {
  createMockDirectory,
  mockCredentials,
} from '@backstage/backend-test-utils';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { main } from '../../src/cli/scaffold';
import { kitManifest } from '../../src/kits/manifest';
import { loadKitsOnce } from '../../src/kits/render';
import { renderRepository } from '../../src/kits/repository';
import {
  DryRunFile,
  formValues,
  loadTemplate,
  REPO_ROOT,
  startScaffolderBackend,
} from '../../src/__testUtils__/backend';
import { buildMatrix } from '../../src/__testUtils__/verification/matrix';

jest.setTimeout(300_000);

/**
 * The CLI renders in-process (no backend) through the functions the actions call. These tests
 * hold it to the real thing: for every render of the verification matrix, the in-process render
 * and the scaffolder's /v2/dry-run give the same paths and the same bytes, and the CLI's modes
 * are the kit's (the dry-run API reports `executable`, which must agree where it is given).
 */
describe('npm run scaffold renders in-process what /v2/dry-run renders', () => {
  let backend: Awaited<ReturnType<typeof startScaffolderBackend>>;
  beforeAll(async () => {
    backend = await startScaffolderBackend();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  const matrix = buildMatrix();

  it('covers every environment of the matrix', () => {
    expect(new Set(matrix.map(c => c.environment))).toEqual(
      new Set(['development', 'staging', 'production']),
    );
    expect(matrix.length).toBeGreaterThanOrEqual(20);
  });

  it.each(matrix.map(c => [c.id, c] as const))(
    '%s: same paths, bytes and modes',
    async (_id, matrixCase) => {
      const template = await loadTemplate(matrixCase.environment);
      const values = formValues(matrixCase.input as Record<string, unknown>);

      const { status, body } = await backend.dryRun(template, values);
      expect({ status, error: status === 200 ? undefined : body }).toEqual({
        status: 200,
        error: undefined,
      });
      const api = new Map(
        (body.directoryContents as DryRunFile[]).map(f => [f.path, f]),
      );

      const local = await renderRepository(
        template,
        values,
        await loadKitsOnce(),
      );
      const inProcess = new Map(local.files.map(f => [f.path, f]));

      expect([...inProcess.keys()].sort()).toEqual([...api.keys()].sort());
      for (const [file, rendered] of inProcess) {
        const fromApi = Buffer.from(api.get(file)!.base64Content, 'base64');
        // Compare as text first for a readable diff, then as bytes.
        expect({ file, text: rendered.content.toString('utf8') }).toEqual({
          file,
          text: fromApi.toString('utf8'),
        });
        expect(rendered.content.equals(fromApi)).toBe(true);
        const kitMode = kitManifest[matrixCase.environment].find(
          f => f.path === file,
        )?.mode;
        expect({ file, mode: rendered.mode }).toEqual({ file, mode: kitMode });
        // The API may leave `executable` out (SPEC 8); where it gives it, it must agree.
        const reported = api.get(file)!.executable;
        expect({
          file,
          executable:
            reported === undefined
              ? 'not reported'
              : (rendered.mode & 0o111) !== 0,
        }).toEqual({ file, executable: reported ?? 'not reported' });
      }
    },
  );

  describe('the command itself', () => {
    const dir = createMockDirectory();
    const previous = process.env.BACKSTAGE_TOKEN;
    beforeEach(() => {
      dir.clear();
      jest.spyOn(console, 'error').mockImplementation(() => {});
      jest.spyOn(console, 'log').mockImplementation(() => {});
    });
    afterEach(() => {
      jest.restoreAllMocks();
      if (previous === undefined) delete process.env.BACKSTAGE_TOKEN;
      else process.env.BACKSTAGE_TOKEN = previous;
    });

    /** Every file under `root` with its bytes and permission bits. */
    async function tree(
      root: string,
      sub = '',
    ): Promise<Record<string, { text: string; mode: string }>> {
      const out: Record<string, { text: string; mode: string }> = {};
      for (const entry of await readdir(path.join(root, sub), {
        withFileTypes: true,
      })) {
        const rel = sub ? `${sub}/${entry.name}` : entry.name;
        if (entry.isDirectory()) Object.assign(out, await tree(root, rel));
        else {
          out[rel] = {
            text: await readFile(path.join(root, rel), 'utf8'),
            mode: ((await stat(path.join(root, rel))).mode & 0o777).toString(8),
          };
        }
      }
      return out;
    }

    it.each(['development', 'staging', 'production'] as const)(
      'writes the same %s tree (paths, bytes, modes) in-process and with --url, and each checks clean against the other',
      async env => {
        const cases = matrix.filter(c => c.environment === env);
        const values = path.join(dir.path, 'values.yaml');
        await writeFile(
          values,
          stringify(
            formValues(
              cases[cases.length - 1].input as Record<string, unknown>,
            ),
          ),
        );
        const local = path.join(dir.path, 'local');
        const remote = path.join(dir.path, 'remote');
        await expect(
          main([env, '--values', values, '--out', local]),
        ).resolves.toBe(0);
        process.env.BACKSTAGE_TOKEN = mockCredentials.user.token();
        await expect(
          main([
            env,
            '--values',
            values,
            '--out',
            remote,
            '--url',
            backend.baseUrl,
          ]),
        ).resolves.toBe(0);
        const localTree = await tree(local);
        expect(Object.keys(localTree).sort()).toEqual(
          kitManifest[env].map(f => f.path).sort(),
        );
        expect(localTree).toEqual(await tree(remote));
        expect(Object.values(localTree).some(f => f.mode === '755')).toBe(
          env === 'development',
        );
        await expect(
          main([
            '--answers',
            path.join(remote, '.environment-answers.yaml'),
            '--check',
            local,
          ]),
        ).resolves.toBe(0);
        await expect(
          main([
            '--answers',
            path.join(local, '.environment-answers.yaml'),
            '--check',
            remote,
            '--url',
            backend.baseUrl,
          ]),
        ).resolves.toBe(0);
      },
    );

    it('fails like the dry-run when a value is rejected, naming the field', async () => {
      const values = path.join(dir.path, 'bad.yaml');
      const example = parse(
        await readFile(
          path.join(
            REPO_ROOT,
            'templates',
            'staging-environment',
            'example-values.yaml',
          ),
          'utf8',
        ),
      );
      await writeFile(
        values,
        stringify({ ...example, zoneName: 'Example.COM' }),
      );
      const errors = () =>
        (console.error as jest.Mock).mock.calls
          .map(c => String(c[0]))
          .join('\n');
      await expect(
        main([
          'staging',
          '--values',
          values,
          '--out',
          path.join(dir.path, 'a'),
        ]),
      ).resolves.toBe(1);
      const inProcess = errors();
      (console.error as jest.Mock).mockClear();
      process.env.BACKSTAGE_TOKEN = mockCredentials.user.token();
      await expect(
        main([
          'staging',
          '--values',
          values,
          '--out',
          path.join(dir.path, 'b'),
          '--url',
          backend.baseUrl,
        ]),
      ).resolves.toBe(1);
      expect(inProcess).toMatch(/zoneName/);
      expect(errors()).toMatch(/zoneName/);
      await expect(readdir(path.join(dir.path, 'a'))).rejects.toThrow(/ENOENT/);
    });

    it('sends BACKSTAGE_TOKEN to --url, and checks a locally published repository there', async () => {
      const repositories = path.join(dir.path, 'repositories');
      const local = await startScaffolderBackend({
        config: {
          unifiCloudflare: {
            localPublisher: { enabled: true, directory: repositories },
          },
        },
      });
      try {
        const { repoUrl: _repoUrl, ...example } = parse(
          await readFile(
            path.join(
              REPO_ROOT,
              'templates',
              'development-environment',
              'example-values.yaml',
            ),
            'utf8',
          ),
        );
        const values = path.join(dir.path, 'local.yaml');
        await writeFile(
          values,
          stringify({ ...example, publishTarget: 'local' }),
        );
        const out = path.join(dir.path, 'out');
        process.env.BACKSTAGE_TOKEN = 'not-a-backstage-token';
        await expect(
          main([
            'development',
            '--values',
            values,
            '--out',
            out,
            '--url',
            local.baseUrl,
          ]),
        ).resolves.toBe(1);
        expect(
          (console.error as jest.Mock).mock.calls
            .map(c => String(c[0]))
            .join('\n'),
        ).toMatch(/HTTP 401/);
        process.env.BACKSTAGE_TOKEN = mockCredentials.user.token();
        await expect(
          main([
            'development',
            '--values',
            values,
            '--out',
            out,
            '--url',
            local.baseUrl,
          ]),
        ).resolves.toBe(0);
        // The repository exists on the backend (as publishLocal leaves it): --check still renders and compares.
        await mkdir(path.join(repositories, 'homelab-dns-dev'), {
          recursive: true,
        });
        await expect(
          main([
            '--answers',
            path.join(out, '.environment-answers.yaml'),
            '--check',
            out,
            '--url',
            local.baseUrl,
          ]),
        ).resolves.toBe(0);
      } finally {
        await local.stop();
      }
    });
  });
});
