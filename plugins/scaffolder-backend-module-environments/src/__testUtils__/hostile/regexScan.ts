/**
 * Finds the regular-expression literals in TypeScript source, so a test can run every one of
 * them on adversarial input, including literals added later. A small lexer: it skips comments,
 * strings and template text (but not the code inside `${...}`), and tells a regex literal from
 * a division by the token before the slash.
 */

/** A regular-expression literal found in source. */
export interface FoundRegex {
  source: string;
  flags: string;
  /** 1-based line of the literal. */
  line: number;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'case',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'else',
  'do',
  'yield',
  'await',
]);
const PUNCTUATION_BEFORE_EXPRESSION = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));

/** Every regex literal in `text`, in order. */
export function findRegexLiterals(text: string): FoundRegex[] {
  const found: FoundRegex[] = [];
  let i = 0;
  // What came last in code: a punctuation character, a word, or nothing (start of input).
  let last = '';

  const lineAt = (index: number) => text.slice(0, index).split('\n').length;

  function skipString(quote: string) {
    i++;
    while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
    i++;
  }

  function readRegex() {
    const start = i;
    i++;
    let inClass = false;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '[') {
        inClass = true;
        i++;
      } else if (c === ']') {
        inClass = false;
        i++;
      } else if (c === '/' && !inClass) break;
      else if (c === '\n')
        throw new Error(`Unterminated regex literal at line ${lineAt(start)}`);
      else i++;
    }
    const source = text.slice(start + 1, i);
    i++;
    const flagsStart = i;
    while (i < text.length && /[a-z]/.test(text[i])) i++;
    found.push({
      source,
      flags: text.slice(flagsStart, i),
      line: lineAt(start),
    });
  }

  function template() {
    i++;
    while (i < text.length && text[i] !== '`') {
      if (text[i] === '\\') i += 2;
      else if (text[i] === '$' && text[i + 1] === '{') {
        i += 2;
        last = '{';
        code(true);
        i++; // the closing brace
      } else i++;
    }
    i++;
    last = ')'; // a template literal is a value: a slash after it divides
  }

  function code(untilBrace: boolean) {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        i = text.indexOf('*/', i + 2) + 2;
      } else if (c === "'" || c === '"') {
        skipString(c);
        last = ')';
      } else if (c === '`') {
        template();
      } else if (c === '/') {
        if (
          last === '' ||
          PUNCTUATION_BEFORE_EXPRESSION.has(last) ||
          KEYWORDS_BEFORE_EXPRESSION.has(last)
        ) {
          readRegex();
          last = ')';
        } else {
          i++;
          last = '/';
        }
      } else if (/[A-Za-z_$0-9]/.test(c)) {
        const start = i;
        while (i < text.length && /[A-Za-z_$0-9]/.test(text[i])) i++;
        last = text.slice(start, i);
      } else if (/\s/.test(c)) {
        i++;
      } else {
        if (c === '{') depth++;
        if (c === '}') {
          if (untilBrace && depth === 0) return;
          depth--;
        }
        last = c;
        i++;
      }
    }
  }

  code(false);
  return found;
}
