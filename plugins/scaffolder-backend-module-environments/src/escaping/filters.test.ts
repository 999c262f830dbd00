import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createMockDirectory } from '@backstage/backend-test-utils';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { parse as parseYaml, stringify } from 'yaml';
import { isWellFormedUnicode } from '../parameters/fieldRules';
import {
  bash,
  EscapingError,
  int,
  kcl,
  make,
  makeShell,
  md,
  mdCode,
  toml,
  yaml,
} from './filters';
import { run } from '../__testUtils__/processes';

/*
 * Each filter promises text that its format reads back as exactly the input, or an EscapingError.
 * The shell and Make checks run the real tools once per batch of values; the rest run in-process.
 * Files are written as UTF-8, so the tools are compared on UTF-8 bytes: a lone surrogate becomes
 * U+FFFD on both sides, which is the file encoding's doing, not a filter's.
 */

// eslint-disable-next-line no-control-regex -- the filters refuse control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Hand-picked values that break naive escaping somewhere. */
const NASTY: string[] = [
  '',
  "'",
  '"',
  "it's",
  `'"'"'`,
  "''",
  '$(id)',
  '`id`',
  '$$',
  '$',
  '$$$',
  '$x',
  '$(',
  '#',
  '# comment',
  'a#b',
  'a\\#b',
  '\\#',
  '\\\\#',
  'a \\# b',
  '\\',
  'a\\',
  'a\\\\',
  '\\n',
  '\\x41',
  '\n',
  'a\nb',
  'a\n',
  '\r',
  'a\r\nb',
  '\u0000',
  'a\u0000b',
  '\t',
  'a\tb',
  '\u001b[31mred\u001b[0m',
  '\u007f',
  '\u0085',
  '{{ x }}',
  '{{ 7*7 }}',
  '${{ x }}',
  '${{ secrets.TOKEN }}',
  '${x}',
  '%{x}',
  '%',
  '%%',
  '"; rm -rf / #',
  "'; rm -rf / #",
  '!',
  '!!',
  '!$',
  '*',
  '?',
  '~',
  '~root',
  '-n',
  '-e',
  '--',
  ';',
  '&',
  '|',
  '<',
  '>',
  '( )',
  ':=',
  '=',
  'export X',
  'a,b',
  'a:b',
  ' leading',
  'trailing ',
  '  both  ',
  ' ',
  'two  spaces',
  '\u00a0nbsp\u00a0',
  '\ufeffbom',
  '\u202e',
  'abc\u202edef',
  '\u2066isolate\u2069',
  '\u200f',
  '\u2028',
  'x\u2029y',
  '😀',
  '👩‍👩‍👧‍👦',
  'Ünïcödé',
  '中文',
  '*emphasis*',
  '_under_',
  '[link](http://example.com)',
  '<script>alert(1)</script>',
  '&amp;',
  '&copy;',
  '1. item',
  '- item',
  '> quote',
  '| a | b |',
  '``',
  '`a`',
  ' `a` ',
  'a``b',
  'no',
  'yes',
  'on',
  'off',
  'null',
  '~',
  '1e3',
  '0o17',
  '0x1f',
  'true',
  '.inf',
  'a'.repeat(100000),
  "'".repeat(5000),
  '$'.repeat(5000),
  '\\'.repeat(5001),
  '#'.repeat(5000),
  '`'.repeat(300),
  '😀'.repeat(5000),
];

/** Characters that matter to at least one format, mixed with arbitrary code points. */
const special = fc.constantFrom(
  "'",
  '"',
  '$',
  '#',
  '\\',
  '`',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '(',
  ')',
  '{',
  '}',
  '%',
  ':',
  '=',
  ';',
  '!',
  '*',
  '_',
  '[',
  ']',
  '<',
  '>',
  '&',
  '|',
  '~',
  '-',
  '.',
  '\u202e',
  '\u2028',
  '\u00a0',
  '😀',
);
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const hostileString = fc
  .string({ unit: fc.oneof(special, anyChar), maxLength: 40 })
  .filter(isWellFormedUnicode);
/**
 * Arbitrary well-formed strings: every code point and a bias towards special characters.
 * Lone surrogates cannot be stored in a UTF-8 file; every filter refuses them (tested below).
 */
const arbitraryString = fc
  .oneof(fc.string({ unit: 'binary' }), hostileString, fc.string())
  .filter(isWellFormedUnicode);

/** Samples for the process-based checks: one batch, one tool run. */
function batch(): string[] {
  return [...NASTY, ...fc.sample(arbitraryString, 300)];
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Calls a filter, returning its output or the EscapingError it threw (anything else fails). */
function attempt(
  filter: (value: unknown) => string,
  value: unknown,
): string | EscapingError {
  try {
    return filter(value);
  } catch (error) {
    if (error instanceof EscapingError) return error;
    throw error;
  }
}

function runIn(cwd: string, command: string, args: string[]) {
  return run(command, args, { cwd, timeoutMs: 120_000 });
}

/** Splits `printf '%s\0'` output back into values. */
function splitNul(out: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 0) {
      parts.push(out.subarray(start, i));
      start = i + 1;
    }
  }
  expect(start).toBe(out.length); // every value ends with its NUL
  return parts;
}

const show = (value: string) =>
  value.length > 80
    ? `${JSON.stringify(value.slice(0, 80))}… (${value.length} chars)`
    : JSON.stringify(value);

describe('escaping filters', () => {
  const dir = createMockDirectory();

  it('every filter refuses a lone surrogate, which no UTF-8 file can hold', () => {
    for (const filter of [bash, make, makeShell, yaml, toml, kcl, md, mdCode]) {
      for (const value of ['a\ud800', '\udc00b', 'x\udfff\ud83d']) {
        expect(() => filter(value)).toThrow(EscapingError);
      }
    }
  });

  describe('bash', () => {
    it('is read by bash as exactly the value, as one word, or refused for NUL', async () => {
      const values = batch();
      const accepted: string[] = [];
      const lines: string[] = [];
      for (const value of values) {
        const out = attempt(bash, value);
        // Refused exactly for the one thing a bash word cannot hold.
        expect({
          value: show(value),
          refused: out instanceof EscapingError,
        }).toEqual({ value: show(value), refused: value.includes('\u0000') });
        if (out instanceof EscapingError) continue;
        accepted.push(value);
        lines.push(`printf '%s\\0' ${out}`);
      }
      const script = path.join(dir.path, 'words.sh');
      await writeFile(script, `${lines.join('\n')}\n`, 'utf8');

      const check = await runIn(dir.path, '/bin/bash', ['-n', script]);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);

      const result = await runIn(dir.path, '/bin/bash', [script]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const words = splitNul(result.stdoutBytes);
      // One NUL-terminated word per line proves each output is exactly one word.
      expect(words).toHaveLength(accepted.length);
      const mismatches = accepted
        .map((value, i) => ({
          value: show(value),
          got: show(words[i].toString('utf8')),
          same: words[i].equals(utf8(value)),
        }))
        .filter(m => !m.same);
      expect(mismatches).toEqual([]);
    });

    it('refuses NUL and non-scalar values', () => {
      expect(() => bash('a\u0000b')).toThrow(EscapingError);
      for (const value of [null, undefined, {}, [], NaN, Infinity, () => 1]) {
        expect(() => bash(value)).toThrow(EscapingError);
      }
      expect(bash(42)).toBe(`'42'`);
      expect(bash(true)).toBe(`'true'`);
    });
  });

  describe('make and makeShell', () => {
    /** Why Make cannot keep a value, if it cannot: the filter must refuse exactly these. */
    function makeCannotKeep(value: string): boolean {
      return (
        CONTROL.test(value) ||
        /^[ \t]|[ \t]$/.test(value) ||
        value.endsWith('\\')
      );
    }

    let runs = 0;
    async function workDir(): Promise<string> {
      const work = path.join(dir.path, `make-${++runs}`);
      await mkdir(path.join(work, 'out'), { recursive: true });
      return work;
    }

    /** Assigns each value with `make` and has GNU make write each variable's value to a file. */
    async function makeRoundTrip(values: string[]) {
      const work = await workDir();
      const outs = values.map(value => make(value));
      const makefile = [
        ...outs.map((out, i) => `V${i + 1} := ${out}`),
        `IDS := ${values.map((_, i) => i + 1).join(' ')}`,
        '.PHONY: all',
        'all:',
        '\t@:$(foreach i,$(IDS),$(file >out/$(i),$(V$(i))))',
        '',
      ].join('\n');
      await writeFile(path.join(work, 'Makefile'), makefile, 'utf8');
      const result = await runIn(work, 'make', ['-s', '-f', 'Makefile']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const mismatches: { value: string; got: string }[] = [];
      for (let i = 0; i < values.length; i++) {
        const written = await readFile(path.join(work, 'out', String(i + 1)));
        // $(file >f,text) appends a newline when the text does not end in one; no accepted value does.
        expect(written[written.length - 1]).toBe(0x0a);
        const got = written.subarray(0, written.length - 1);
        if (!got.equals(utf8(values[i])))
          mismatches.push({
            value: show(values[i]),
            got: show(got.toString('utf8')),
          });
      }
      return mismatches;
    }

    /** Assigns each value with `makeShell` and has one recipe line per value print its words. */
    async function makeShellRoundTrip(values: string[], shell: string) {
      const work = await workDir();
      const makefile = [
        `SHELL := ${shell}`,
        ...values.map((value, i) => `V${i + 1} := ${makeShell(value)}`),
        '.PHONY: all',
        'all:',
        // "-" keeps going after a broken line, so every value gets its own verdict.
        ...values.map(
          (_, i) => `\t-@printf '%s\\0' $(V${i + 1}) > out/${i + 1}`,
        ),
        '',
      ].join('\n');
      await writeFile(path.join(work, 'Makefile'), makefile, 'utf8');
      await runIn(work, 'make', ['-s', '-f', 'Makefile']);
      const mismatches: { value: string; got: string }[] = [];
      for (let i = 0; i < values.length; i++) {
        const written = await readFile(
          path.join(work, 'out', String(i + 1)),
        ).catch(() => Buffer.from('(no output)'));
        // Exactly one NUL-terminated word: the shell saw one literal word.
        const expected = Buffer.concat([utf8(values[i]), Buffer.from([0])]);
        if (!written.equals(expected))
          mismatches.push({
            value: show(values[i]),
            got: show(written.toString('utf8')),
          });
      }
      return mismatches;
    }

    it('make: a := assignment expands to exactly the value, or the value is refused for a stated reason', async () => {
      const accepted: string[] = [];
      for (const value of batch()) {
        const out = attempt(make, value);
        const refused = out instanceof EscapingError;
        expect({ value: show(value), refused }).toEqual({
          value: show(value),
          refused: makeCannotKeep(value),
        });
        if (!refused) accepted.push(value);
      }
      expect(await makeRoundTrip(accepted)).toEqual([]);
    });

    it.each(['/bin/sh', '/bin/bash'])(
      'makeShell: a recipe run by %s sees exactly one literal word',
      async shell => {
        const accepted: string[] = [];
        for (const value of batch()) {
          const out = attempt(makeShell, value);
          const refused = out instanceof EscapingError;
          // The shell quoting protects blanks and backslashes; only control characters remain unkeepable.
          expect({ value: show(value), refused }).toEqual({
            value: show(value),
            refused: CONTROL.test(value),
          });
          if (!refused) accepted.push(value);
        }
        expect(await makeShellRoundTrip(accepted, shell)).toEqual([]);
      },
    );

    const backslashHashValues = [
      'a\\#b',
      '\\#',
      'a \\# b',
      '\\\\#',
      "it\\'s \\#1",
    ];

    // Genuine defect in make(): it escapes "#" but not the backslashes in front of it. For the value
    // a<backslash>#b it writes a<backslash><backslash>#b; Make halves a backslash run before "#" and,
    // the run being even, reads "#" as a comment, so the variable holds a<backslash>. Each backslash
    // right before "#" needs doubling before the "#" is escaped.
    it('make: keeps a backslash that comes right before "#"', async () => {
      expect(await makeRoundTrip(backslashHashValues)).toEqual([]);
    });

    // Same defect through makeShell: the comment swallows the closing quote, and the recipe fails
    // with "Unterminated quoted string".
    it('makeShell: keeps a backslash that comes right before "#"', async () => {
      expect(
        await makeShellRoundTrip(backslashHashValues, '/bin/bash'),
      ).toEqual([]);
    });

    it('refuses newlines, edge blanks and a trailing backslash with an EscapingError', () => {
      for (const value of ['a\nb', '\r', ' a', 'a ', '\ta', 'a\\', '\u0000']) {
        expect(() => make(value)).toThrow(EscapingError);
      }
      expect(() => makeShell('a\nb')).toThrow(EscapingError);
      expect(makeShell(' a\\')).toBe(`' a\\'`);
      expect(() => make(null)).toThrow(EscapingError);
    });
  });

  describe('yaml', () => {
    const parseValue = (out: string, version?: '1.1' | '1.2') =>
      parseYaml(`k: ${out}`, version ? { version } : {});

    it('strings parse back to themselves (YAML 1.2 and 1.1)', () => {
      fc.assert(
        fc.property(arbitraryString, value => {
          const out = yaml(value);
          expect(parseValue(out)).toEqual({ k: value });
          expect(parseValue(out, '1.1')).toEqual({ k: value });
        }),
        { numRuns: 500, examples: NASTY.map(v => [v] as [string]) },
      );
    });

    it("writes exactly what the yaml library's double-quoted style writes", () => {
      // The filter writes printable ASCII without building a YAML document; it must not differ
      // by one byte from the library it stands in for.
      const library = (text: string) =>
        stringify(text, {
          defaultStringType: 'QUOTE_DOUBLE',
          defaultKeyType: 'PLAIN',
          lineWidth: 0,
        }).replace(/\n$/, '');
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({
              unit: fc
                .integer({ min: 0x20, max: 0x7e })
                .map(c => String.fromCharCode(c)),
            }),
            fc.string({
              unit: fc.constantFrom(
                '"',
                '\\',
                ' ',
                '%',
                '-',
                '.',
                '#',
                ':',
                'a',
              ),
            }),
            arbitraryString,
          ),
          value => {
            fc.pre(isWellFormedUnicode(value));
            expect(yaml(value)).toBe(library(value));
          },
        ),
        { numRuns: 2000, examples: NASTY.map(v => [v] as [string]) },
      );
    });

    it('numbers and booleans parse back to themselves', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.integer({
              min: Number.MIN_SAFE_INTEGER,
              max: Number.MAX_SAFE_INTEGER,
            }),
            // -0 is written "0"; the difference means nothing in any file we write.
            fc
              .double({ noNaN: true, noDefaultInfinity: true })
              .filter(n => !Object.is(n, -0)),
            fc.boolean(),
          ),
          value => {
            expect(parseValue(yaml(value))).toEqual({ k: value });
          },
        ),
        { numRuns: 500 },
      );
    });

    it.each([
      'no',
      'No',
      'NO',
      'on',
      'off',
      'yes',
      'y',
      'n',
      'true',
      'False',
      '1e3',
      '0o17',
      '0x1f',
      '017',
      '1_000',
      '+1',
      '.5',
      '.inf',
      '-.Inf',
      '.nan',
      '~',
      'null',
      'Null',
      'NULL',
      '',
      ' ',
      '2001-12-14',
      '12:30',
      '<<',
      '*a',
      '&a',
      '!tag',
      '@x',
      '%x',
      '- x',
      '? x',
      ': x',
      '#x',
      '"',
      "'",
      '|',
      '>',
      '[a]',
      '{a: 1}',
    ])('%j stays a string', value => {
      expect(parseValue(yaml(value))).toEqual({ k: value });
      expect(parseValue(yaml(value), '1.1')).toEqual({ k: value });
    });

    it('refuses non-finite numbers and non-scalars', () => {
      for (const value of [NaN, Infinity, -Infinity, null, undefined, {}, []]) {
        expect(() => yaml(value)).toThrow(EscapingError);
      }
    });
  });

  describe('kcl', () => {
    /** A strict reader of a KCL double-quoted literal: only \\ and \" escapes, no interpolation, one line. */
    function decodeKclString(literal: string): string {
      if (
        literal.length < 2 ||
        !literal.startsWith('"') ||
        !literal.endsWith('"')
      )
        throw new Error('not a double-quoted literal');
      let text = '';
      for (let i = 1; i < literal.length - 1; i++) {
        const c = literal[i];
        if (c === '\\') {
          i++;
          const next = literal[i];
          if (i >= literal.length - 1 || (next !== '\\' && next !== '"'))
            throw new Error(`escape \\${next} is not allowed`);
          text += next;
        } else if (c === '"') {
          throw new Error('unescaped quote ends the literal early');
        } else if (c === '$') {
          throw new Error('"$" starts interpolation');
        } else if (CONTROL.test(c)) {
          throw new Error('control character in a one-line literal');
        } else {
          text += c;
        }
      }
      return text;
    }

    it('produces a literal that decodes to the value, or refuses "$" and control characters', () => {
      fc.assert(
        fc.property(arbitraryString, value => {
          const out = attempt(kcl, value);
          const refuse = value.includes('$') || CONTROL.test(value);
          expect(out instanceof EscapingError).toBe(refuse);
          expect(
            out instanceof EscapingError ? value : decodeKclString(out),
          ).toBe(value);
        }),
        { numRuns: 500, examples: NASTY.map(v => [v] as [string]) },
      );
    });

    it('the strict reader itself rejects what it should', () => {
      for (const literal of [
        '"a',
        '"a"b"',
        '"\\n"',
        '"${x}"',
        '"a\nb"',
        '"\\"',
      ]) {
        expect(() => decodeKclString(literal)).toThrow();
      }
      expect(decodeKclString('"a\\\\b\\"c"')).toBe('a\\b"c');
    });
  });

  describe('markdown', () => {
    const markdown = new MarkdownIt();
    const decode = (html: string) =>
      html.replace(
        /&(amp|lt|gt|quot);/g,
        (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[name]!,
      );

    function renderParagraph(source: string): string {
      const html = markdown.render(source);
      expect(html.startsWith('<p>') && html.endsWith('</p>\n')).toBe(true);
      return html.slice('<p>'.length, -'</p>\n'.length);
    }

    it('md: inline text renders as exactly the value, with no markup', () => {
      fc.assert(
        fc.property(arbitraryString, value => {
          const out = attempt(md, value);
          expect(out instanceof EscapingError).toBe(CONTROL.test(value));
          if (out instanceof EscapingError) return;
          // A paragraph drops its leading and trailing whitespace (CommonMark strips spaces and
          // tabs; markdown-it trims all Unicode whitespace) and an empty value makes no paragraph.
          // Escaping cannot change that, so those values are outside this check.
          if (value === '' || /^\s|\s$/.test(value)) return;
          const inner = renderParagraph(out as string);
          expect(inner).not.toMatch(/<[a-z]/); // no element: only text
          expect(decode(inner)).toBe(value);
        }),
        { numRuns: 500, examples: NASTY.map(v => [v] as [string]) },
      );
    });

    it('mdCode: renders one code span holding exactly the value', () => {
      fc.assert(
        fc.property(arbitraryString, value => {
          const out = attempt(mdCode, value);
          // A code span cannot show an empty or blank value, so mdCode refuses those too.
          expect(out instanceof EscapingError).toBe(
            CONTROL.test(value) || value.trim() === '',
          );
          if (out instanceof EscapingError) return;
          // markdown-it strips a code span's padding with /^ (.+) $/, whose `.` skips
          // U+2028/U+2029, so padded spans holding those are checked by the CommonMark-form test below.
          if (/^ *$/.test(value)) return;
          const content = (out as string).replace(/^`+|`+$/g, '');
          if (/^ [^]* $/.test(content) && /[\u2028\u2029]/.test(value)) return;
          const inner = renderParagraph(out as string);
          const match = /^<code>([^]*)<\/code>$/.exec(inner);
          expect(match).not.toBeNull();
          expect(decode(match![1])).toBe(value);
        }),
        { numRuns: 500, examples: NASTY.map(v => [v] as [string]) },
      );
    });

    describe('md under GFM autolinking (issue 18, finding 7)', () => {
      const LINKY = [
        'see http://evil.example/x and www.evil.example',
        '![x](https://evil.example/i.png)',
        '[click](javascript:alert(1))',
        'mail admin@evil.example or mailto:x@y.z, xmpp:a@b.c',
        'http://localhost:7007/api and //localhost/x',
        'bare evil.example and https://[::1]/',
        'e.g. www.x.y/z?q=1#f.',
        '<https://evil.example>',
      ];
      const urlish = fc
        .tuple(
          fc.constantFrom('', 'see ', '(', '*', '_', '~'),
          fc.constantFrom(
            'http://',
            'https://',
            'www.',
            '//',
            'mailto:',
            'a@',
            'ftp://',
            '',
          ),
          fc.stringMatching(/^[a-z0-9.@:/_-]{1,30}$/),
          fc.constantFrom('', '.', ')', ' x'),
        )
        .map(parts => parts.join(''));

      it('markdown-it with linkify (GFM tables, strikethrough, autolinks): no link or image, the text unchanged', () => {
        const gfm = new MarkdownIt('commonmark', { linkify: true }).enable([
          'table',
          'strikethrough',
          'linkify',
        ]);
        // Not vacuous: the renderer links these when they are not escaped.
        expect(
          gfm.render('www.evil.example and http://evil.example'),
        ).toContain('<a href');
        fc.assert(
          fc.property(
            fc.oneof(
              urlish,
              arbitraryString.filter(v => !CONTROL.test(v)),
            ),
            value => {
              if (value === '' || /^\s|\s$/.test(value)) return;
              const html = gfm.render(md(value));
              expect(html).not.toMatch(/<(?:a|img)\b/);
              expect(decode(html.replace(/^<p>|<\/p>\n$/g, ''))).toBe(value);
            },
          ),
          { numRuns: 1000, examples: LINKY.map(v => [v] as [string]) },
        );
      });

      it('micromark with micromark-extension-gfm (what remark-gfm renders with): no link or image', async () => {
        const values = [
          ...LINKY,
          ...fc.sample(urlish, { numRuns: 300, seed: 18 }),
        ];
        // ESM-only packages: rendered in a child node process.
        const script = `import { micromark } from 'micromark'; import { gfm, gfmHtml } from 'micromark-extension-gfm';
          let d = ''; process.stdin.on('data', c => (d += c)); process.stdin.on('end', () => process.stdout.write(JSON.stringify(JSON.parse(d).map(s => micromark(s, { extensions: [gfm()], htmlExtensions: [gfmHtml()] })))));`;
        const render = async (sources: string[]) => {
          const result = await run(
            process.execPath,
            ['--input-type=module', '-e', script],
            {
              input: JSON.stringify(sources),
              cwd: __dirname,
              env: process.env,
              timeoutMs: 120_000,
            },
          );
          if (result.code !== 0) throw new Error(result.stderr);
          return JSON.parse(result.stdout) as string[];
        };
        // Not vacuous: micromark's GFM links them when they are not escaped.
        expect(
          (
            await render([
              'www.evil.example and http://evil.example and a@b.co',
            ])
          ).join(''),
        ).toMatch(/(<a href[^]*){3}/);
        const html = await render(values.map(v => md(v)));
        const linked = values.filter((_, i) => /<(?:a|img)\b/.test(html[i]));
        expect(linked).toEqual([]);
      });
    });

    it('mdCode: values with U+2028/U+2029 get the CommonMark padding', () => {
      expect(mdCode(' a\u2028b ')).toBe('`  a\u2028b  `');
      expect(mdCode('a\u2029b')).toBe('`a\u2029b`');
      expect(renderParagraph(mdCode('a\u2029b'))).toBe('<code>a\u2029b</code>');
    });

    it('refuses control characters and non-scalars', () => {
      for (const value of [
        'a\nb',
        '\r',
        '\u0000',
        '\u001b[31m',
        '\t',
        null,
        undefined,
        {},
      ]) {
        expect(() => md(value)).toThrow(EscapingError);
        expect(() => mdCode(value)).toThrow(EscapingError);
      }
    });
  });

  describe('int', () => {
    it('writes safe integers as themselves', () => {
      fc.assert(
        fc.property(
          fc.integer({
            min: Number.MIN_SAFE_INTEGER,
            max: Number.MAX_SAFE_INTEGER,
          }),
          n => {
            const out = int(n);
            expect(out).toMatch(/^-?(?:0|[1-9][0-9]*)$/);
            expect(Number(out)).toBe(n);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('refuses non-integers', () => {
      fc.assert(
        fc.property(
          fc.double().filter(n => !Number.isInteger(n)),
          n => {
            expect(() => int(n)).toThrow(EscapingError);
          },
        ),
        { numRuns: 300 },
      );
    });

    it.each([
      NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      1.5,
      '1',
      '443',
      '',
      null,
      undefined,
      true,
      {},
      [1],
    ])('refuses %p', value => {
      expect(() => int(value)).toThrow(EscapingError);
    });

    // Genuine defect: int() builds its message with JSON.stringify, which itself throws a TypeError
    // for a BigInt ("Do not know how to serialize a BigInt") or a circular object, so the caller
    // gets a TypeError instead of the promised EscapingError.
    it('refuses a BigInt with an EscapingError', () => {
      expect(() => int(BigInt(1))).toThrow(EscapingError);
    });

    it('refuses a circular object with an EscapingError', () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      expect(() => int(circular)).toThrow(EscapingError);
    });
  });
});
