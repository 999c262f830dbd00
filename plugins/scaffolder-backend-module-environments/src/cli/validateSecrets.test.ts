import { createMockDirectory } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderProductionFiles } from '../__testUtils__/secretsLayout';
import { main } from './validateSecrets';

const run = promisify(execFile);
const MODULE_ROOT = path.resolve(__dirname, '../..');

/** Runs the command as a user would, in a child process; resolves with its exit code and output. */
async function cli(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--require',
        '@backstage/cli/config/nodeTransform.cjs',
        'src/cli/validateSecrets.ts',
        ...args,
      ],
      { cwd: MODULE_ROOT, env: { ...process.env, NODE_ENV: 'test' } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs main() in this process, capturing what it prints. */
async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: t => out.push(t),
    err: t => err.push(t),
  });
  return { code, out, err: err.join('\n') };
}

describe('validateSecrets command', () => {
  const good = createMockDirectory();
  const bad = createMockDirectory();
  beforeAll(async () => {
    good.setContent(await renderProductionFiles());
    const files = await renderProductionFiles();
    files['secrets.vals.yaml'] = files['secrets.vals.yaml'].replace(
      'ref+op://Infrastructure/cloudflare/credential',
      'ref+file://cf-token',
    );
    files['.gitignore'] = `${files['.gitignore']}*secret*\n`;
    bad.setContent(files);
  });

  it('exits 0 on the rendered kit, reading the vault and items from .environment-answers.yaml (child process)', async () => {
    const result = await cli(good.path);
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: expect.stringContaining(
        'no violations (8 references, vault Infrastructure, provider op)',
      ),
    });
  }, 60_000);

  it('prints every violation as file:line [rule] message — fix and exits 1 (child process)', async () => {
    const result = await cli(bad.path);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^\.gitignore:22 \[gitignore\] the pattern "\*s…" ignores SECRETS\.md under case-insensitive matching .* — make the pattern narrower/,
      ),
      expect.stringMatching(
        /^\.gitignore:22 \[gitignore\] the pattern "\*s…" ignores secrets\.vals\.yaml, which must be committed — /,
      ),
      expect.stringMatching(
        /^SECRETS\.md:19 \[secretsDoc\] the table documents cloudflare \/ credential, .* — /,
      ),
      expect.stringMatching(
        /^SECRETS\.md:66 \[secretsDoc\] the References list has "ref\+op:\/\/Infrastructure\/cloudflare\/credential", .* — /,
      ),
      expect.stringMatching(
        /^secrets\.vals\.yaml:4 \[forbiddenProviders\] "ref\+file:\/\/…" uses the vals provider ref\+file, .* — keep every secret in 1Password/,
      ),
    ]);
    expect(result.stderr).toContain('5 violation(s)');
  }, 60_000);

  it('exits 2 on usage errors (child process)', async () => {
    expect((await cli()).code).toBe(2);
    expect(await cli(good.path, '--provider', 'vault')).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining(
        '--provider must be one of op, onepasswordconnect; got "vault"',
      ),
    });
    expect((await cli(good.path, '--bogus')).code).toBe(2);
  }, 60_000);

  it('lets options override the answers file', async () => {
    const result = await inProcess(good.path, '--vault', 'Production');
    expect(result.code).toBe(1);
    expect(result.out).toHaveLength(8);
    expect(result.out[0]).toMatch(
      /^backend\.yaml\.tmpl:7 \[layout\] bucket refers to vault "Infr…" instead of the configured "Production"/,
    );
    expect((await inProcess(good.path, '--cloudflare-item', 'cf')).out).toEqual(
      [
        expect.stringMatching(
          /^secrets\.vals\.yaml:4 \[layout\] CF_TOKEN refers to item "clo…" instead of "cf"/,
        ),
      ],
    );
  });

  it('needs --vault when the directory has no answers file, and checks option values', async () => {
    const dir = createMockDirectory();
    dir.setContent({ 'README.md': 'x' });
    expect(await inProcess(dir.path)).toEqual({
      code: 2,
      out: [],
      err: expect.stringContaining('give --vault'),
    });
    expect((await inProcess(dir.path, '--vault', 'My Vault')).err).toContain(
      '--vault must be a 1Password vault name usable as a URI host',
    );
    expect(
      (await inProcess(dir.path, '--vault', 'V', '--state-item', 'a b')).err,
    ).toContain('--state-item must be a 1Password item name');
    expect(
      (await inProcess(path.join(dir.path, 'README.md'), '--vault', 'V')).err,
    ).toContain('is not a directory');
    expect((await inProcess(dir.path, dir.path, '--vault', 'V')).err).toContain(
      'give exactly one directory',
    );
    expect(await inProcess('--help')).toEqual({
      code: 0,
      out: [expect.stringMatching(/^Usage: validateSecrets <dir>/)],
      err: '',
    });
  });

  it('reads onepasswordconnect and custom items from the answers file', async () => {
    const dir = createMockDirectory();
    dir.setContent(
      await renderProductionFiles({
        secretsProvider: 'onepasswordconnect',
        cloudflareItem: 'cf-api',
        vault: 'Ops',
      }),
    );
    const answers = await readFile(
      path.join(dir.path, '.environment-answers.yaml'),
      'utf8',
    );
    expect(answers).toContain('secretsProvider: "onepasswordconnect"');
    expect(await inProcess(dir.path)).toEqual({
      code: 0,
      out: [],
      err: expect.stringContaining(
        'no violations (8 references, vault Ops, provider onepasswordconnect)',
      ),
    });
    await writeFile(
      path.join(dir.path, '.environment-answers.yaml'),
      'values: [',
    );
    expect((await inProcess(dir.path)).code).toBe(2);
  });
});
