import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod/v3';
import { matchesRule, rules } from '../../parameters/fieldRules';
import { SECRETS_PROVIDERS } from '../../parameters/model';
import { DEFAULT_ITEMS } from '../../secrets/rules/types';
import { expectedLayout, formatViolation, validateLayout } from '../../secrets/validateLayout';
import { examples } from './validateSecretsLayout.examples';

export const VALIDATE_SECRETS_LAYOUT_ACTION_ID = 'unifiCloudflare:secretsLayout:validate';

function ruledName(zImpl: typeof z, rule: 'vault' | 'itemName', description: string) {
  const r = rules[rule];
  return zImpl
    .string({ invalid_type_error: `must be a string, for example "${r.example}"` })
    .describe(`${description} Rule: ${r.rule}. Example: ${r.example}`)
    .refine(value => matchesRule(rule, value), { message: `must be ${r.rule}, for example "${r.example}"` });
}

/** The input fields, as zod callbacks (the scaffolder turns them into the JSON Schema it shows). */
const inputShape = {
  path: (zImpl: typeof z) =>
    zImpl
      .string({ invalid_type_error: 'must be a string, for example "." or "environment"' })
      .describe('Directory to validate, relative to the workspace (default "."): where the production kit was rendered.')
      .default('.'),
  vault: (zImpl: typeof z) => ruledName(zImpl, 'vault', 'The 1Password vault every reference must use.'),
  secretsProvider: (zImpl: typeof z) =>
    zImpl
      .enum(SECRETS_PROVIDERS, { errorMap: () => ({ message: `must be one of ${SECRETS_PROVIDERS.join(', ')}, for example "op"` }) })
      .describe('The vals provider the references must use: op (1Password CLI or service account) or onepasswordconnect.')
      .default('op'),
  items: (zImpl: typeof z) =>
    zImpl
      .object({
        cloudflare: ruledName(zImpl, 'itemName', 'Item with the Cloudflare API token (default "cloudflare").').default(DEFAULT_ITEMS.cloudflare),
        unifi: ruledName(zImpl, 'itemName', 'Item with the UniFi credentials (default "unifi").').default(DEFAULT_ITEMS.unifi),
        state: ruledName(zImpl, 'itemName', 'Item with the state-backend settings and AWS keys (default "terraform-state").').default(DEFAULT_ITEMS.state),
      })
      .strict()
      .describe('The 1Password item names of the layout; each defaults to the name the templates use.')
      .default({}),
};

const referenceShape = (zImpl: typeof z) =>
  zImpl.object({
    file: zImpl.string().describe('File holding the reference, relative to the validated directory.'),
    line: zImpl.number().describe('Line of the reference (1-based).'),
    key: zImpl.string().describe('The key or environment variable whose value it is.'),
    provider: zImpl.enum(SECRETS_PROVIDERS).describe('The vals provider.'),
    vault: zImpl.string().describe('The 1Password vault.'),
    item: zImpl.string().describe('The 1Password item.'),
    section: zImpl.string().optional().describe('The item section, when the reference names one.'),
    field: zImpl.string().describe('The 1Password field.'),
  });

/** Resolves `path` inside the workspace, refusing traversal and any symbolic link on the way. */
async function resolveDirectory(workspace: string, input: string): Promise<string> {
  const lexical = path.resolve(workspace, input);
  const relative = path.relative(workspace, lexical);
  if (path.isAbsolute(input) || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new InputError(`path must stay inside the workspace, for example "." or "environment"; got ${JSON.stringify(input)}`);
  }
  let current = workspace;
  for (const part of relative === '' ? [] : relative.split(path.sep)) {
    current = path.join(current, part);
    const stat = await lstat(current).catch(() => undefined);
    const shown = path.relative(workspace, current);
    if (!stat) throw new InputError(`path ${JSON.stringify(input)} does not exist in the workspace; render the kit there first`);
    if (stat.isSymbolicLink()) {
      throw new InputError(`path ${JSON.stringify(input)} goes through the symbolic link ${shown}; validate the real directory instead`);
    }
    if (!stat.isDirectory()) throw new InputError(`path ${JSON.stringify(input)} is not a directory (${shown})`);
  }
  // The Backstage helper also resolves any link that appeared in between.
  return resolveSafeChildPath(workspace, input);
}

/**
 * Creates the action that validates a rendered production environment's secrets layout and
 * fails the task with every violation (file, line, rule, fix), one per line.
 * @public
 */
export function createValidateSecretsLayoutAction() {
  return createTemplateAction({
    id: VALIDATE_SECRETS_LAYOUT_ACTION_ID,
    description:
      'Validates the production secrets layout of a directory: vals references to 1Password only, in the configured vault, items and fields; no plaintext secrets; SECRETS.md in step; .gitignore and Makefile keeping rendered secrets private. Fails with every violation.',
    examples,
    supportsDryRun: true,
    schema: {
      input: inputShape,
      output: {
        references: z => z.array(referenceShape(z)).describe('Every 1Password reference of the secrets templates (never a value).'),
        violations: z => z.number().describe('Number of violations: 0 when the action succeeds.'),
      },
    },
    async handler(ctx) {
      // The scaffolder only checks the JSON Schema; parse again for defaults and our messages.
      const parsed = z.object(Object.fromEntries(Object.entries(inputShape).map(([k, f]) => [k, f(z)]))).safeParse(ctx.input);
      if (!parsed.success) {
        throw new InputError(
          `The input of ${VALIDATE_SECRETS_LAYOUT_ACTION_ID} has ${parsed.error.issues.length} problem(s):\n${parsed.error.issues
            .map(i => `- ${i.path.join('.') || '(input)'} ${i.message}`)
            .join('\n')}`,
        );
      }
      const input = parsed.data as { path: string; vault: string; secretsProvider: 'op' | 'onepasswordconnect'; items: typeof DEFAULT_ITEMS };
      const dir = await resolveDirectory(ctx.workspacePath, input.path);
      const expected = expectedLayout({ vault: input.vault, provider: input.secretsProvider, items: input.items });

      // Validation only reads the workspace, so a dry run checks exactly what a real run would.
      ctx.logger.info(
        `${ctx.isDryRun ? 'Dry run: validating' : 'Validating'} the production secrets layout in ${input.path} (vault ${expected.vault}, provider ${expected.provider})`,
      );
      const result = await validateLayout(dir, expected);
      ctx.output('references', result.references);
      ctx.output('violations', result.violations.length);
      if (result.violations.length > 0) {
        ctx.logger.error(`${result.violations.length} violation(s) of the production secrets layout in ${input.path}`);
        throw new InputError(result.violations.map(formatViolation).join('\n'));
      }
      ctx.logger.info(`The secrets layout is valid: ${result.references.length} references, all in vault ${expected.vault}`);
    },
  });
}
