/**
 * Every interpolation in a kit ends in an escaping filter, and the kit loader refuses a kit
 * that does not. (The filters themselves have property-based tests in
 * src/escaping/filters.test.ts; this file only guards their use.)
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { KitRenderer, lintTemplate } from '../../src/kits/engine';
import { KITS_DIR } from '../../src/__testUtils__/paths';

const KITS = KITS_DIR;

async function templatesUnder(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), {
    withFileTypes: true,
  });
  const nested = await Promise.all(
    entries.map(async e => {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) return templatesUnder(dir, rel);
      return e.name.endsWith('.njk') ? [rel] : [];
    }),
  );
  return nested.flat().sort();
}

describe('kit interpolations', () => {
  it('every .njk under kits/ interpolates only through an escaping filter', async () => {
    const names = await templatesUnder(KITS);
    expect(names.length).toBeGreaterThan(20);
    let interpolations = 0;
    const problems = [];
    for (const name of names) {
      const source = await readFile(path.join(KITS, name), 'utf8');
      interpolations += source.split('{{').length - 1;
      problems.push(...lintTemplate(name, source));
    }
    // Not vacuous: the kits interpolate a lot.
    expect(interpolations).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it.each([
    ['{{ p.name }}', 'no escaping filter'],
    ['{{ p.name | upper }}', 'filter "upper"'],
    ['{{ p.name | bash | upper }}', 'filter "upper"'],
    ['{{ p.name | safe }}', 'filter "safe"'],
    ['{{ p.name | bash | replace("\'", "") }}', 'filter "replace"'],
    ['{{ p.name | bash ~ p.zoneName }}', 'no escaping filter'],
    ['{{ (p.name | bash) if p.x else p.zoneName }}', 'no escaping filter'],
    ['{{ p.name | bash }}{{ p.zoneName }}', 'no escaping filter'],
    ['{% if p.x %}\n  x={{ p.name }}\n{% endif %}', 'no escaping filter'],
    [
      '{% for s in services %}{{ s.name | kcl }} {{ s.port }}{% endfor %}',
      'no escaping filter',
    ],
    ['{% filter upper %}{{ p.name | bash }}{% endfilter %}', 'filter "upper"'],
    [
      '{% macro m(v) %}{{ v | bash }}{% endmacro %}{{ m(p.name) }}',
      'no escaping filter',
    ],
    ['{{ "literal" }}', 'no escaping filter'],
  ])('the lint catches %j', (source, message) => {
    const problems = lintTemplate('synthetic.njk', source);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map(p => p.message).join('\n')).toContain(message);
    expect(problems[0]).toMatchObject({
      template: 'synthetic.njk',
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  it.each([
    '{{ p.name | bash }}',
    '{{ p.name | yaml }} {{ p.port | int }} {{ p.zone | makeShell }}',
    '{{ ("a" + p.name) | kcl }}',
    '{% raw %}{{ p.name }}{% endraw %}',
    '{# {{ p.name }} #}',
    '{% if p.x %}{{ p.name | md }}{% endif %}',
  ])('the lint accepts %j', source => {
    expect(lintTemplate('synthetic.njk', source)).toEqual([]);
  });

  it('KitRenderer.load refuses a kits directory with an unfiltered interpolation', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kit-lint-'));
    try {
      await cp(KITS, dir, { recursive: true });
      // The copy loads: the failure below is caused by the one line added.
      await expect(KitRenderer.load(dir)).resolves.toBeDefined();

      const file = path.join(dir, 'shared', 'main.k.njk');
      await writeFile(
        file,
        `${await readFile(file, 'utf8')}\n# {{ p.name }}\n`,
      );
      await expect(KitRenderer.load(dir)).rejects.toThrow(
        /shared\/main\.k\.njk:\d+:\d+ interpolation has no escaping filter/,
      );

      await writeFile(
        file,
        (
          await readFile(path.join(KITS, 'shared', 'main.k.njk'), 'utf8')
        ).replace('{{ p.name | kcl }}', '{{ p.name | kcl | upper }}'),
      );
      await expect(KitRenderer.load(dir)).rejects.toThrow(
        /ends in filter "upper", which is not an escaping filter/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
