import { matchesRule } from '../../parameters/fieldRules';
import { SecretsProvider } from '../references';
import { referenceSegmentsOf } from '../validationInput';
import { Rule, ValidationInput, Violation } from './types';
import { vocabulary, Vocabulary } from './masking';

/*
 * How vals reads a reference (helmfile/vals, pkg/expansion/expand_match.go and vals.go):
 * - it finds `((secret)?ref)\+([^\+:]*:\/\/[^\+\n ]+[^\+\n ",])\+?` anywhere in a string value:
 *   the reference ends at `+`, a newline or a space (older releases only at `+`), and an
 *   optional trailing `+` is its explicit end, consumed with it;
 * - nested `ref+` prefixes with no separator between them are resolved inside out;
 * - the URI goes through Go's `net/url.Parse`: the scheme is lower-cased, the host is the
 *   1Password vault, `%XX` escapes are decoded, `?...` becomes provider options and `#...` the
 *   fragment;
 * - `ref+op://` (pkg/providers/onepassword) resolves `op://HOST/PATH` through the 1Password
 *   SDK (or `op read`), and has no fragment support ("path fragment is not supported");
 * - `ref+onepasswordconnect://` (pkg/providers/onepasswordconnect) splits `HOST/PATH` on `/`,
 *   fetches item PATH[1] from vault PATH[0] (further segments are ignored) and picks the field
 *   named by the fragment, `#/FIELD` or `#/SECTION.FIELD`, from a flat map.
 *
 * 1Password's secret-reference syntax (developer.1password.com/docs/cli/secret-reference-syntax):
 * `op://VAULT/ITEM/[SECTION/]FIELD`, case-insensitive, names of letters, digits, `-`, `_`, `.`
 * and spaces (quoted), `/` as the separator; any other character needs the ID instead of the
 * name; options such as `?attribute=otp` or `?ssh-format=openssh` follow a `?`. Through vals, a
 * space ends the reference and the query never reaches 1Password, so neither can be used.
 *
 * The 1Password JavaScript SDK (@1password/sdk >= 0.4) has an offline check,
 * `Secrets.validateSecretReference`, that needs no token or network (a synchronous call into
 * its WebAssembly core). We do not use it: it is not a dependency of this package (a WASM core
 * of several megabytes for one check), and it accepts references vals cannot carry (spaces,
 * `?attribute=`), so the stricter parser below is needed anyway.
 */

/** vals' `DefaultRefRegexp` (helmfile/vals pkg/expansion/expand_match.go, 2026). */
export const VALS_REF_REGEXP =
  /((secret)?ref)\+([^+:]*:\/\/[^+\n ]+[^+\n ",])\+?/;

/** A 1Password reference as vals and 1Password read it. */
export interface OnePasswordReference {
  provider: SecretsProvider;
  vault: string;
  item: string;
  section?: string;
  field: string;
}

export type ParseResult =
  | { ok: true; reference: OnePasswordReference; problems: [] }
  | { ok: false; problems: string[] };

/** Names of items, sections and fields: 1Password's characters without the space vals cannot carry. */
const NAME = /^[A-Za-z0-9_.-]+$/;

const HOW_TO_WRITE: Record<SecretsProvider, string> = {
  op: 'ref+op://VAULT/ITEM/FIELD or ref+op://VAULT/ITEM/SECTION/FIELD',
  onepasswordconnect:
    'ref+onepasswordconnect://VAULT/ITEM#/FIELD or ref+onepasswordconnect://VAULT/ITEM#/SECTION.FIELD',
};

/** Where a `ref+` or `secretref+` starts in a string, and what comes after it. */
export interface ReferenceCandidate {
  index: number;
  prefix: 'ref' | 'secretref';
  /** Text from the prefix to the end of the line or the first quote. */
  text: string;
  /** Another `ref+` follows with no separator: vals resolves it first (a nested reference). */
  nested: boolean;
  /** The provider written before `://` (lower-cased, as Go's URL parser does), if any. */
  scheme?: string;
}

/** Every `ref+`/`secretref+` prefix of a string. */
export function findReferenceCandidates(value: string): ReferenceCandidate[] {
  const prefix = /(secret)?ref\+/g;
  const found: { index: number; end: number; secret: boolean }[] = [];
  for (let m = prefix.exec(value); m; m = prefix.exec(value)) {
    found.push({
      index: m.index,
      end: m.index + m[0].length,
      secret: m[1] !== undefined,
    });
  }
  return found.map((f, i) => {
    // A reference ends at the end of the line or at a quote (which no 1Password name can hold).
    const end = /[\n"'`]/.exec(value.slice(f.index));
    const text = value.slice(f.index, end ? f.index + end.index : undefined);
    const next = found[i + 1];
    const between = next ? value.slice(f.end, next.index) : undefined;
    const nested = between !== undefined && !/[\s",']/.test(between);
    const scheme = /^([^+:\s/]*):\/\//
      .exec(value.slice(f.end))?.[1]
      ?.toLowerCase();
    return {
      index: f.index,
      prefix: f.secret ? 'secretref' : 'ref',
      text,
      nested,
      scheme,
    };
  });
}

function isOnePasswordScheme(
  scheme: string | undefined,
): scheme is SecretsProvider {
  return scheme === 'op' || scheme === 'onepasswordconnect';
}

/**
 * Parses one reference the way vals and 1Password read it. `text` starts with `ref+`; it may end
 * with vals' explicit `+` terminator, and anything after the reference on the same line is
 * treated as part of it (so a space or `+` inside a name is reported, not silently cut).
 */
export function parseReference(
  text: string,
  names: Vocabulary = vocabulary(),
): ParseResult {
  const problems: string[] = [];
  const afterPrefix = text.replace(/^ref\+/, '');
  const schemeMatch = /^([^+:\s/]*):\/\//.exec(afterPrefix);
  if (!schemeMatch) {
    return {
      ok: false,
      problems: [
        `vals does not recognise it as a reference: it needs PROVIDER:// after ref+, as in ${HOW_TO_WRITE.op}`,
      ],
    };
  }
  const writtenScheme = schemeMatch[1];
  const scheme = writtenScheme.toLowerCase();
  if (!isOnePasswordScheme(scheme)) {
    return {
      ok: false,
      problems: [
        `ref+${names.bare(writtenScheme)} is not a 1Password provider of vals`,
      ],
    };
  }
  if (writtenScheme !== scheme) {
    problems.push(
      `the provider is written "${writtenScheme}"; write it in lower case, "${scheme}"`,
    );
  }

  let body = afterPrefix.slice(schemeMatch[0].length).replace(/\s+$/, '');
  const plus = body.indexOf('+');
  if (plus !== -1) {
    const after = body.slice(plus + 1);
    if (after !== '' && !/^\s/.test(after)) {
      problems.push(
        '"+" ends a vals reference, so everything after it is left as plain text; names must not contain "+" (use the item or field ID)',
      );
    }
    body = body.slice(0, plus);
  }
  if (/\s/.test(body)) {
    // What follows the space is not part of the reference (and could be anything): stop here.
    problems.push(
      'it contains a space: vals ends the reference at the first space (1Password allows spaces only in quoted references, which vals cannot pass); rename without spaces or use the ID',
    );
    return { ok: false, problems };
  }
  if (body.includes('%')) {
    problems.push(
      'it contains "%": vals decodes %XX escapes before 1Password sees the name; write names literally or use the ID',
    );
  }

  const hash = body.indexOf('#');
  const fragment = hash === -1 ? undefined : body.slice(hash + 1);
  let beforeFragment = hash === -1 ? body : body.slice(0, hash);
  const question = beforeFragment.indexOf('?');
  const query =
    question === -1 ? undefined : beforeFragment.slice(question + 1);
  if (question !== -1) beforeFragment = beforeFragment.slice(0, question);
  const slash = beforeFragment.indexOf('/');
  const authority =
    slash === -1 ? beforeFragment : beforeFragment.slice(0, slash);
  const pathPart = slash === -1 ? '' : beforeFragment.slice(slash + 1);

  if (query !== undefined) {
    // Only the parameter names: a query value can be a token (some vals providers take one).
    const params = query.split('&').map(p => p.split('=')[0]);
    problems.push(
      `it has the query "?${params.map(n => `${names.bare(n)}=…`).join('&')}": vals takes it as provider options and never passes it to 1Password (so ?attribute= or ?ssh-format= do not work); remove it`,
    );
  }
  let vault = authority;
  if (authority.includes('@')) {
    problems.push(
      'it has "@" in the vault part: Go\'s URL parser takes the text before "@" as a user name and drops it',
    );
    vault = authority.slice(authority.lastIndexOf('@') + 1);
  }
  if (vault.includes(':')) {
    problems.push(
      'it has ":" in the vault part: Go\'s URL parser reads it as a port',
    );
  }
  if (vault === '') {
    problems.push('the vault is missing');
  } else if (!matchesRule('vault', vault.trim())) {
    problems.push(
      `the vault ${names.show(vault)} cannot be a URI host: vals reads the vault from the host part, which takes 1-63 letters, digits and hyphens (no spaces, not starting or ending with a hyphen); rename the vault or use its ID`,
    );
  }

  const segments = pathPart === '' ? [] : pathPart.split('/');
  let item: string | undefined;
  let section: string | undefined;
  let field: string | undefined;

  if (scheme === 'op') {
    if (fragment !== undefined) {
      problems.push(
        `it has a fragment (#${names.bare(fragment)}): the ref+op provider of vals rejects fragments ("path fragment is not supported"); write the field as a path segment, ${HOW_TO_WRITE.op}`,
      );
    }
    if (segments.length < 2 || segments.length > 3) {
      problems.push(
        `it has ${segments.length} path segment(s) after the vault; ref+op needs ITEM/FIELD or ITEM/SECTION/FIELD (${HOW_TO_WRITE.op})`,
      );
    } else {
      item = segments[0];
      field = segments[segments.length - 1];
      section = segments.length === 3 ? segments[1] : undefined;
    }
  } else {
    if (segments.length !== 1) {
      problems.push(
        `it has ${segments.length} path segment(s) after the vault; ref+onepasswordconnect takes exactly the ITEM (vals ignores any further segment) and the field in the fragment (${HOW_TO_WRITE.onepasswordconnect})`,
      );
    } else {
      item = segments[0];
    }
    if (fragment === undefined || fragment === '') {
      problems.push(
        `it has no fragment naming the field; ref+onepasswordconnect needs #/FIELD (${HOW_TO_WRITE.onepasswordconnect})`,
      );
    } else if (!fragment.startsWith('/')) {
      problems.push(
        `the fragment must start with "/": #/${names.bare(fragment)}`,
      );
    } else {
      const key = fragment.slice(1);
      if (key.includes('/')) {
        problems.push(
          `the fragment (#${names.bare(fragment)}) has more than one key: 1Password Connect fields form a flat map, so vals finds nothing (and by default returns an empty string); write #/FIELD or #/SECTION.FIELD`,
        );
      } else {
        const dot = key.indexOf('.');
        section = dot === -1 ? undefined : key.slice(0, dot);
        field = dot === -1 ? key : key.slice(dot + 1);
      }
    }
  }

  for (const [what, name] of [
    ['item', item],
    ['section', section],
    ['field', field],
  ] as const) {
    if (name === undefined) continue;
    if (name === '')
      problems.push(
        `the ${what} name is empty (two "/" in a row or a trailing "/")`,
      );
    else if (!NAME.test(name.trim())) {
      const bad = [...new Set(name.replace(/[A-Za-z0-9_.\-\s]/g, ''))]
        .map(c => JSON.stringify(c))
        .join(', ');
      if (bad) {
        problems.push(
          `the ${what} ${names.show(name)} contains ${bad}: 1Password references take only letters, digits, "-", "_" and "."; rename it or use the ${what} ID`,
        );
      }
    }
  }

  if (problems.length > 0 || item === undefined || field === undefined) {
    return {
      ok: false,
      problems:
        problems.length > 0
          ? problems
          : ['it is not a complete 1Password reference'],
    };
  }
  const reference: OnePasswordReference = {
    provider: scheme,
    vault,
    item,
    field,
  };
  if (section !== undefined) reference.section = section;
  return { ok: true, reference, problems: [] };
}

/** The text of a valid reference for the chosen provider. */
export function formatReference(r: OnePasswordReference): string {
  const path = r.section ? `${r.section}/${r.field}` : r.field;
  return r.provider === 'op'
    ? `ref+op://${r.vault}/${r.item}/${path}`
    : `ref+onepasswordconnect://${r.vault}/${r.item}#/${r.section ? `${r.section}.${r.field}` : r.field}`;
}

/**
 * Rule `referenceSyntax`: every `ref+op://` and `ref+onepasswordconnect://` reference in text
 * that tools read (YAML values, Makefile and script lines, Markdown code blocks) parses the
 * way vals and 1Password parse it. Nested references and `secretref+` are left to
 * `forbiddenProviders`.
 */
export const referenceSyntax: Rule = async (input: ValidationInput) => {
  const violations: Violation[] = [];
  const names = vocabulary(input.expected);
  for (const segment of referenceSegmentsOf(input)) {
    if (segment.kind !== 'value') continue;
    for (const candidate of findReferenceCandidates(segment.text)) {
      if (candidate.prefix !== 'ref' || candidate.nested) continue;
      const startsLikeOnePassword = /^ref\+(op|onepasswordconnect)\b/i.test(
        candidate.text,
      );
      if (!isOnePasswordScheme(candidate.scheme) && !startsLikeOnePassword)
        continue;
      const parsed = parseReference(candidate.text, names);
      if (parsed.ok) continue;
      const shown = names.reference(candidate.text);
      violations.push({
        file: segment.file,
        line: segment.line,
        rule: 'referenceSyntax',
        message: `${shown} is not a reference vals and 1Password can resolve: ${parsed.problems.join('; ')}`,
        fix: `write ${HOW_TO_WRITE[input.expected.provider]} with a vault of letters, digits and hyphens and names of letters, digits, "-", "_" and "."`,
      });
    }
  }
  return violations;
};
