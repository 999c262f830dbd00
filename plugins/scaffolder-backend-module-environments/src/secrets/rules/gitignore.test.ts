import { gitignore, MUST_COMMIT } from './gitignore';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  tamperedInput,
} from '../../__testUtils__/secretsLayout';
import { inputFromFiles } from '../validationInput';

const withIgnore = (extra: string, base?: (s: string) => string) =>
  tamperedInput(f => ({
    '.gitignore': `${base ? base(f['.gitignore']) : f['.gitignore']}${extra}`,
  }));
const shown = (vs: { file: string; line: number; message: string }[]) =>
  vs.map(v => `${v.file}:${v.line} ${v.message}`).sort();

describe('gitignore', () => {
  it('accepts the rendered .gitignore, checked by real git', async () => {
    expect(
      await gitignore(
        inputFromFiles(await renderProductionFiles(), CANONICAL_LAYOUT),
      ),
    ).toEqual([]);
  });

  it('knows every file of the production kit must be committed', () => {
    expect(MUST_COMMIT).toEqual(
      expect.arrayContaining([
        'SECRETS.md',
        'Makefile',
        'backend.yaml.tmpl',
        'secrets.vals.yaml',
        '.env.example',
        'kcl/main.k',
        'kcl/kcl.mod',
        'scripts/load-env.sh',
        '.environment-answers.yaml',
      ]),
    );
  });

  it('reports a pattern that ignores SECRETS.md only under case-insensitive matching (upstream defect 11)', async () => {
    const input = await withIgnore('*secret*\n');
    expect(shown(await gitignore(input))).toEqual([
      '.gitignore:22 the pattern "*s…" ignores SECRETS.md under case-insensitive matching (core.ignorecase=true, as on macOS and Windows), which must be committed',
      '.gitignore:22 the pattern "*s…" ignores secrets.vals.yaml, which must be committed',
    ]);
  });

  it('reports files that must be committed and are ignored, with the pattern line', async () => {
    const input = await withIgnore('*.md\nkcl/\n');
    expect(shown(await gitignore(input))).toEqual([
      '.gitignore:22 the pattern "*…" ignores README.md, which must be committed',
      '.gitignore:22 the pattern "*…" ignores SECRETS.md, which must be committed',
      '.gitignore:22 the pattern "*…" ignores docs/index.md, which must be committed',
      '.gitignore:23 the pattern "k…" ignores kcl/kcl.mod, which must be committed',
      '.gitignore:23 the pattern "k…" ignores kcl/main.k, which must be committed',
    ]);
  });

  it('reports rendered-secret files that are not ignored or are re-included', async () => {
    const missing = await withIgnore('', s =>
      s.replace('/backend.yaml\n', '/backend.yml\n'),
    );
    expect(shown(await gitignore(missing))).toEqual([
      '.gitignore:0 backend.yaml is not ignored, yet it holds rendered secrets',
    ]);
    const negated = await withIgnore('!backend.yaml\n');
    expect(shown(await gitignore(negated))).toEqual([
      '.gitignore:22 the pattern "!bac…" un-ignores backend.yaml, which holds rendered secrets',
    ]);
  });

  it('reports a rendered-secret pattern that matches only one spelling under case-insensitive rules', async () => {
    const input = await withIgnore('', s =>
      s.replace('/backend.yaml\n', '/Backend.yaml\n'),
    );
    expect(shown(await gitignore(input))).toEqual([
      '.gitignore:0 backend.yaml is not ignored, yet it holds rendered secrets',
    ]);
  });

  it('reports everything when .gitignore is missing', async () => {
    const input = await tamperedInput(() => ({ '.gitignore': undefined }));
    expect(shown(await gitignore(input))).toEqual([
      '.gitignore:0 backend.yaml is not ignored, yet it holds rendered secrets',
      '.gitignore:0 secrets.vals.yaml.rendered is not ignored, yet it holds rendered secrets',
    ]);
  });

  it('reads .gitignore files of subdirectories too', async () => {
    const input = await tamperedInput(() => ({ 'kcl/.gitignore': '*.k\n' }));
    expect(shown(await gitignore(input))).toEqual([
      'kcl/.gitignore:1 the pattern "*…" ignores kcl/main.k, which must be committed',
    ]);
  });
});
