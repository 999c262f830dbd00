import path from 'node:path';
import { findSecrets, linesThatCouldHoldASecret } from '../secretShapes';
import {
  ENV_EXAMPLE,
  linesOf,
  maskSecret,
  Rule,
  ValidationInput,
  Violation,
} from './types';
import { vocabulary } from './masking';

export {
  entropyThreshold,
  looksRandom,
  MIN_ENTROPY_TOKEN_LENGTH,
  shannonEntropy,
} from '../secretShapes';

/** Keys whose value in an example environment file would be a secret. */
const SECRET_NAME =
  /(TOKEN|KEY|PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIAL|PRIVATE)/i;

function envExampleViolations(file: string, content: string): Violation[] {
  const violations: Violation[] = [];
  const { bare } = vocabulary();
  linesOf(content).forEach((line, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!m || !SECRET_NAME.test(m[1])) return;
    let value = m[2].trim();
    if (/^["']/.test(value))
      value = value.slice(
        1,
        value.lastIndexOf(value[0]) > 0
          ? value.lastIndexOf(value[0])
          : undefined,
      );
    else value = value.replace(/\s+#.*$/, '');
    if (value.trim() === '') return;
    violations.push({
      file,
      line: i + 1,
      rule: 'plaintextSecrets',
      message: `${bare(m[1])} has a value (${maskSecret(value)}) in ${path.posix.basename(file)}, which is committed`,
      fix: `leave it empty (${bare(m[1])}=) and keep the value in 1Password; production reads secrets through vals (SECRETS.md)`,
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
    // Only the lines that hold what a detector needs, found in one pass over the file.
    const candidates = linesThatCouldHoldASecret(file.content);
    const lines = candidates.length > 0 ? linesOf(file.content) : [];
    for (const i of candidates) {
      for (const finding of findSecrets(lines[i])) {
        violations.push({
          file: file.path,
          line: i + 1,
          rule: 'plaintextSecrets',
          message: `${finding.what}${finding.hide ? '' : ` (${maskSecret(finding.secret)})`} is in plain text`,
          fix: 'remove it (and rotate it: it may already be in git history); keep it in 1Password and refer to it with a vals reference',
        });
      }
    }
    if (path.posix.basename(file.path) === ENV_EXAMPLE)
      violations.push(...envExampleViolations(file.path, file.content));
  }
  return violations;
};
