import { kitManifest } from '../../src/kits/manifest';
import { ENVIRONMENTS } from '../../src/parameters/model';
import { startScaffolderBackend } from '../../src/__testUtils__/backend';
import {
  readGolden,
  renderCanonical,
  UPDATE_GOLDEN_COMMAND,
} from '../../src/__testUtils__/verification/golden';
import { Backend } from '../../src/__testUtils__/verification/renders';

jest.setTimeout(60_000);

/** Where two byte strings first differ, as line and column with both lines shown. */
function firstDifference(expected: Buffer, actual: Buffer): string {
  const a = expected.toString('utf8').split('\n');
  const b = actual.toString('utf8').split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}:\n      golden: ${JSON.stringify(a[i])}\n      actual: ${JSON.stringify(b[i])}`;
    }
  }
  return `same text, different bytes (${expected.length} vs ${actual.length})`;
}

/** Compares a render with the golden files; the message says how to accept a change. */
function compare(
  environment: string,
  golden: Map<string, Buffer>,
  actual: Map<string, Buffer>,
): string[] {
  const problems: string[] = [];
  for (const file of [...golden.keys()].filter(f => !actual.has(f)).sort())
    problems.push(`${file}: in the golden files, not rendered`);
  for (const file of [...actual.keys()].filter(f => !golden.has(f)).sort())
    problems.push(`${file}: rendered, no golden file`);
  for (const [file, content] of [...actual].sort(([x], [y]) =>
    x.localeCompare(y),
  )) {
    const expected = golden.get(file);
    if (expected && !expected.equals(content))
      problems.push(
        `${file}: differs at ${firstDifference(expected, content)}`,
      );
  }
  if (problems.length === 0) return [];
  return [
    `The ${environment} render differs from its golden files (src/__testUtils__/verification/golden/${environment}):`,
    ...problems.map(p => `  - ${p}`),
    `If the change is intended, rewrite the golden files and review the diff:`,
    `  ${UPDATE_GOLDEN_COMMAND}`,
  ];
}

describe('golden files of the canonical value sets (src/__testUtils__/values.ts)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startScaffolderBackend();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it.each(ENVIRONMENTS)(
    '%s: the dry-run output equals the golden files byte for byte',
    async environment => {
      const [golden, actual] = await Promise.all([
        readGolden(environment),
        renderCanonical(backend, environment),
      ]);
      const problems = compare(environment, golden, actual);
      expect(problems.join('\n')).toBe('');
    },
  );

  it.each(ENVIRONMENTS)(
    '%s: the golden files hold exactly the files of the kit manifest',
    async environment => {
      const golden = await readGolden(environment);
      expect([...golden.keys()].sort()).toEqual(
        kitManifest[environment].map(f => f.path).sort(),
      );
    },
  );

  it('depends on nothing non-deterministic: two renders give the same bytes', async () => {
    for (const environment of ENVIRONMENTS) {
      const first = await renderCanonical(backend, environment);
      const second = await renderCanonical(backend, environment);
      expect(compare(environment, first, second)).toEqual([]);
    }
  });

  it('holds no machine-specific text (temp paths, ports, host names of this machine, dates)', async () => {
    for (const environment of ENVIRONMENTS) {
      for (const [file, content] of await readGolden(environment)) {
        const text = content.toString('utf8');
        expect({
          file,
          tmp: /\/tmp\/|127\.0\.0\.1|localhost:\d+|\b20\d\d-\d\d-\d\dT/.test(
            text,
          ),
        }).toEqual({ file, tmp: false });
      }
    }
  });
});
