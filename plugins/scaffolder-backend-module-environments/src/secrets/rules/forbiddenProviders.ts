import { valsRef } from '../references';
import { findReferenceCandidates } from './referenceSyntax';
import { vocabulary } from './masking';
import { Rule, ValidationInput, Violation } from './types';
import { referenceSegmentsOf } from '../validationInput';

/** Why a provider other than 1Password is dangerous here, for the messages. */
const WHY: Record<string, string> = {
  file: 'reads a local file, so a secret lying on the machine running make would be pulled in',
  envsubst:
    'substitutes environment variables, so whatever the shell holds would be pulled in',
  echo: 'returns its own text, so the value sits in the repository in plain text',
  exec: 'runs a command on the machine running make',
  keychain: 'reads the local keychain of the machine running make',
  tfstate: 'reads a Terraform state file',
  tfstates3: 'reads a Terraform state file',
  onepasswordconnect:
    'is the other 1Password provider; the layout uses one provider only',
  op: 'is the other 1Password provider; the layout uses one provider only',
};

/**
 * Rule `forbiddenProviders`: in text that tools read (YAML values, Makefile and script lines,
 * Markdown code blocks), every `ref+` uses the chosen 1Password provider, none is nested in
 * another, and no `secretref+` appears (vals resolves it or leaves it in place depending on
 * `--exclude-secret`). Comments and Markdown prose only document, so they are not checked.
 */
export const forbiddenProviders: Rule = async (input: ValidationInput) => {
  const chosen = input.expected.provider;
  const example = valsRef(
    chosen,
    input.expected.vault,
    input.expected.items.cloudflare,
    'credential',
  );
  const violations: Violation[] = [];
  const names = vocabulary(input.expected);
  for (const segment of referenceSegmentsOf(input)) {
    if (segment.kind !== 'value') continue;
    const candidates = findReferenceCandidates(segment.text);
    candidates.forEach((candidate, i) => {
      // The inner part of a nested reference is reported once, with the outer one.
      if (i > 0 && candidates[i - 1].nested) return;
      const at = {
        file: segment.file,
        line: segment.line,
        rule: 'forbiddenProviders' as const,
      };
      const shown = names.reference(candidate.text);
      if (candidate.nested) {
        violations.push({
          ...at,
          message: `${shown} nests one reference in another: vals resolves the inner one first and pastes its value into the outer URI`,
          fix: `use one plain reference, for example "${example}"`,
        });
        return;
      }
      if (candidate.prefix === 'secretref') {
        violations.push({
          ...at,
          message: `${shown} uses secretref+, which vals resolves or leaves in place depending on --exclude-secret`,
          fix: `use ref+${chosen}, for example "${example}"`,
        });
        return;
      }
      const scheme = candidate.scheme;
      if (scheme === chosen) return;
      if (scheme === undefined) {
        // A malformed 1Password reference is reported by referenceSyntax.
        if (/^ref\+(op|onepasswordconnect)\b/i.test(candidate.text)) return;
        violations.push({
          ...at,
          message: `${shown} starts like a vals reference but names no provider://`,
          fix: `write a 1Password reference, for example "${example}", or remove the "ref+" text`,
        });
        return;
      }
      const why =
        WHY[scheme] ??
        'is a secret backend other than the chosen 1Password provider';
      violations.push({
        ...at,
        message: `${shown} uses the vals provider ref+${names.bare(scheme)}, which ${why}`,
        fix: `keep every secret in 1Password through ref+${chosen}, for example "${example}"`,
      });
    });
  }
  return violations;
};
