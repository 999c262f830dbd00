import { z } from 'zod/v3';
import { matchesRule, rules } from '../../parameters/fieldRules';
import { SECRETS_PROVIDERS } from '../../parameters/model';
import { DEFAULT_ITEMS } from '../../secrets/rules/types';

/** The id templates use to call the secrets-layout action. */
export const VALIDATE_SECRETS_LAYOUT_ACTION_ID =
  'unifiCloudflare:secretsLayout:validate';

function ruledName(
  zImpl: typeof z,
  rule: 'vault' | 'itemName',
  description: string,
) {
  const r = rules[rule];
  return zImpl
    .string({
      invalid_type_error: `must be a string, for example "${r.example}"`,
    })
    .describe(`${description} Rule: ${r.rule}. Example: ${r.example}`)
    .refine(value => matchesRule(rule, value), {
      message: `must be ${r.rule}, for example "${r.example}"`,
    });
}

/** The input fields, as zod callbacks (the scaffolder turns them into the JSON Schema it shows). */
export const inputShape = {
  path: (zImpl: typeof z) =>
    zImpl
      .string({
        invalid_type_error:
          'must be a string, for example "." or "environment"',
      })
      .describe(
        'Directory to validate, relative to the workspace (default "."): where the production kit was rendered.',
      )
      .default('.'),
  vault: (zImpl: typeof z) =>
    ruledName(zImpl, 'vault', 'The 1Password vault every reference must use.'),
  secretsProvider: (zImpl: typeof z) =>
    zImpl
      .enum(SECRETS_PROVIDERS, {
        errorMap: () => ({
          message: `must be one of ${SECRETS_PROVIDERS.join(', ')}, for example "op"`,
        }),
      })
      .describe(
        'The vals provider the references must use: op (1Password CLI or service account) or onepasswordconnect.',
      )
      .default('op'),
  items: (zImpl: typeof z) =>
    zImpl
      .object({
        cloudflare: ruledName(
          zImpl,
          'itemName',
          'Item with the Cloudflare API token (default "cloudflare").',
        ).default(DEFAULT_ITEMS.cloudflare),
        unifi: ruledName(
          zImpl,
          'itemName',
          'Item with the UniFi credentials (default "unifi").',
        ).default(DEFAULT_ITEMS.unifi),
        state: ruledName(
          zImpl,
          'itemName',
          'Item with the state-backend settings and AWS keys (default "terraform-state").',
        ).default(DEFAULT_ITEMS.state),
      })
      .strict()
      .describe(
        'The 1Password item names of the layout; each defaults to the name the templates use.',
      )
      .default({}),
};

/** The action's input after parsing: defaults filled in. */
export interface ValidateSecretsLayoutInput {
  path: string;
  vault: string;
  secretsProvider: 'op' | 'onepasswordconnect';
  items: typeof DEFAULT_ITEMS;
}

/** The input schema, built on first use: building it costs more than a parse. */
let schema: z.ZodTypeAny | undefined;

/**
 * Parses the action's input with its schema (the scaffolder only checks the JSON Schema): the
 * action and the CLI's in-process run both go through this, so both refuse the same input with
 * the same message. Returns the message when the input is refused.
 */
export function parseValidateSecretsLayoutInput(
  input: unknown,
):
  | { success: true; data: ValidateSecretsLayoutInput }
  | { success: false; message: string } {
  schema ??= z.object(
    Object.fromEntries(Object.entries(inputShape).map(([k, f]) => [k, f(z)])),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    return {
      success: false,
      message: `The input of ${VALIDATE_SECRETS_LAYOUT_ACTION_ID} has ${parsed.error.issues.length} problem(s):\n${parsed.error.issues
        .map(i => `- ${i.path.join('.') || '(input)'} ${i.message}`)
        .join('\n')}`,
    };
  }
  return {
    success: true,
    data: parsed.data as unknown as ValidateSecretsLayoutInput,
  };
}
