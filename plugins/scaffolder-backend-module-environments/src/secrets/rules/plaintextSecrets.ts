import path from 'node:path';
import { ENV_EXAMPLE, linesOf, maskSecret, Rule, ValidationInput, Violation } from './types';

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

/** Tokens shorter than this are never judged by entropy. */
export const MIN_ENTROPY_TOKEN_LENGTH = 20;

/**
 * The entropy a token must reach to look random. A random string of n characters drawn from 62
 * or more symbols has about log2(n) bits when n is small (few repeats) and approaches the
 * alphabet's limit as n grows, so the bar follows log2(n) and is capped at 4.2 bits (random letters and digits reach 4.8 at 40 characters).
 */
export function entropyThreshold(length: number): number {
  return Math.min(4.2, Math.log2(length) - 0.6);
}

/**
 * Whether a token looks like a random secret: long enough, holding digits and letters, not
 * made only of words (optionally numbered) and hexadecimal identifiers, and above the entropy bar.
 */
export function looksRandom(token: string): boolean {
  if (token.length < MIN_ENTROPY_TOKEN_LENGTH) return false;
  // Names and paths made of words (homelab-dns-staging2, v0) and hexadecimal identifiers
  // (key/1234abcd-..., a commit hash, an account ID) are not secrets.
  const parts = token.split(/[-_/=.+]+/).filter(Boolean);
  if (parts.every(part => /^[0-9a-fA-F]+$/.test(part) || /^[A-Za-z]?[a-z]*[0-9]*$/.test(part))) return false;
  const letters = token.replace(/[^A-Za-z0-9]/g, '');
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter(re => re.test(letters)).length;
  if (classes < 2 || !/[0-9]/.test(letters)) return false;
  return shannonEntropy(token) >= entropyThreshold(token.length);
}

interface Finding {
  start: number;
  end: number;
  what: string;
  shown: string;
}

/** 1Password references are where secrets belong; their text is never judged. */
const ONEPASSWORD_REFERENCE = /(?:secret)?ref\+(?:op|onepasswordconnect):\/\/[^\s"'`]*/gi;

interface Detector {
  what: string;
  pattern: RegExp;
  /** Which capture group holds the secret (0 for the whole match). */
  group?: number;
  accept?: (secret: string) => boolean;
  /** Print nothing of the match (for blocks whose first characters say nothing). */
  hide?: boolean;
}

const DETECTORS: Detector[] = [
  { what: 'a PEM private key block', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g, hide: true },
  { what: 'an AWS access key ID', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  // Service-account tokens are `ops_` followed by base64 of a JSON document (so `ops_eyJ...`).
  { what: 'a 1Password service-account token', pattern: /\bops_[A-Za-z0-9+/=_-]{20,}/g },
  {
    what: 'an AWS secret access key',
    pattern:
      /(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key|secret_key|secretaccesskey)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  {
    // Cloudflare API tokens are 40 characters of letters, digits, "-" and "_".
    what: 'a Cloudflare-API-token-like string',
    pattern: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])/g,
    accept: token => /[A-Z]/.test(token) && /[a-z]/.test(token) && /[0-9]/.test(token) && looksRandom(token),
  },
  {
    what: 'a high-entropy string',
    pattern: /[A-Za-z0-9+/=_-]{20,}/g,
    accept: looksRandom,
  },
];

function findSecrets(line: string): Finding[] {
  // Blank out references (same length, so columns stay put) before looking.
  const text = line.replace(ONEPASSWORD_REFERENCE, m => ' '.repeat(m.length));
  const findings: Finding[] = [];
  for (const detector of DETECTORS) {
    detector.pattern.lastIndex = 0;
    for (let m = detector.pattern.exec(text); m; m = detector.pattern.exec(text)) {
      const secret = m[detector.group ?? 0];
      const start = m.index + m[0].indexOf(secret);
      const end = start + secret.length;
      if (detector.accept && !detector.accept(secret)) continue;
      if (findings.some(f => start < f.end && f.start < end)) continue; // one finding per secret
      findings.push({ start, end, what: detector.what, shown: detector.hide ? '' : maskSecret(secret) });
    }
  }
  return findings.sort((a, b) => a.start - b.start);
}

/** Keys whose value in an example environment file would be a secret. */
const SECRET_NAME = /(TOKEN|KEY|PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIAL|PRIVATE)/i;

function envExampleViolations(file: string, content: string): Violation[] {
  const violations: Violation[] = [];
  linesOf(content).forEach((line, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!m || !SECRET_NAME.test(m[1])) return;
    let value = m[2].trim();
    if (/^["']/.test(value)) value = value.slice(1, value.lastIndexOf(value[0]) > 0 ? value.lastIndexOf(value[0]) : undefined);
    else value = value.replace(/\s+#.*$/, '');
    if (value.trim() === '') return;
    violations.push({
      file,
      line: i + 1,
      rule: 'plaintextSecrets',
      message: `${m[1]} has a value (${maskSecret(value)}) in ${path.posix.basename(file)}, which is committed`,
      fix: `leave it empty (${m[1]}=) and keep the value in 1Password; production reads secrets through vals (SECRETS.md)`,
    });
  });
  return violations;
}

/**
 * Rule `plaintextSecrets`: no file holds a secret in plain text: PEM private keys, AWS access
 * key IDs and secret keys, 1Password service-account tokens, Cloudflare-token-like and other
 * high-entropy strings; `.env.example` gives no value to a secret-named variable. 1Password
 * references are never flagged, and messages show at most the first 4 characters of a finding.
 */
export const plaintextSecrets: Rule = async (input: ValidationInput) => {
  const violations: Violation[] = [];
  for (const file of input.files.values()) {
    linesOf(file.content).forEach((line, i) => {
      for (const finding of findSecrets(line)) {
        violations.push({
          file: file.path,
          line: i + 1,
          rule: 'plaintextSecrets',
          message: `${finding.what}${finding.shown ? ` (${finding.shown})` : ''} is in plain text`,
          fix: 'remove it (and rotate it: it may already be in git history); keep it in 1Password and refer to it with a vals reference',
        });
      }
    });
    if (path.posix.basename(file.path) === ENV_EXAMPLE) violations.push(...envExampleViolations(file.path, file.content));
  }
  return violations;
};
