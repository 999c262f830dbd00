/**
 * Negative controls for door 3: "0 escapes" means something only if the checks of renderedEscapes.ts
 * catch an escape. Each test breaks a correct render the way a missing or wrong escaping
 * filter would, and expects the checks to notice.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UPSTREAM_MODULE } from '../../src/kits/context';
import { kitManifest } from '../../src/kits/manifest';
import { Environment, parseParameters } from '../../src/parameters/model';
import { canonicalValues } from '../../src/__testUtils__/values';
import {
  InertCase,
  prepareDriver,
  processEscapes,
  renderLocally,
  runDriver,
  staticEscapes,
  writeWorkspace,
} from '../../src/__testUtils__/hostile/renderedEscapes';

jest.setTimeout(60_000);

async function inertCase(
  environment: Environment,
  overrides: Record<string, unknown> = {},
): Promise<InertCase> {
  const input = { ...canonicalValues[environment], ...overrides };
  const parsed = parseParameters(input);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.problems));
  const files = await renderLocally(
    input,
    `template:default/${environment}-environment`,
    '0.0.0-test',
  );
  return {
    environment,
    fields: Object.keys(overrides),
    value: String(Object.values(overrides)[0] ?? ''),
    parameters: parsed.parameters,
    files,
    executable: new Map(
      kitManifest[environment].map(f => [f.path, f.mode === 0o755]),
    ),
    local: new Map(files),
    twin: new Map(files),
  };
}

/** A case whose dry-run files (and the "same bytes" reference) were altered by `edit`. */
function broken(
  c: InertCase,
  file: string,
  edit: (text: string) => string,
): InertCase {
  const files = new Map(c.files);
  files.set(file, edit(files.get(file)!));
  return { ...c, files, local: new Map(files) };
}

describe('door 3 notices an escape', () => {
  it('passes a correct render', async () => {
    expect(
      staticEscapes(
        await inertCase('staging', { description: 'a: b # {{ 7*7 }}' }),
      ),
    ).toEqual([]);
  });

  it('notices an unquoted YAML value that adds a key', async () => {
    const c = await inertCase('development', { description: 'benign' });
    const escapes = staticEscapes(
      broken(c, '.environment-answers.yaml', t =>
        t.replace(
          'description: "benign"',
          'description: benign\n  injected: true',
        ),
      ),
    );
    expect(escapes.map(e => e.check)).toEqual(
      expect.arrayContaining(['YAML structure']),
    );
  });

  it('notices a YAML value that no longer reads back as itself', async () => {
    const c = await inertCase('development', { description: 'no' });
    const escapes = staticEscapes(
      broken(c, '.environment-answers.yaml', t =>
        t.replace('description: "no"', 'description: no'),
      ),
    );
    expect(escapes.map(e => e.check)).toEqual(
      expect.arrayContaining(['YAML round trip']),
    );
  });

  it('notices an anchor, an alias or a tag smuggled into YAML', async () => {
    const c = await inertCase('development', { description: 'x' });
    const escapes = staticEscapes(
      broken(c, 'catalog-info.yaml', t =>
        t.replace('description: "x"', 'description: !!str &a x'),
      ),
    );
    expect(escapes.map(e => e.detail).join('\n')).toMatch(/anchor &a|tag/);
  });

  it('notices Markdown markup that a value added', async () => {
    const c = await inertCase('staging', { description: 'plain words' });
    const escapes = staticEscapes(
      broken(c, 'README.md', t => t.replace('plain words', '# plain words')),
    );
    expect(escapes.map(e => e.check)).toEqual(
      expect.arrayContaining(['Markdown blocks']),
    );
  });

  it('notices a template expression that was evaluated, and a file the scaffolder changed', async () => {
    const c = await inertCase('development', { description: '{{ 7*7 }}' });
    const evaluated = {
      ...c,
      files: new Map(c.files).set(
        'README.md',
        c.files.get('README.md')!.replace('{{ 7\\*7 }}', '49'),
      ),
    };
    const checks = staticEscapes(evaluated).map(e => e.check);
    expect(checks).toEqual(
      expect.arrayContaining([
        'template evaluation',
        'same bytes as an in-process render',
      ]),
    );
  });

  it('notices a file outside the kit and a path outside the workspace', async () => {
    const c = await inertCase('development');
    const files = new Map(c.files).set('../outside.txt', 'x');
    expect(
      staticEscapes({ ...c, files, local: files }).map(e => e.check),
    ).toEqual(expect.arrayContaining(['file list', 'path']));
  });

  describe('with the stand-ins of standIns/', () => {
    let root = '';
    beforeAll(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'inert-controls-'));
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    async function run(c: InertCase, name: string) {
      const driver = await prepareDriver(root);
      const dir = path.join(root, name);
      await writeWorkspace(dir, c);
      await runDriver(driver, [dir]);
      return processEscapes(
        dir,
        c,
        `${UPSTREAM_MODULE}@${c.parameters.glueVersion}`,
      );
    }

    it('passes the correct scripts and Makefiles', async () => {
      expect(await run(await inertCase('development'), 'dev-ok')).toEqual([]);
      expect(await run(await inertCase('staging'), 'staging-ok')).toEqual([]);
      expect(await run(await inertCase('production'), 'production-ok')).toEqual(
        [],
      );
    });

    it('notices a bash word that was not quoted: the command runs and dagger gets another argument', async () => {
      const canary = path.join(root, 'bash-canary');
      const c = await inertCase('development');
      const escapes = await run(
        broken(c, 'deploy.sh', t =>
          t.replace(
            "readonly ZONE_NAME='example.com'",
            `readonly ZONE_NAME=example.com$(touch ${canary})x`,
          ),
        ),
        'dev-broken',
      );
      expect(existsSync(canary)).toBe(true);
      expect(escapes.map(e => e.check)).toEqual(
        expect.arrayContaining(['deploy argv']),
      );
    });

    it('notices a Make value that was not escaped for the shell', async () => {
      const c = await inertCase('staging');
      const escapes = await run(
        broken(c, 'Makefile', t =>
          t.replace(
            "ZONE_NAME := 'staging.example.com'",
            "ZONE_NAME := 'staging.example.com'x",
          ),
        ),
        'staging-broken',
      );
      expect(escapes.map(e => e.check)).toEqual(
        expect.arrayContaining(['deploy argv', 'destroy argv']),
      );
    });

    it('notices a dagger call the stand-in module refuses', async () => {
      const c = await inertCase('staging');
      const escapes = await run(
        broken(c, 'Makefile', t =>
          t.replace('--zone-name=$(ZONE_NAME)', '--zone=$(ZONE_NAME)'),
        ),
        'staging-refused',
      );
      expect(escapes.map(e => e.check)).toEqual(
        expect.arrayContaining(['deploy module', 'deploy']),
      );
    });

    it('notices a Markdown shell block whose command the stand-in refuses', async () => {
      const c = await inertCase('production');
      const escapes = await run(
        broken(c, 'SECRETS.md', t =>
          t.replace('op item create --vault', 'op item create --vault-id'),
        ),
        'production-block',
      );
      expect(
        escapes.filter(e => e.file.endsWith('(Markdown shell block)')),
      ).not.toEqual([]);
    });

    it('notices a destroy confirmation that accepts the wrong answer', async () => {
      // Development's destroy.sh asks nothing (it destroys nothing); staging's make destroy asks.
      const c = await inertCase('staging');
      const confirmation = 'if [[ "$$answer" != $(NAME) ]]; then';
      expect(c.files.get('Makefile')).toContain(confirmation);
      const escapes = await run(
        broken(c, 'Makefile', t => t.replace(confirmation, 'if false; then')),
        'staging-confirm',
      );
      expect(escapes.map(e => e.check)).toEqual(
        expect.arrayContaining(['destroy confirmation']),
      );
    });
  });
});
