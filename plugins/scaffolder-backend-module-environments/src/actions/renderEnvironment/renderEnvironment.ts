import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { EscapingError } from '../../escaping/filters';
import { buildContext, TemplateIdentity } from '../../kits/context';
import { KitRenderer } from '../../kits/engine';
import { describeProblems, parameterSchema, parseParameters } from '../../parameters/model';
import { resolveTarget, writeFiles } from '../../workspace/writeFiles';
import { examples } from './renderEnvironment.examples';

/** The id templates use to call the render action. */
export const RENDER_ENVIRONMENT_ACTION_ID = 'unifiCloudflare:environment:render';

/**
 * The template's entity reference. Dry-runs report `template:default/dry-run` as the entityRef,
 * so the template entity's own metadata comes first.
 */
function templateRef(
  info: { entityRef?: string; entity?: { metadata?: { name?: string; namespace?: string } } } | undefined,
  environment: string,
): string {
  const metadata = info?.entity?.metadata;
  if (metadata?.name) return `template:${metadata.namespace ?? 'default'}/${metadata.name}`;
  return info?.entityRef ?? `template:default/${environment}-environment`;
}

/** Dependencies of the render action. */
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
export function createRenderEnvironmentAction(options: RenderEnvironmentActionOptions) {
  const { kits, kitVersion } = options;
  return createTemplateAction({
    id: RENDER_ENVIRONMENT_ACTION_ID,
    description:
      'Renders a unifi-cloudflare-glue development, staging or production environment repository (KCL, scripts or Makefile, state backend, secrets layout, catalog entity) into the workspace.',
    examples,
    supportsDryRun: true,
    schema: {
      input: () => parameterSchema,
      output: {
        files: z => z.array(z.string()).describe('Files written, relative to the workspace, in kit order.'),
        targetPath: z => z.string().describe('Directory the kit was written to, relative to the workspace.'),
        entityName: z => z.string().describe('metadata.name of the catalog entity in catalog-info.yaml.'),
        catalogInfoPath: z => z.string().describe('Path of catalog-info.yaml relative to the repository root.'),
        stateBackend: z =>
          z.enum(['ephemeral', 's3-lockfile', 's3-dynamodb']).describe('Where Terraform state lives.'),
        secretsModel: z => z.enum(['env-file', '1password-vals']).describe('How the scripts get their secrets.'),
      },
    },
    async handler(ctx) {
      const parsed = parseParameters(ctx.input);
      if (!parsed.success) {
        throw new InputError(describeProblems(parsed.problems));
      }
      // The Create page's RepoUrlPicker writes its host ("github.com?") into the form data as soon
      // as it shows, and the value stays when the developer then picks the local target; a local
      // repository has no GitHub location, so none goes into the answers file, links or annotations.
      const parameters =
        parsed.parameters.publishTarget === 'local' ? { ...parsed.parameters, repoUrl: undefined } : parsed.parameters;
      if (parsed.parameters.publishTarget === 'local' && parsed.parameters.repoUrl !== undefined) {
        ctx.logger.info('Ignoring repoUrl: the repository is published locally');
      }
      const template: TemplateIdentity = {
        name: templateRef(ctx.templateInfo, parameters.environment),
        version: kitVersion,
      };
      const context = buildContext(parameters, template);

      let rendered;
      try {
        rendered = kits.render(parameters.environment, context);
      } catch (error) {
        // Nunjucks wraps filter errors; surface ours as the user's problem, anything else as ours.
        const cause = String((error as Error).message ?? error);
        if (error instanceof EscapingError || cause.includes('EscapingError') || cause.includes('filter cannot represent')) {
          throw new InputError(`A value cannot be written safely: ${cause}`);
        }
        throw error;
      }

      const target = await resolveTarget(ctx.workspacePath, parameters.targetPath);
      const files = await writeFiles(ctx.workspacePath, target, rendered);
      ctx.logger.info(
        `${ctx.isDryRun ? 'Dry run: rendered' : 'Rendered'} the ${parameters.environment} kit (${files.length} files) for ${parameters.name}`,
      );

      const relativeTarget = parameters.targetPath === '.' ? '.' : parameters.targetPath.replace(/\/+$/, '');
      ctx.output('files', files);
      ctx.output('targetPath', relativeTarget);
      ctx.output('entityName', parameters.name);
      ctx.output('catalogInfoPath', '/catalog-info.yaml');
      ctx.output('stateBackend', context.stateBackend);
      ctx.output('secretsModel', context.secretsModel);
    },
  });
}
