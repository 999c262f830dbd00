import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z } from 'zod/v3';
import { SECRETS_PROVIDERS } from '../../parameters/model';
import {
  inputShape,
  parseValidateSecretsLayoutInput,
  VALIDATE_SECRETS_LAYOUT_ACTION_ID,
} from './input';
import {
  expectedLayout,
  formatViolation,
  validateLayout,
} from '../../secrets/validateLayout';
import { examples } from './validateSecretsLayout.examples';
import {
  lstatIfExists,
  resolveInsideWithoutLinks,
} from '../../workspace/pathGuard';

export { VALIDATE_SECRETS_LAYOUT_ACTION_ID };

const referenceShape = (zImpl: typeof z) =>
  zImpl.object({
    file: zImpl
      .string()
      .describe(
        'File holding the reference, relative to the validated directory.',
      ),
    line: zImpl.number().describe('Line of the reference (1-based).'),
    key: zImpl
      .string()
      .describe('The key or environment variable whose value it is.'),
    provider: zImpl.enum(SECRETS_PROVIDERS).describe('The vals provider.'),
    vault: zImpl.string().describe('The 1Password vault.'),
    item: zImpl.string().describe('The 1Password item.'),
    section: zImpl
      .string()
      .optional()
      .describe('The item section, when the reference names one.'),
    field: zImpl.string().describe('The 1Password field.'),
  });

/** Resolves `path` inside the workspace for reading: no traversal, no symbolic link, a directory that exists. */
async function resolveDirectory(
  workspace: string,
  input: string,
): Promise<string> {
  const dir = await resolveInsideWithoutLinks(
    workspace,
    input,
    { name: 'path', example: '.' },
    'directory',
    'read',
  );
  if (!(await lstatIfExists(dir))) {
    throw new InputError(
      `path ${JSON.stringify(input)} does not exist in the workspace; render the kit there first`,
    );
  }
  return dir;
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
        references: zImpl =>
          zImpl
            .array(referenceShape(zImpl))
            .describe(
              'Every 1Password reference of the secrets templates (never a value).',
            ),
        violations: zImpl =>
          zImpl
            .number()
            .describe('Number of violations: 0 when the action succeeds.'),
      },
    },
    async handler(ctx) {
      // The scaffolder only checks the JSON Schema; parse again for defaults and our messages.
      const parsed = parseValidateSecretsLayoutInput(ctx.input);
      if (!parsed.success) throw new InputError(parsed.message);
      const input = parsed.data;
      const dir = await resolveDirectory(ctx.workspacePath, input.path);
      const expected = expectedLayout({
        vault: input.vault,
        provider: input.secretsProvider,
        items: input.items,
      });

      // Validation only reads the workspace, so a dry run checks exactly what a real run would.
      ctx.logger.info(
        `${ctx.isDryRun ? 'Dry run: validating' : 'Validating'} the production secrets layout in ${input.path} (vault ${expected.vault}, provider ${expected.provider})`,
      );
      const result = await validateLayout(dir, expected);
      ctx.output('references', result.references);
      ctx.output('violations', result.violations.length);
      if (result.violations.length > 0) {
        ctx.logger.error(
          `${result.violations.length} violation(s) of the production secrets layout in ${input.path}`,
        );
        throw new InputError(result.violations.map(formatViolation).join('\n'));
      }
      ctx.logger.info(
        `The secrets layout is valid: ${result.references.length} references, all in vault ${expected.vault}`,
      );
    },
  });
}
