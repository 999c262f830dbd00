import { maskSecret } from './rules/types';
import { formValueSecret } from './secretShapes';

/**
 * Why a form value is refused as a secret, masked, or undefined. Used by the parameter model
 * for every text field of every environment: a secret pasted into the form would reach the
 * catalog, the answers file and git in plain text. The message shows at most the first 4
 * characters of what was found, as the secrets-layout validator does.
 */
export function secretProblem(value: string): string | undefined {
  const found = formValueSecret(value);
  if (!found) return undefined;
  const shown = found.hide ? '' : ` (${maskSecret(found.secret)})`;
  return `looks like it holds ${found.what}${shown}; secrets never go into the form: keep them in 1Password or the local .env file`;
}
