import { createMockDirectory } from '@backstage/backend-test-utils';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { kitManifest } from '../kits/manifest';
import { REPO_ROOT } from '../__testUtils__/paths';
import { main } from './scaffold';

jest.setTimeout(120_000);

describe('npm run scaffold', () => {
  const dir = createMockDirectory();
  let stdout: string[];
  beforeEach(() => {
    dir.clear();
    stdout = [];
    jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      stdout.push(String(chunk));
      return true;
    });
    jest
      .spyOn(console, 'log')
      .mockImplementation(line => void stdout.push(`${line}\n`));
    jest.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => jest.restoreAllMocks());

  const valuesFile = (env: string) =>
    path.join(
      REPO_ROOT,
      'templates',
      `${env}-environment`,
      'example-values.yaml',
    );

  it.each(['development', 'staging', 'production'] as const)(
    'writes the %s repository with executable scripts, then finds no drift from its answers file',
    async env => {
      const out = path.join(dir.path, env);
      await expect(
        main([env, '--values', valuesFile(env), '--out', out]),
      ).resolves.toBe(0);
      for (const file of kitManifest[env]) {
        expect({
          file: file.path,
          mode: (await stat(path.join(out, file.path))).mode & 0o777,
        }).toEqual({
          file: file.path,
          mode: file.mode,
        });
      }
      await expect(
        main([
          '--answers',
          path.join(out, '.environment-answers.yaml'),
          '--check',
          out,
        ]),
      ).resolves.toBe(0);
      expect(stdout.join('')).toBe('');
    },
  );

  it('reports a changed byte and a missing file as drift with a diff', async () => {
    const out = path.join(dir.path, 'prod');
    await expect(
      main(['production', '--values', valuesFile('production'), '--out', out]),
    ).resolves.toBe(0);
    const makefile = path.join(out, 'Makefile');
    await writeFile(
      makefile,
      (await readFile(makefile, 'utf8')).replace(
        '( umask 077 &&',
        '( umask 022 &&',
      ),
    );
    await writeFile(path.join(out, 'SECRETS.md'), '');
    await expect(
      main([
        'production',
        '--values',
        valuesFile('production'),
        '--check',
        out,
      ]),
    ).resolves.toBe(1);
    const diff = stdout.join('');
    expect(diff).toContain('--- expected/Makefile');
    expect(diff).toContain('-( umask 077 && vals eval');
    expect(diff).toContain('+( umask 022 && vals eval');
    expect(diff).toContain('--- expected/SECRETS.md');
  });

  it('refuses bad usage and a non-empty output directory with exit code 2', async () => {
    await expect(main([])).resolves.toBe(2);
    await expect(
      main(['qa', '--values', 'x.yaml', '--out', dir.path]),
    ).resolves.toBe(2);
    await expect(
      main(['staging', '--values', valuesFile('staging')]),
    ).resolves.toBe(2);
    dir.addContent({ 'keep.txt': 'mine' });
    await expect(
      main(['staging', '--values', valuesFile('staging'), '--out', dir.path]),
    ).resolves.toBe(2);
    expect(await readFile(path.join(dir.path, 'keep.txt'), 'utf8')).toBe(
      'mine',
    );
  });

  it('exits 1 with the step error when a value is rejected', async () => {
    const bad = path.join(dir.path, 'bad.yaml');
    await writeFile(
      bad,
      (await readFile(valuesFile('development'), 'utf8')).replace(
        'zoneName: example.com',
        'zoneName: Example.COM',
      ),
    );
    await expect(
      main([
        'development',
        '--values',
        bad,
        '--out',
        path.join(dir.path, 'out'),
      ]),
    ).resolves.toBe(1);
    const messages = (console.error as jest.Mock).mock.calls
      .map(c => String(c[0]))
      .join('\n');
    expect(messages).toMatch(/zoneName/);
  });

  describe('issue 18, finding 9', () => {
    const errors = () =>
      (console.error as jest.Mock).mock.calls.map(c => String(c[0])).join('\n');
    const previous = process.env.BACKSTAGE_TOKEN;
    afterEach(() => {
      if (previous === undefined) delete process.env.BACKSTAGE_TOKEN;
      else process.env.BACKSTAGE_TOKEN = previous;
    });

    /** The development example values, published to a local repository. */
    async function localValuesFile(): Promise<string> {
      const { repoUrl: _repoUrl, ...values } = parse(
        await readFile(valuesFile('development'), 'utf8'),
      );
      const file = path.join(dir.path, 'local.yaml');
      await writeFile(file, stringify({ ...values, publishTarget: 'local' }));
      return file;
    }

    it('refuses --token (npm echoes the command line) without printing it', async () => {
      const secret = `tok-${Date.now().toString(36)}-do-not-print`;
      const code = await main([
        'development',
        '--values',
        valuesFile('development'),
        '--out',
        path.join(dir.path, 'o'),
        '--url',
        'http://127.0.0.1:9',
        '--token',
        secret,
      ]);
      expect(code).toBe(2);
      expect(errors()).toMatch(/--token is not accepted.*BACKSTAGE_TOKEN/);
      expect(errors()).not.toContain(secret);
    });

    // Sending BACKSTAGE_TOKEN to --url needs a backend: tests/cli/inProcess.test.ts.

    it('checks a locally published repository in-process, where local publishing is off', async () => {
      const out = path.join(dir.path, 'local');
      await expect(
        main([
          'development',
          '--values',
          await localValuesFile(),
          '--out',
          out,
        ]),
      ).resolves.toBe(0);
      await expect(
        main([
          '--answers',
          path.join(out, '.environment-answers.yaml'),
          '--check',
          out,
        ]),
      ).resolves.toBe(0);
      expect(stdout.join('')).toBe('');
    });
  });
});

describe('npm run scaffold without a backend', () => {
  const dir = createMockDirectory();
  beforeEach(() => {
    dir.clear();
    jest.spyOn(console, 'error').mockImplementation(() => {});
    jest.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => jest.restoreAllMocks());

  it('renders and checks in-process: nothing listens on a port meanwhile', async () => {
    const net = require('node:net') as typeof import('node:net');
    const listen = jest.spyOn(net.Server.prototype, 'listen');
    const out = path.join(dir.path, 'prod');
    const values = path.join(
      REPO_ROOT,
      'templates',
      'production-environment',
      'example-values.yaml',
    );
    const withItems = path.join(dir.path, 'values.yaml');
    await writeFile(
      withItems,
      `${await readFile(values, 'utf8')}\ncloudflareItem: cloudflare\nunifiItem: unifi\nstateItem: terraform-state\n`,
    );
    await expect(
      main(['production', '--values', withItems, '--out', out]),
    ).resolves.toBe(0);
    await expect(
      main([
        '--answers',
        path.join(out, '.environment-answers.yaml'),
        '--check',
        out,
      ]),
    ).resolves.toBe(0);
    expect(listen).not.toHaveBeenCalled();
    const messages = (console.error as jest.Mock).mock.calls
      .map(c => String(c[0]))
      .join('\n');
    expect(messages).toContain(
      'Validate the secrets layout (unifiCloudflare:secretsLayout:validate): completed',
    );
    expect(messages).not.toMatch(/Starting an in-process Backstage backend/);
  });

  it('dispatches check and upgrade to the fleet commands', async () => {
    const write = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation(() => true);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    // With no repository named, both refuse with a usage error of their own, not the render usage.
    await expect(main(['check'])).resolves.toBe(2);
    await expect(main(['upgrade'])).resolves.toBe(2);
    expect(
      (console.error as jest.Mock).mock.calls.map(c => String(c[0])).join('\n'),
    ).not.toContain('give an environment and --values');
    expect(write).toHaveBeenCalled();
  });
});
