/**
 * The hostile corpus: values a form field could be filled with to break out of the format it
 * is written into (bash, Make, YAML, KCL, TOML, Markdown), to reach the template engines
 * (Nunjucks, the scaffolder's `${{ }}`), vals, the file system or a slow regular expression.
 *
 * Each value carries its family, so a report can say which kinds of input a field refused.
 * Values are strings: what a form text box can hold. Keys that try prototype pollution are
 * tried separately (see {@link prototypeKeys}).
 */

/** The kind of attack a corpus value stands for. */
export type HostileFamily =
  | 'quote'
  | 'command-substitution'
  | 'newline'
  | 'control'
  | 'ansi'
  | 'make-function'
  | 'make-comment-continuation'
  | 'template-syntax'
  | 'yaml-coercion'
  | 'vals-reference'
  | 'hcl-kcl-interpolation'
  | 'path'
  | 'unicode-lookalike'
  | 'bidi'
  | 'leading-dash'
  | 'glob'
  | 'empty-whitespace'
  | 'oversize'
  | 'prototype'
  | 'slow-regex'
  | 'secret-shaped'
  | 'invisible';

/** One hostile value with its family and a short label for reports. */
export interface HostileValue {
  family: HostileFamily;
  /** A printable name: the value itself is often unprintable or 100 kB long. */
  label: string;
  value: string;
}

const ESC = '\u001b';

const families: Record<
  HostileFamily,
  (string | [label: string, value: string])[]
> = {
  quote: [
    "'",
    '"',
    "it's",
    `x'; rm -rf / #`,
    `x"; rm -rf / #`,
    `'"'"'`,
    `\\'`,
    `\\"`,
    `a\\`,
    `'$(id)'`,
    `"$(id)"`,
    '""',
  ],
  'command-substitution': [
    '$(id)',
    '`id`',
    '$(touch /tmp/hostile-corpus-pwned)',
    '${IFS}id',
    '$((6*7))',
    '<(id)',
    '; id',
    '| id',
    '&& id',
    '$HOME',
    '${PATH}',
    '$0',
    '!!',
  ],
  newline: [
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['CRLF', 'a\r\nb'],
    ['LF only', '\n'],
    ['LF then command', 'x\nid'],
    ['LINE SEPARATOR', 'a\u2028b'],
    ['PARAGRAPH SEPARATOR', 'a\u2029b'],
    ['NEL', 'a\u0085b'],
    ['trailing LF', 'media\n'],
  ],
  control: [
    ['NUL', 'a\u0000b'],
    ['NUL only', '\u0000'],
    ['BEL', 'a\u0007b'],
    ['BS', 'ab\u0008c'],
    ['TAB', 'a\tb'],
    ['VT', 'a\u000bb'],
    ['FF', 'a\u000cb'],
    ['DEL', 'a\u007fb'],
    ['C1 CSI', 'a\u009bb'],
    ['ESC only', ESC],
  ],
  ansi: [
    ['SGR red', `${ESC}[31mred${ESC}[0m`],
    ['clear screen', `${ESC}[2J${ESC}[H`],
    ['OSC title', `${ESC}]0;pwned\u0007`],
    [
      'OSC 8 link',
      `${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`,
    ],
    ['C1 SGR', '\u009b31mred'],
    ['cursor up', `ok${ESC}[1A${ESC}[2Kfake`],
  ],
  'make-function': [
    '$(shell id)',
    '${shell id}',
    '$(info hostile)',
    '$(error hostile)',
    '$(eval X := 1)',
    '$(wildcard /etc/*)',
    '$$',
    '$$HOME',
    '$@',
    '$<',
    '$(NAME)',
    '$(value MAKEFILE_LIST)',
  ],
  'make-comment-continuation': [
    'a # b',
    '#',
    'a\\\nb',
    'a\\#b',
    '\\\\#',
    '\\',
    ' a',
    'a ',
    'a:b',
    'a=b',
    'a;b',
    '%',
    'include /etc/passwd',
    '.PHONY',
  ],
  'template-syntax': [
    '{{ 7*7 }}',
    '{{7*7}}',
    '${{ 7*7 }}',
    '${{ parameters.name }}',
    '${{ secrets.backstageToken }}',
    '{% raw %}x{% endraw %}',
    '{# comment #}',
    '{%- set x = 1 -%}',
    '{{ range.constructor("return process")() }}',
    '{{',
    '}}',
    '{{ p.name | safe }}',
  ],
  'yaml-coercion': [
    'no',
    'on',
    'yes',
    'off',
    'y',
    'true',
    'null',
    '~',
    '1e3',
    '0o17',
    '0x1f',
    '012',
    '.inf',
    '.nan',
    '1_000',
    '2024-01-01',
    '- x',
    'a: b',
    '&anchor',
    '*alias',
    '!!python/object/apply:os.system ["id"]',
    '!!binary aGk=',
    '? x',
    '|',
    '>',
    '[a, b]',
    '{a: b}',
    '---',
    '...',
    '%YAML 1.1',
    '@x',
    '<<: *alias',
  ],
  'vals-reference': [
    'ref+file://etc/passwd',
    'ref+file:///etc/passwd',
    'ref+envsubst://$HOME',
    'secretref+envsubst://$HOME',
    'secretref+file://etc/shadow',
    'ref+op://Infrastructure/cloudflare/token',
    'ref+vault://secret/data/x#/y',
    'x ref+file://etc/passwd',
    'REF+file://etc/passwd',
  ],
  'hcl-kcl-interpolation': [
    '${var.x}',
    '${file("/etc/passwd")}',
    '%{ if true }x%{ endif }',
    '%{x}',
    '$${x}',
    '${option("key")}',
    '${}',
    '{x}',
  ],
  path: [
    '../../etc/passwd',
    '/etc/passwd',
    '..',
    '.',
    'a/../../b',
    '..\\..\\windows',
    'C:\\Windows\\System32',
    '~/.ssh/id_rsa',
    'file:///etc/passwd',
    '%2e%2e%2f',
    '//host/share',
    './x',
    'a/b',
    'etc/passwd',
  ],
  'unicode-lookalike': [
    ['Cyrillic a in example.com', 'ex\u0430mple.com'],
    ['Cyrillic a in a label', 'medi\u0430'],
    ['fullwidth example', '\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com'],
    ['fullwidth dollar paren', '\uff04\uff08id\uff09'],
    ['fullwidth quote', '\uff07'],
    ['ligature fi', '\ufb01le'],
    ['combining accent', 'e\u0301'],
    ['zero-width space', 'a\u200bb'],
    ['BOM', '\ufeffmedia'],
    ['dotted capital I', '\u0130'],
    ['punycode label', 'xn--80ak6aa92e.com'],
    ['emoji', 'media\u{1f600}'],
    ['lone high surrogate', 'a\ud800b'],
    ['lone low surrogate', 'a\udc00b'],
  ],
  bidi: [
    ['RLO', 'a\u202egnp.exe'],
    ['LRI/PDI', '\u2066x\u2069'],
    ['RLM', 'a\u200f'],
    ['LRM', '\u200ea'],
    ['ALM (Arabic letter mark)', 'a\u061cb'],
    ['RLE/PDF', '\u202bx\u202c'],
  ],
  'leading-dash': [
    '-x',
    '--help',
    '-rf',
    '--output=/etc/passwd',
    '-',
    '--',
    '-e x',
    '-n',
    '--kcl-source=/',
  ],
  glob: ['*', '?', '[a-z]', '**/*', '{a,b}', '!(x)', 'a*'],
  'empty-whitespace': [
    ['empty', ''],
    ['space', ' '],
    ['spaces', '   '],
    ['tab only', '\t'],
    ['NBSP', '\u00a0'],
    ['ideographic space', '\u3000'],
    ['spaces around', '  media  '],
  ],
  oversize: [
    ['64 a (label + 1)', 'a'.repeat(64)],
    ['201 a (description + 1)', 'a'.repeat(201)],
    [
      '254-char DNS name',
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
    ],
    ['513 chars', 'x'.repeat(513)],
    ['10 kB', 'a'.repeat(10_000)],
    ['100 kB', 'b'.repeat(100_000)],
    ['100 kB multibyte', '\u00e9'.repeat(100_000)],
  ],
  prototype: [
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '__defineGetter__',
    'valueOf',
  ],
  'slow-regex': [
    ['a x 50000 + !', `${'a'.repeat(50_000)}!`],
    ['- x 50000', '-'.repeat(50_000)],
    ['a. x 25000', 'a.'.repeat(25_000)],
    ['a. x 25000 + !', `${'a.'.repeat(25_000)}!`],
    ['0 x 50000', '0'.repeat(50_000)],
    ['a- x 25000 + !', `${'a-'.repeat(25_000)}!`],
    ['/ x 50000', '/'.repeat(50_000)],
    ['./ x 25000', './'.repeat(25_000)],
    ['backslash x 50000 + x', `${'\\'.repeat(50_000)}x`],
    ['spaces x 50000 + x', `${' '.repeat(50_000)}x`],
    ['ref x 20000', 'ref'.repeat(20_000)],
    ['aa: x 20000', 'aa:'.repeat(20_000)],
  ],
  'secret-shaped': [
    ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    [
      'AWS key pair',
      'AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
    [
      '1Password service-account token',
      'ops_eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSJ9',
    ],
    ['PEM RSA private key header', '-----BEGIN RSA PRIVATE KEY-----'],
    ['PEM OpenSSH private key header', '-----BEGIN OPENSSH PRIVATE KEY-----'],
    [
      'PEM private key with body',
      '-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----END PRIVATE KEY-----',
    ],
    // Issue 18: the shapes the red team pasted into development and staging fields.
    [
      'GitHub personal access token',
      ['ghp', 'R8kz2LqW9mXv4TnB7cYd3FhJ6pQs1GaE5uKx'].join('_'),
    ],
    [
      'GitHub fine-grained token',
      [
        'github',
        'pat',
        '11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdEFGH',
      ].join('_'),
    ],
    [
      'GitHub token in a sentence',
      `deploy with ${['ghp', 'R8kz2LqW9mXv4TnB7cYd3FhJ6pQs1GaE5uKx'].join('_')} please`,
    ],
    ['AWS secret access key alone', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['AWS access key id in a sentence', 'key AKIAIOSFODNN7EXAMPLE for prod'],
    [
      'Slack bot token',
      ['xoxb', '1234567890', '0987654321', 'AbCdEfGhIjKlMnOpQrStUvWx'].join(
        '-',
      ),
    ],
    ['Cloudflare-API-token-like', 'Yh3kR9pLx2Vn7QwT5mBz_8cJd4Fs-6gHa1Ke0uWy'],
    ['random token', 'Tq7Lm2XvR9pK4wZ8nB3cY6hJ'],
    [
      '1Password token in an entity name',
      'group:default/ops_eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSJ9',
    ],
  ],
  // Issue 18: characters that print as nothing (Default_Ignorable_Code_Point, Cf, blanks, tags).
  invisible: [
    ['ZERO WIDTH JOINER', 'media\u200dserver'],
    ['SOFT HYPHEN', 'media\u00adserver'],
    ['MONGOLIAN VOWEL SEPARATOR', 'media\u180eserver'],
    ['COMBINING GRAPHEME JOINER', 'media\u034fserver'],
    ['HANGUL FILLER', 'media\u3164server'],
    ['HANGUL CHOSEONG FILLER', '\u115f'],
    ['BRAILLE PATTERN BLANK', 'media\u2800server'],
    ['VARIATION SELECTOR-16', 'media\ufe0f'],
    ['INHIBIT SYMMETRIC SWAPPING', 'a\u206ab'],
    [
      'TAG LATIN SMALL LETTER A..Z (hidden text)',
      `media${[...'ignore previous'].map(c => String.fromCodePoint(0xe0000 + c.codePointAt(0)!)).join('')}`,
    ],
    ['LANGUAGE TAG', 'a\u{e0001}b'],
    ['CANCEL TAG', 'a\u{e007f}'],
    ['WORD JOINER', 'a\u2060b'],
    ['ARABIC NUMBER SIGN', '\u0600x'],
    ['SHORTHAND FORMAT LETTER OVERLAP', 'a\u{1bca0}b'],
  ],
};

function build(): HostileValue[] {
  const values: HostileValue[] = [];
  for (const [family, entries] of Object.entries(families) as [
    HostileFamily,
    (typeof families)[HostileFamily],
  ][]) {
    for (const entry of entries) {
      const [label, value] =
        typeof entry === 'string' ? [JSON.stringify(entry), entry] : entry;
      values.push({ family, label: `${family}: ${label}`, value });
    }
  }
  return values;
}

/** Every hostile value, in family order. */
export const hostileCorpus: readonly HostileValue[] = build();

/** The secret-shaped values: what must never be echoed in our messages or outputs. */
export const secretShaped: readonly HostileValue[] = hostileCorpus.filter(
  v => v.family === 'secret-shaped',
);

/** Keys that try prototype pollution when added to form values or to a service object. */
export const prototypeKeys = ['__proto__', 'constructor'] as const;

/**
 * Values nested deeper than the scaffolder's template engine takes (256 levels): as an unused
 * form value and inside a service, as arrays and as objects (issue 18).
 */
export function deeplyNested(levels: number, as: 'array' | 'object'): unknown {
  let value: unknown = 'hostile-corpus';
  for (let i = 0; i < levels; i++)
    value = as === 'array' ? [value] : { a: value };
  return value;
}

/** A value for a prototype key: an object that would pollute Object.prototype if merged. */
export const pollutingValue = {
  polluted: 'hostile-corpus',
  prototype: { polluted: 'hostile-corpus' },
};

/** A short printable description of a value, for messages. */
export function show(value: string): string {
  const shown = JSON.stringify(
    value.length > 60 ? `${value.slice(0, 60)}...` : value,
  );
  return value.length > 60 ? `${shown} (${value.length} chars)` : shown;
}
