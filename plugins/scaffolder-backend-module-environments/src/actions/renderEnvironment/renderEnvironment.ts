import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KitRenderer } from '../../kits/engine';
import { renderEnvironment } from '../../kits/render';
import { parameterSchema } from '../../parameters/model';
import { resolveTarget, writeFiles } from '../../workspace/writeFiles';
import { examples } from './renderEnvironment.examples';

/**
 * The id templates use to call the render action.
 * @public
 */
export const RENDER_ENVIRONMENT_ACTION_ID =
  'unifiCloudflare:environment:render';

/**
 * The template's entity reference. Dry-runs report `template:default/dry-run` as the entityRef,
 * so the template entity's own metadata comes first.
 */
function templateRef(
  info:
    | {
        entityRef?: string;
        entity?: { metadata?: { name?: string; namespace?: string } };
      }
    | undefined,
): string | undefined {
  const metadata = info?.entity?.metadata;
  if (metadata?.name)
    return `template:${metadata.namespace ?? 'default'}/${metadata.name}`;
  // Without either, renderEnvironment names the environment's own template.
  return info?.entityRef;
}

const VALUES = 'values';

/**
 * The declared input schema with `values` added: the fields stay described one by one (the
 * actions page lists them), and a step may give them by name or through `values`, so the
 * fields required by name become required unless `values` is given. The handler validates the
 * merged input with the parameter model either way.
 */
function withValuesInput<S>(schema: S): S {
  if (!schema || typeof schema !== 'object') return schema;
  const { required, ...rest } = schema as Record<string, unknown> & {
    required?: string[];
  };
  return {
    ...rest,
    properties: {
      ...(rest.properties as Record<string, unknown>),
      [VALUES]: {
        type: 'object',
        description:
          "The form's values at once, for example `values: ${{ parameters }}`; a field also given by name wins. One expression for the scaffolder to evaluate instead of one per field. With locking lockfile, a dynamodbTable among them is dropped (the form keeps one typed before the switch).",
      },
    },
    ...(required?.length
      ? {
          anyOf: [{ required }, { required: ['environment', VALUES] }],
        }
      : {}),
  } as unknown as S;
}

/**
 * Dependencies of the render action.
 * @public
 */
export interface RenderEnvironmentActionOptions {
  /** The compiled kits, loaded once when the module starts. */
  kits: KitRenderer;
  /** The kit version written into every repository (the module's package version). */
  kitVersion: string;
}

/**
 * Creates the action that renders a unifi-cloudflare-glue environment repository from the
 * kits into the task workspace.
 * @public
 */
export function createRenderEnvironmentAction(
  options: RenderEnvironmentActionOptions,
) {
  const { kits, kitVersion } = options;
  const action = createTemplateAction({
    id: RENDER_ENVIRONMENT_ACTION_ID,
    description:
      'Renders a unifi-cloudflare-glue development, staging or production environment repository (KCL, scripts or Makefile, state backend, secrets layout, catalog entity) into the workspace.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => parameterSchema,
      output: {
        files: z =>
          z
            .array(z.string())
            .describe(
              'Files written, relative to the workspace, in kit order.',
            ),
        targetPath: z =>
          z
            .string()
            .describe(
              'Directory the kit was written to, relative to the workspace.',
            ),
        entityName: z =>
          z
            .string()
            .describe(
              'metadata.name of the catalog entity in catalog-info.yaml.',
            ),
        catalogInfoPath: z =>
          z
            .string()
            .describe(
              'Path of catalog-info.yaml relative to the repository root.',
            ),
        stateBackend: z =>
          z
            .enum(['ephemeral', 's3-lockfile', 's3-dynamodb'])
            .describe('Where Terraform state lives.'),
        secretsModel: z =>
          z
            .enum(['env-file', '1password-vals'])
            .describe('How the scripts get their secrets.'),
      },
    },
    async handler(ctx) {
      // The same function renders for the CLI (npm run scaffold): same input, same bytes.
      const {
        parameters,
        context,
        files: rendered,
        notes,
      } = renderEnvironment(
        ctx.input,
        { kits, kitVersion },
        templateRef(ctx.templateInfo),
      );
      for (const note of notes) ctx.logger.info(note);

      const target = await resolveTarget(
        ctx.workspacePath,
        parameters.targetPath,
      );
      const files = await writeFiles(ctx.workspacePath, target, rendered);
      ctx.logger.info(
        `${ctx.isDryRun ? 'Dry run: rendered' : 'Rendered'} the ${parameters.environment} kit (${files.length} files) for ${parameters.name}`,
      );

      const relativeTarget =
        parameters.targetPath === '.'
          ? '.'
          : parameters.targetPath.replace(/\/+$/, '');
      ctx.output('files', files);
      ctx.output('targetPath', relativeTarget);
      ctx.output('entityName', parameters.name);
      ctx.output('catalogInfoPath', '/catalog-info.yaml');
      ctx.output('stateBackend', context.stateBackend);
      ctx.output('secretsModel', context.secretsModel);
    },
  });
  const declared: typeof action = {
    ...action,
    schema: { ...action.schema, input: withValuesInput(action.schema?.input) },
  };
  return declared;
}
