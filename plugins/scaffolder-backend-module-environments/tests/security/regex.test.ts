/**
 * No slow regular expression: every pattern of rules.ts (run raw, as JSON Schema validators
 * run it, without our length check first), every regex literal in src/escaping and
 * src/parameters, and the functions built on them, on 100 kB adversarial inputs.
 *
 * The work runs in a child process: a catastrophic regex cannot be interrupted inside the
 * process running it, so the child is killed at a deadline and the operation it was in is
 * reported. The assertion is a generous hang guard per operation, not a timing.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rules } from '../../src/parameters/fieldRules';
import { canonicalValues } from '../../src/__testUtils__/values';
import {
  findRegexLiterals,
  FoundRegex,
} from '../../src/__testUtils__/hostile/regexScan';
import { SRC_DIR } from '../../src/__testUtils__/paths';
import { run } from '../../src/__testUtils__/processes';

jest.setTimeout(180_000);

const SRC = SRC_DIR;
const HANG_GUARD_MS = 2000;
const DEADLINE_MS = 120_000;

async function sourceRegexes(): Promise<(FoundRegex & { file: string })[]> {
  const found: (FoundRegex & { file: string })[] = [];
  for (const dir of ['escaping', 'parameters']) {
    for (const name of (await readdir(path.join(SRC, dir))).sort()) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const text = await readFile(path.join(SRC, dir, name), 'utf8');
      found.push(
        ...findRegexLiterals(text).map(r => ({
          ...r,
          file: `src/${dir}/${name}`,
        })),
      );
    }
  }
  return found;
}

/** The child: generates the inputs, runs every operation, reports each start and end. */
const CHILD = String.raw`
const fs = require('node:fs');
const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const filters = require(spec.modules.filters);
const rulesModule = require(spec.modules.rules);
const model = require(spec.modules.model);
const N = 100000;
const fill = (unit, tail = '') => unit.repeat(Math.ceil(N / unit.length)).slice(0, N) + tail;
const inputs = {
  'a*N+!': fill('a', '!'), '-*N': fill('-'), 'a-*N+!': fill('a-', '!'), 'a.*N': fill('a.'), 'a.*N+!': fill('a.', '!'),
  'a.*N+-': fill('a.', '-'), '0*N': fill('0'), '0*N+.': fill('0', '.'), '0.*N+x': fill('0.', 'x'), '9.*N': fill('9.'),
  '/*N+x': fill('/', 'x'), './*N+x': fill('./', 'x'), '../*N': fill('../'), '.*N+x': fill('.', 'x'), 'a/*N+/': fill('a/', '/'),
  'backslash*N': fill('\\'), 'backslash*N+x': fill('\\', 'x'), 'backslash-hash*N': fill('\\#'), 'hash*N': fill('#'),
  'space*N+x': fill(' ', 'x'), 'x+space*N+x': 'x' + fill(' ', 'x'), 'tab*N+x': fill('\t', 'x'), 'nbsp*N+x': fill('\u00a0', 'x'),
  'ref*N': fill('ref'), 'ref+*N': fill('ref+'), 'colon*N': fill(':'), 'aa:*N+!': fill('aa:', '!'), 'aa-*N+!': fill('aa-', '!'),
  'f*N+!': fill('f', '!'), 'A*N': fill('A'), '_*N+!': fill('_', '!'), 'dollar*N': fill('$'), 'backtick*N': fill('\u0060'),
  'brace*N': fill('{'), 'lone-high*N': fill('\ud800'), 'pair*N+high': fill('\ud800\udc00', '\ud800'), 'e-acute*N': fill('\u00e9'),
  'xn--*N+!': fill('xn--', '!'), 'v1.*N': fill('v1.'), 'newline*N+x': fill('\n', 'x'), 'control*N': fill('\u0001'),
  'ansi*N': fill('\u001b[31m'), 'arn': 'arn:aws:kms:' + fill('a-', ':'), 'sthree-': 'sthree-' + fill('a'),
  's3alias': fill('a', '-s3alias'), 'dotdash*N': fill('.-'), 'digits-dots-ip*N': fill('1.2.3.'),
  'mac*N': fill('aa:bb:cc:dd:ee:'), 'key/*N': 'arn:aws:kms:eu-central-1:123456789012:alias/' + fill('a/'),
};
for (const [name, example] of Object.entries(spec.examples)) {
  inputs['example ' + name + '*N+!'] = fill(example, '!');
  inputs['example ' + name + '-sep*N'] = fill(example + '.', '!');
}
const out = line => fs.writeSync(1, line + '\n');
let ops = 0;
const firstDevice = spec.base.devices[0];
const firstService = firstDevice.services[0];
function run(id, fn) {
  out('S ' + id);
  const t = process.hrtime.bigint();
  try { fn(); } catch (e) { /* refusals are results too */ }
  out('D ' + (Number(process.hrtime.bigint() - t) / 1e6).toFixed(2) + ' ' + id);
  ops++;
}
for (const [iname, input] of Object.entries(inputs)) {
  for (const r of spec.regexes) {
    run(r.id + ' test ' + iname, () => new RegExp(r.source, r.flags).test(input));
    if (r.flags.includes('g')) {
      run(r.id + ' replace ' + iname, () => input.replace(new RegExp(r.source, r.flags), ''));
      run(r.id + ' match ' + iname, () => input.match(new RegExp(r.source, r.flags)));
    }
  }
  for (const [name, rule] of Object.entries(rulesModule.rules)) {
    run('rule ' + name + ' raw u ' + iname, () => new RegExp(rule.pattern, 'u').test(input));
    run('rule ' + name + ' matchesRule ' + iname, () => rulesModule.matchesRule(name, input));
  }
  for (const name of Object.keys(filters.escapingFilters)) {
    run('filter ' + name + ' ' + iname, () => filters.escapingFilters[name](input));
  }
  run('isWellFormedUnicode ' + iname, () => rulesModule.isWellFormedUnicode(input));
  run('codePointLength ' + iname, () => rulesModule.codePointLength(input));
  run('normaliseMac ' + iname, () => rulesModule.normaliseMac(input));
  for (const field of spec.stringFields) {
    run('parseParameters ' + field + ' ' + iname, () => model.parseParameters({ ...spec.base, [field]: input }));
  }
  for (const [field, device] of Object.entries({
    hostname: { hostname: input },
    'macAddresses[0]': { macAddresses: [input] },
    'aliases[0]': { aliases: [input] },
    'services[0].name': { services: [{ ...firstService, name: input }] },
    'services[0].publicHostname': { services: [{ ...firstService, publicHostname: input }] },
  })) {
    run('parseParameters devices[0].' + field + ' ' + iname, () => model.parseParameters({ ...spec.base, devices: [{ ...firstDevice, ...device }, ...spec.base.devices.slice(1)] }));
  }
}
out('END ' + ops);
`;

describe('regular expressions on 100 kB adversarial input', () => {
  it('finds the regex literals of src/escaping and src/parameters', async () => {
    const found = await sourceRegexes();
    for (const r of found)
      expect(() => new RegExp(r.source, r.flags)).not.toThrow();
    expect(
      found.filter(r => r.file === 'src/escaping/filters.ts').length,
    ).toBeGreaterThanOrEqual(10);
    expect(found.map(r => r.source)).toEqual(
      expect.arrayContaining([
        '[\\u0000-\\u001f\\u007f-\\u009f]',
        '(?<!\\\\)(\\\\*)#',
        '[:.-]', // normaliseMac's separators
      ]),
    );
  });

  it('every rule pattern, regex literal and filter returns in well under the hang guard', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'regex-guard-'));
    try {
      const regexes = (await sourceRegexes()).map(r => ({
        id: `${r.file}:${r.line} /${r.source}/${r.flags}`,
        source: r.source,
        flags: r.flags,
      }));
      const production = canonicalValues.production as Record<string, unknown>;
      const spec = {
        modules: {
          filters: path.join(SRC, 'escaping/filters.ts'),
          rules: path.join(SRC, 'parameters/fieldRules.ts'),
          model: path.join(SRC, 'parameters/model.ts'),
        },
        regexes,
        examples: Object.fromEntries(
          Object.entries(rules).map(([name, rule]) => [name, rule.example]),
        ),
        base: production,
        stringFields: [
          ...Object.keys(production).filter(
            k => typeof production[k] === 'string' && k !== 'environment',
          ),
          'internalDomain',
          'glueVersion',
          'stateKey',
          'cloudflareItem',
          'unifiItem',
          'stateItem',
          'targetPath',
        ],
      };
      await writeFile(path.join(dir, 'spec.json'), JSON.stringify(spec));
      await writeFile(path.join(dir, 'child.js'), CHILD);

      const child = await run(
        process.execPath,
        [
          '--require',
          require.resolve('@backstage/cli/config/nodeTransform.cjs'),
          path.join(dir, 'child.js'),
          path.join(dir, 'spec.json'),
        ],
        { cwd: dir, env: process.env, timeoutMs: DEADLINE_MS },
      );
      const { stdout } = child;
      const error =
        child.code === 0
          ? null
          : new Error(
              `exit ${child.code ?? child.signal}: ${child.stderr.slice(0, 500)}`,
            );
      const lines = stdout.split('\n').filter(Boolean);
      const started = lines
        .filter(l => l.startsWith('S '))
        .map(l => l.slice(2));
      const done = lines
        .filter(l => l.startsWith('D '))
        .map(l => {
          const [, ms, ...id] = l.split(' ');
          return { ms: Number(ms), id: id.join(' ') };
        });
      const unfinished = started.filter(id => !done.some(d => d.id === id));
      expect({
        unfinished,
        error: error?.message?.split('\n')[0] ?? null,
      }).toEqual({ unfinished: [], error: null });
      expect(lines[lines.length - 1]).toBe(`END ${done.length}`);
      expect(done.length).toBeGreaterThan(5000);

      const slow = done
        .filter(d => d.ms >= HANG_GUARD_MS)
        .map(d => `${d.ms} ms: ${d.id}`);
      expect(slow).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
