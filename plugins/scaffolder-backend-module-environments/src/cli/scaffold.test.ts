import { createMockDirectory } from '@backstage/backend-test-utils';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kitManifest } from '../kits/manifest';
import { REPO_ROOT } from '../testing/backend';
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
    jest.spyOn(console, 'log').mockImplementation(line => void stdout.push(`${line}\n`));
    jest.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => jest.restoreAllMocks());

  const valuesFile = (env: string) => path.join(REPO_ROOT, 'templates', `${env}-environment`, 'example-values.yaml');

  it.each(['development', 'staging', 'production'] as const)(
    'writes the %s repository with executable scripts, then finds no drift from its answers file',
    async env => {
      const out = path.join(dir.path, env);
      await expect(main([env, '--values', valuesFile(env), '--out', out])).resolves.toBe(0);
      for (const file of kitManifest[env]) {
        expect({ file: file.path, mode: (await stat(path.join(out, file.path))).mode & 0o777 }).toEqual({
          file: file.path,
          mode: file.mode,
        });
      }
      await expect(main(['--answers', path.join(out, '.environment-answers.yaml'), '--check', out])).resolves.toBe(0);
      expect(stdout.join('')).toBe('');
    },
  );

  it('reports a changed byte and a missing file as drift with a diff', async () => {
    const out = path.join(dir.path, 'prod');
    await expect(main(['production', '--values', valuesFile('production'), '--out', out])).resolves.toBe(0);
    const makefile = path.join(out, 'Makefile');
    await writeFile(makefile, (await readFile(makefile, 'utf8')).replace('( umask 077 &&', '( umask 022 &&'));
    await writeFile(path.join(out, 'SECRETS.md'), '');
    await expect(main(['production', '--values', valuesFile('production'), '--check', out])).resolves.toBe(1);
    const diff = stdout.join('');
    expect(diff).toContain('--- expected/Makefile');
    expect(diff).toContain('-( umask 077 && vals eval');
    expect(diff).toContain('+( umask 022 && vals eval');
    expect(diff).toContain('--- expected/SECRETS.md');
  });

  it('refuses bad usage and a non-empty output directory with exit code 2', async () => {
    await expect(main([])).resolves.toBe(2);
    await expect(main(['qa', '--values', 'x.yaml', '--out', dir.path])).resolves.toBe(2);
    await expect(main(['staging', '--values', valuesFile('staging')])).resolves.toBe(2);
    dir.addContent({ 'keep.txt': 'mine' });
    await expect(main(['staging', '--values', valuesFile('staging'), '--out', dir.path])).resolves.toBe(2);
    expect(await readFile(path.join(dir.path, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('exits 1 with the step error when a value is rejected', async () => {
    const bad = path.join(dir.path, 'bad.yaml');
    await writeFile(bad, (await readFile(valuesFile('development'), 'utf8')).replace('zoneName: example.com', 'zoneName: Example.COM'));
    await expect(main(['development', '--values', bad, '--out', path.join(dir.path, 'out')])).resolves.toBe(1);
    const messages = (console.error as jest.Mock).mock.calls.map(c => String(c[0])).join('\n');
    expect(messages).toMatch(/zoneName/);
  });
});
