/**
 * What a secret looks like, in one place: the plaintext-secrets rule of the secrets-layout
 * validator scans rendered files with {@link findSecrets}, and the parameter model refuses a
 * form value for which {@link formValueSecret} finds anything, in every environment.
 *
 * The detectors are compositional: the entropy-based ones judge only *atoms*, maximal runs of
 * ASCII letters and digits. The kits join values with punctuation (`/`, `-`, `.`, `:`, `=`) and
 * never glue a value to letters or digits, so an atom of a rendered file is an atom of one value
 * or of the kit's own text. A value the model accepts therefore cannot make the validator see a
 * random-looking atom that was not already there (`homelab-k8s` inside the default state key
 * `unifi-cloudflare-glue/production/homelab-k8s/terraform.tfstate` is the atom `k8s`).
 * src/secrets/secretShapes.test.ts proves it with a property test over the model's value space.
 */

/** Shannon entropy of a string, in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Atoms shorter than this are never judged by entropy alone. */
export const MIN_ENTROPY_TOKEN_LENGTH = 20;
/** A Cloudflare-token-like string needs a random-looking atom at least this long. */
export const MIN_MIXED_ATOM_LENGTH = 10;

/**
 * The entropy a token must reach to look random. A random string of n characters drawn from 62
 * or more symbols has about log2(n) bits when n is small (few repeats) and approaches the
 * alphabet's limit as n grows, so the bar follows log2(n) and is capped at 4.2 bits (random
 * letters and digits reach 4.8 at 40 characters).
 */
export function entropyThreshold(length: number): number {
  return Math.min(4.2, Math.log2(length) - 0.6);
}

/** A word, optionally capitalised and numbered (`homelab`, `Infrastructure2024`, `v0`). */
const WORD = /^[A-Za-z]?[a-z]*[0-9]*$/;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Whether an atom (letters and digits only) looks random: at least `minLength` long, letters
 * and digits mixed, not a (numbered) word, not hexadecimal (account IDs, commit hashes, UUID
 * parts), and above the entropy bar.
 */
export function looksRandomAtom(
  atom: string,
  minLength = MIN_ENTROPY_TOKEN_LENGTH,
): boolean {
  if (atom.length < minLength || WORD.test(atom) || HEX.test(atom))
    return false;
  if (!/[0-9]/.test(atom) || !/[A-Za-z]/.test(atom)) return false;
  return shannonEntropy(atom) >= entropyThreshold(atom.length);
}

/** The atoms of a text: maximal runs of ASCII letters and digits, with where they start. */
export function atomsOf(text: string): { atom: string; index: number }[] {
  return [...text.matchAll(/[A-Za-z0-9]+/g)].map(m => ({
    atom: m[0],
    index: m.index!,
  }));
}

/** Whether any atom of a token looks random (see {@link looksRandomAtom}). */
export function looksRandom(
  token: string,
  minLength = MIN_ENTROPY_TOKEN_LENGTH,
): boolean {
  return atomsOf(token).some(({ atom }) => looksRandomAtom(atom, minLength));
}

/** An atom with upper case, lower case and digits that looks random: the core of an API token. */
function mixedRandomAtom(atom: string): boolean {
  return (
    /[A-Z]/.test(atom) &&
    /[a-z]/.test(atom) &&
    /[0-9]/.test(atom) &&
    looksRandomAtom(atom, MIN_MIXED_ATOM_LENGTH)
  );
}

/** One secret-looking span of a text. */
export interface SecretFinding {
  start: number;
  end: number;
  /** What it looks like, with an article: "an AWS access key ID". */
  what: string;
  /** The matched text. Never print it: see `maskSecret`. */
  secret: string;
  /** True when not even the first characters may be shown (a PEM header says nothing). */
  hide: boolean;
}

interface Detector {
  what: string;
  pattern: RegExp;
  /** Which capture group holds the secret (0 for the whole match). */
  group?: number;
  accept?: (secret: string) => boolean;
  hide?: boolean;
}

const DETECTORS: Detector[] = [
  {
    what: 'a PEM private key block',
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g,
    hide: true,
  },
  {
    what: 'an AWS access key ID',
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  },
  // Service-account tokens are `ops_` followed by base64 of a JSON document (so `ops_eyJ...`).
  {
    what: 'a 1Password service-account token',
    pattern: /\bops_[A-Za-z0-9+/=_-]{20,}/g,
  },
  // GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab, Slack, Stripe and npm tokens.
  {
    what: 'a GitHub token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{22,})/g,
  },
  { what: 'a GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { what: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { what: 'a Stripe key', pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { what: 'an npm token', pattern: /\bnpm_[A-Za-z0-9]{30,}/g },
  {
    what: 'an AWS secret access key',
    pattern:
      /(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key|secret_key|secretaccesskey)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  {
    // AWS secret access keys are 40 characters of base64. AWS's documented example has no
    // random-looking atom, so the whole run is judged: mixed classes, above 4.5 bits (word paths
    // stay near 4.0-4.3), and no word among its atoms: a path or URL the kits build holds words
    // of their own ("com", "main", "tree"), so values joined into one cannot look like a key.
    what: 'an AWS-secret-access-key-like string',
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    accept: token =>
      /[A-Z]/.test(token) &&
      /[a-z]/.test(token) &&
      /[0-9]/.test(token) &&
      shannonEntropy(token) >= 4.5 &&
      atomsOf(token).every(({ atom }) => atom.length < 3 || !WORD.test(atom)),
  },
  {
    // Cloudflare API tokens are 40 characters of letters, digits, "-" and "_".
    what: 'a Cloudflare-API-token-like string',
    pattern: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])/g,
    accept: token => atomsOf(token).some(({ atom }) => mixedRandomAtom(atom)),
  },
  {
    what: 'a high-entropy string',
    pattern: /[A-Za-z0-9]{20,}/g,
    accept: atom => looksRandomAtom(atom),
  },
];

/** The detectors' patterns, for the test that holds {@link couldHoldASecret} to them. */
export const DETECTOR_PATTERNS: readonly RegExp[] = DETECTORS.map(
  d => d.pattern,
);

/** 1Password references are where secrets belong; their text is never judged. */
const ONEPASSWORD_REFERENCE =
  /(?:secret)?ref\+(?:op|onepasswordconnect):\/\/[^\s"'`]*/gi;

/** Literal prefixes of tokens whose body may hold fewer than 20 letters and digits in a row. */
const SHORT_BODIED_PREFIXES = [
  'ops_',
  'github_pat_',
  'glpat-',
  'xox',
  'k_live_',
  'k_test_',
];

/** The literal markers a detector needs: the PEM header and the short-bodied token prefixes. */
const LITERAL_MARKERS = ['-----BEGIN', ...SHORT_BODIED_PREFIXES];

/**
 * Walks `text` once and calls `atRun(i)` at each index where a run long enough for a detector
 * has been reached: 20 letters and digits, 40 of base64 or 40 of letters, digits, `_` and `-`;
 * stops when `atRun` returns true. Any other character, a line break included, ends a run.
 */
function scanRuns(text: string, atRun: (index: number) => boolean): void {
  let alnum = 0;
  let base64 = 0;
  let token = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      alnum++;
      base64++;
      token++;
    } else {
      alnum = 0;
      // "/", "+" and "=" continue a base64 run; "_" and "-" a token run.
      base64 = c === 47 || c === 43 || c === 61 ? base64 + 1 : 0;
      token = c === 95 || c === 45 ? token + 1 : 0;
    }
    if ((alnum >= 20 || base64 >= 40 || token >= 40) && atRun(i)) return;
  }
}

/**
 * What at least one detector needs somewhere in the text, so a line without it is not scanned
 * twelve times: the PEM header; a literal prefix of a token whose body may be short on letters
 * and digits (`ops_`, `github_pat_`, `glpat-`, `xox`, `sk_live_`...); or a run that the
 * remaining patterns cannot match without: 20 letters and digits (AWS key IDs, GitHub, npm and
 * high-entropy atoms), 40 of base64 (AWS secret keys) or 40 of letters, digits, `_` and `-`
 * (Cloudflare-like tokens). One pass over the text (a regular expression of these alternatives
 * would try every one at every position). src/secrets/findSecretsGate.test.ts checks that
 * every line a detector's pattern matches passes.
 */
export function couldHoldASecret(text: string): boolean {
  let run = false;
  scanRuns(text, () => (run = true));
  return run || LITERAL_MARKERS.some(marker => text.includes(marker));
}

/**
 * The lines (0-based, lines as `split(/\r?\n/)` makes them) on which {@link couldHoldASecret}
 * is true, in order, from one pass over the whole text and one search per literal marker: a
 * file's other lines are never split out or looked at again.
 */
export function linesThatCouldHoldASecret(text: string): number[] {
  const lineStarts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1))
    lineStarts.push(at + 1);
  const lineAt = (offset: number) => {
    // The last line start at or before offset.
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  };
  const found = new Set<number>();
  scanRuns(text, i => {
    found.add(lineAt(i));
    return false;
  });
  for (const marker of LITERAL_MARKERS) {
    for (
      let at = text.indexOf(marker);
      at >= 0;
      at = text.indexOf(marker, at + 1)
    )
      found.add(lineAt(at));
  }
  return [...found].sort((a, b) => a - b);
}

/** Every secret-looking span of one line of a file, in order, one finding per span. */
export function findSecrets(line: string): SecretFinding[] {
  // Most lines of a kit hold nothing a detector needs: one pass, before any copy.
  if (!couldHoldASecret(line)) return [];
  // Blank out references (same length, so columns stay put) before looking.
  const text = line.replace(ONEPASSWORD_REFERENCE, m => ' '.repeat(m.length));
  if (!couldHoldASecret(text)) return [];
  const findings: SecretFinding[] = [];
  for (const detector of DETECTORS) {
    detector.pattern.lastIndex = 0;
    for (
      let m = detector.pattern.exec(text);
      m;
      m = detector.pattern.exec(text)
    ) {
      const secret = m[detector.group ?? 0];
      const start = m.index + m[0].indexOf(secret);
      const end = start + secret.length;
      if (detector.accept && !detector.accept(secret)) continue;
      if (findings.some(f => start < f.end && f.start < end)) continue; // one finding per secret
      findings.push({
        start,
        end,
        what: detector.what,
        secret,
        hide: Boolean(detector.hide),
      });
    }
  }
  return findings.sort((a, b) => a.start - b.start);
}

/**
 * What makes a form value look like a secret, or undefined. Stricter than {@link findSecrets}
 * by one rule: a random-looking atom of upper case, lower case and digits is refused from 10
 * characters on, because the kits could join it with other values into a 40-character
 * Cloudflare-token-like string. Unlike {@link findSecrets}, 1Password references are judged too
 * (no form field takes one).
 */
export function formValueSecret(value: string): SecretFinding | undefined {
  // Line breaks become spaces and `ref+` loses its `+` (same lengths, so offsets stay put): the
  // validator reads files line by line, and references are not exempt in a form value.
  const text = value
    .replace(/[\n\r\u2028\u2029\u0085]/g, ' ')
    .replace(/ref\+/gi, m => `${m.slice(0, 3)}_`);
  const finding = findSecrets(text)[0];
  if (finding)
    return { ...finding, secret: value.slice(finding.start, finding.end) };
  const mixed = atomsOf(text).find(({ atom }) => mixedRandomAtom(atom));
  if (!mixed) return undefined;
  return {
    start: mixed.index,
    end: mixed.index + mixed.atom.length,
    what: 'a random-looking token',
    secret: mixed.atom,
    hide: false,
  };
}
