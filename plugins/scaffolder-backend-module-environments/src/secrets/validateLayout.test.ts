import { createMockDirectory } from '@backstage/backend-test-utils';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  tamperedInput,
} from '../__testUtils__/secretsLayout';
import { gitignore } from './rules/gitignore';
import {
  LAYOUT_RULES,
  validateFiles,
  validateInput,
  validateLayout,
} from './validateLayout';

describe('validateLayout and validateFiles', () => {
  const dir = createMockDirectory();
  beforeEach(() => dir.clear());

  it('judge a rendered kit on disk and the same files in memory alike, violations included', async () => {
    const files = await renderProductionFiles();
    files['SECRETS.md'] = files['SECRETS.md'].replace(
      'terraform-state',
      'terraform-states',
    );
    files['.gitignore'] = `${files['.gitignore']}*secret*\n`;
    dir.setContent(files);
    const onDisk = await validateLayout(dir.path, CANONICAL_LAYOUT);
    const inMemory = await validateFiles(
      Object.entries(files).map(([path, content]) => ({ path, content })),
      CANONICAL_LAYOUT,
    );
    expect(onDisk.violations.length).toBeGreaterThan(0);
    expect(inMemory).toEqual(onDisk);
  });

  it('lets other work run between the rules of one validation', async () => {
    const input = await tamperedInput(() => ({}));
    await validateInput(input); // git's answers for this .gitignore are now known
    let turns = 0;
    let running = true;
    const tick = () => {
      if (!running) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    await validateInput(await tamperedInput(() => ({})));
    running = false;
    // One turn of the event loop at least between each two rules.
    expect(turns).toBeGreaterThanOrEqual(Object.keys(LAYOUT_RULES).length - 1);
  });

  it('asks git again when a .gitignore changes, and answers alike for the same one', async () => {
    const clean = await tamperedInput(() => ({}));
    const widened = await tamperedInput(files => ({
      '.gitignore': `${files['.gitignore']}*.md\n`,
    }));
    expect(await gitignore(clean)).toEqual([]);
    expect((await gitignore(widened)).map(v => v.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('ignores README.md')]),
    );
    expect(await gitignore(clean)).toEqual([]);
    expect(await gitignore(widened)).toEqual(await gitignore(widened));
  });
});
