// Archived verbatim from kit release 0.2.0 (git eb9d0e4, src/escaping/filters.ts); only the imports are
// adapted. Never edit: repositories made by 0.2.0 are merged against exactly this output.
import { stringify } from 'yaml';

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** False when a string holds a lone surrogate (0.2.0's parameters/fieldRules.ts). */
function isWellFormedUnicode(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * Escaping filters, one per output format. Every interpolation in a kit ends in one of these
 * (the kit loader refuses a kit that does not). Each filter either returns text that its format
 * reads back as exactly the input value, or throws an {@link EscapingError}: it never guesses.
 */

export class EscapingError extends Error {
  constructor(filter: string, reason: string) {
    super(`The ${filter} filter cannot represent this value: ${reason}`);
    this.name = 'EscapingError';
  }
}

// C0 and C1 controls; DEL. Tab is refused too: no field allows it.
// eslint-disable-next-line no-control-regex -- the filters refuse control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function asText(filter: string, value: unknown): string {
  if (typeof value === 'string') {
    if (!isWellFormedUnicode(value))
      throw new EscapingError(
        filter,
        'it contains a lone surrogate (not valid Unicode)',
      );
    return value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  throw new EscapingError(
    filter,
    `expected a string, number or boolean, got ${value === null ? 'null' : typeof value}`,
  );
}

/** A single bash word: single-quoted, with embedded single quotes closed and reopened. */
export function bash(value: unknown): string {
  const text = asText('bash', value);
  if (text.includes('\u0000'))
    throw new EscapingError('bash', 'it contains a NUL character');
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The right-hand side of a Make `:=` assignment that expands to exactly the value.
 * `$` doubles, `#` is escaped; newlines, a trailing backslash and surrounding blanks cannot be
 * kept by Make and are refused.
 */
export function make(value: unknown): string {
  const text = asText('make', value);
  if (CONTROL.test(text))
    throw new EscapingError(
      'make',
      'it contains a newline or control character',
    );
  if (/^[ \t]|[ \t]$/.test(text))
    throw new EscapingError(
      'make',
      'it starts or ends with a blank, which Make strips',
    );
  if (/\\$/.test(text))
    throw new EscapingError(
      'make',
      'it ends with a backslash, which Make reads as a line continuation',
    );
  // Make reads `\#` as `#` and `\\` before a `#` as one backslash: double the backslashes
  // that precede a `#`, then escape the `#` itself. The lookbehind starts a match only at the
  // first backslash of a run, which keeps a long run without a `#` linear instead of quadratic.
  return text
    .replace(/\$/g, '$$$$')
    .replace(
      /(?<!\\)(\\*)#/g,
      (_, slashes: string) => `${slashes}${slashes}\\#`,
    );
}

/** A Make variable value that a recipe's shell reads as one literal word. */
export function makeShell(value: unknown): string {
  return make(bash(value));
}

/** A YAML scalar (double-quoted for strings) that parses back to the value. */
export function yaml(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') {
    return asText('yaml', value);
  }
  const text = asText('yaml', value);
  return stringify(text, {
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
    lineWidth: 0,
  }).replace(/\n$/, '');
}

/**
 * A KCL double-quoted string literal. KCL interpolates `${...}` inside strings, so `$` is
 * refused rather than escaped; no field lets one through.
 */
export function kcl(value: unknown): string {
  const text = asText('kcl', value);
  if (CONTROL.test(text))
    throw new EscapingError(
      'kcl',
      'it contains a newline or control character',
    );
  if (text.includes('$'))
    throw new EscapingError(
      'kcl',
      'it contains "$", which KCL reads as string interpolation',
    );
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A TOML basic string: JSON's escapes are TOML's, plus DEL, which TOML requires escaped. */
export function toml(value: unknown): string {
  const text = asText('toml', value);
  return JSON.stringify(text).replace(/\u007f/g, '\\u007f');
}

/**
 * Markdown inline text (CommonMark and GFM): the characters that can start markup anywhere are
 * backslash-escaped, so are those that only mean something at the start of a line (lists,
 * headings, quotes), and leading or trailing blanks are written as character references,
 * which paragraphs do not strip. Plain words and hyphens stay readable in the file.
 */
export function md(value: unknown): string {
  const text = asText('md', value);
  if (CONTROL.test(text))
    throw new EscapingError('md', 'it contains a newline or control character');
  let escaped = text.replace(/[\\`*_[\]<>|&~#!]/g, c => `\\${c}`);
  // GFM autolinks (www.x, http://x, a@b.c) and markdown-it's linkify (bare example.com,
  // //host) need these characters unescaped: a dot or colon before anything but a blank, "@",
  // and a slash before a slash. (A sentence's final dot stays as it is.)
  escaped = escaped.replace(/[.:](?!\s|$)|@|\/(?=\/)/g, c => `\\${c}`);
  escaped = escaped.replace(/^([-+=]|\d+[.)])/, start =>
    /^\d/.test(start)
      ? `${start.slice(0, -1)}\\${start.slice(-1)}`
      : `\\${start}`,
  );
  // trimStart/trimEnd strip exactly what \s matches; /\s+$/ would be quadratic on a long run
  // of inner blanks ("x", 100 000 spaces, "x"), trying the run from every position.
  const refs = (blanks: string) =>
    [...blanks].map(c => `&#${c.codePointAt(0)};`).join('');
  const lead = escaped.length - escaped.trimStart().length;
  if (lead === escaped.length) return refs(escaped);
  const trail = escaped.length - escaped.trimEnd().length;
  return (
    refs(escaped.slice(0, lead)) +
    escaped.slice(lead, escaped.length - trail) +
    refs(escaped.slice(escaped.length - trail))
  );
}

/** A Markdown inline code span long enough to hold any run of backticks in the value. */
export function mdCode(value: unknown): string {
  const text = asText('mdCode', value);
  if (CONTROL.test(text))
    throw new EscapingError(
      'mdCode',
      'it contains a newline or control character',
    );
  if (text.trim() === '')
    throw new EscapingError(
      'mdCode',
      'a code span cannot show an empty or blank value',
    );
  const longest = Math.max(
    0,
    ...(text.match(/`+/g) ?? []).map(run => run.length),
  );
  const fence = '`'.repeat(longest + 1);
  const pad =
    text.startsWith('`') || text.endsWith('`') || text.startsWith(' ')
      ? ' '
      : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** An integer literal, valid in every format we write. */
export function int(value: unknown): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new EscapingError(
      'int',
      `expected a whole number, got a ${typeof value}`,
    );
  }
  return String(value);
}

/** The filters a kit may end an interpolation with, by name. */
export const escapingFilters = {
  bash,
  make,
  makeShell,
  yaml,
  toml,
  kcl,
  md,
  mdCode,
  int,
} as const;

export type EscapingFilterName = keyof typeof escapingFilters;
