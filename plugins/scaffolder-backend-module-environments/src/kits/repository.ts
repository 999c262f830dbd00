import { InputError } from '@backstage/errors';
import path from 'node:path';
import { createTemplateRenderer } from 'nunjitsu';
import {
  parseValidateSecretsLayoutInput,
  VALIDATE_SECRETS_LAYOUT_ACTION_ID,
} from '../actions/validateSecretsLayout/input';
import {
  expectedLayout,
  formatViolation,
  validateFiles,
  ValidationResult,
} from '../secrets/validateLayout';
import { EnvironmentRender, Kits, renderEnvironment } from './render';

/** The action ids whose steps make or check a repository's files (the others publish or register). */
export const RENDER_ACTION = 'unifiCloudflare:environment:render';
export const VALIDATE_ACTION = VALIDATE_SECRETS_LAYOUT_ACTION_ID;

/** The parts of a template.yaml (scaffolder.backstage.io/v1beta3) this module reads. */
export interface TemplateDefinition {
  metadata: { name: string; namespace?: string };
  spec: {
    steps: {
      id?: string;
      name?: string;
      action: string;
      if?: unknown;
      input?: unknown;
    }[];
  };
}

/** A rendered file as the repository holds it: path from the repository root, bytes and mode. */
export interface RepositoryFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** One rendering step as it ran. */
export interface StepReport {
  id: string;
  name: string;
  action: string;
  status: 'completed' | 'failed';
  messages: string[];
}

/** A repository rendered in-process from a template and form values. */
export interface RenderedRepository {
  render: EnvironmentRender;
  files: RepositoryFile[];
  steps: StepReport[];
  /** The secrets-layout check, when the template has that step (production). */
  secrets?: ValidationResult;
}

/** A step that failed; `steps` says which, with its message. */
export class StepFailedError extends Error {
  constructor(
    message: string,
    readonly steps: StepReport[],
  ) {
    super(message);
    this.name = 'StepFailedError';
  }
}

type Scope = Record<string, unknown>;

/**
 * The scaffolder's template engine, configured as its workflow runner configures it (regular
 * expressions allowed; the scaffolder's own filters such as `parseRepoUrl` are not available
 * here, so a rendering step that used one would keep the expression as text and the test that
 * compares with /v2/dry-run would fail).
 */
const renderer = createTemplateRenderer({ allowRegexExecution: true });

/**
 * Evaluates a step input the way the scaffolder's workflow runner does (NunjucksWorkflowRunner
 * `render`): every string through the same engine (nunjitsu) with JSON value coercion, so
 * `${{ parameters.services }}` stays a list and a number stays a number; an expression that
 * fails to evaluate stays as its literal text; an undefined value leaves its key out.
 */
export function evaluateStepInput(input: unknown, scope: Scope): unknown {
  const context = renderer.prepareContext(scope as never);
  return JSON.parse(JSON.stringify(input), (_key, value) => {
    if (typeof value !== 'string') return value;
    try {
      return renderer.renderValue(value, context, { coercion: 'json' });
    } catch {
      return value;
    }
  });
}

/** What a step's expressions can read, as the workflow runner provides it in a dry-run. */
function scopeOf(
  parameters: Record<string, unknown>,
  steps: Record<string, unknown>,
): Scope {
  return {
    parameters,
    steps,
    environment: { parameters: {}, secrets: {} },
    secrets: {},
    context: { task: { id: 'scaffold-cli' } },
  };
}

/** The render action's outputs, as later steps read them. */
function renderOutput(render: EnvironmentRender, targetPath: string) {
  const prefix = targetPath === '.' ? '' : `${targetPath}/`;
  return {
    files: render.files.map(f => `${prefix}${f.path}`),
    targetPath,
    entityName: render.parameters.name,
    catalogInfoPath: '/catalog-info.yaml',
    stateBackend: render.context.stateBackend,
    secretsModel: render.context.secretsModel,
  };
}

/** The template's entity reference, as the dry-run and the Create page report it. */
export function templateEntityRef(template: TemplateDefinition): string {
  return `template:${template.metadata.namespace ?? 'default'}/${template.metadata.name}`;
}

/**
 * Renders a repository in-process exactly as a template's rendering steps do through the
 * scaffolder (step inputs evaluated by {@link evaluateStepInput}): the render step (through {@link renderEnvironment}, the function the action
 * calls) and, when the template has it, the secrets-layout step (through the validator's rules,
 * as the action runs them). Nothing is written; publishing and catalog steps are not run.
 * Throws {@link StepFailedError} when a step fails, with the message the action would give.
 */
export async function renderRepository(
  template: TemplateDefinition,
  formValues: Record<string, unknown>,
  kits: Kits,
): Promise<RenderedRepository> {
  // Form values reach the scaffolder as JSON.
  const parameters = JSON.parse(JSON.stringify(formValues)) as Record<
    string,
    unknown
  >;
  const steps: StepReport[] = [];
  const renderStep = template.spec.steps.find(
    step => step.action === RENDER_ACTION,
  );
  if (!renderStep)
    throw new Error(
      `The template ${templateEntityRef(template)} has no ${RENDER_ACTION} step`,
    );

  const stepReport = (
    step: TemplateDefinition['spec']['steps'][number],
    index: number,
  ): StepReport => ({
    id: step.id ?? `step-${index + 1}`,
    name: step.name ?? step.action,
    action: step.action,
    status: 'completed',
    messages: [],
  });
  const fail = (report: StepReport, error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    report.status = 'failed';
    report.messages.push(message);
    steps.push(report);
    throw new StepFailedError(message, steps);
  };

  const renderReport = stepReport(
    renderStep,
    template.spec.steps.indexOf(renderStep),
  );
  let render: EnvironmentRender;
  try {
    render = renderEnvironment(
      evaluateStepInput(renderStep.input ?? {}, scopeOf(parameters, {})),
      kits,
      templateEntityRef(template),
    );
  } catch (error) {
    return fail(renderReport, error);
  }
  renderReport.messages.push(
    ...render.notes,
    `Rendered the ${render.parameters.environment} kit (${render.files.length} files) for ${render.parameters.name}`,
  );
  steps.push(renderReport);

  const targetPath =
    render.parameters.targetPath === '.'
      ? '.'
      : render.parameters.targetPath.replace(/\/+$/, '');
  const prefix = targetPath === '.' ? '' : `${targetPath}/`;
  const files = render.files.map(f => ({
    path: `${prefix}${f.path}`,
    content: Buffer.from(f.content, 'utf8'),
    mode: f.mode,
  }));

  let secrets: ValidationResult | undefined;
  const validateStep = template.spec.steps.find(
    step => step.action === VALIDATE_ACTION,
  );
  if (validateStep) {
    const report = stepReport(
      validateStep,
      template.spec.steps.indexOf(validateStep),
    );
    const input = evaluateStepInput(
      validateStep.input ?? {},
      scopeOf(parameters, {
        [renderReport.id]: { output: renderOutput(render, targetPath) },
      }),
    );
    try {
      const parsed = parseValidateSecretsLayoutInput(input);
      if (!parsed.success) throw new InputError(parsed.message);
      const dir = path.posix.normalize(parsed.data.path).replace(/\/+$/, '');
      if (dir.startsWith('..') || path.posix.isAbsolute(dir))
        throw new InputError(
          `path must stay inside the workspace; got ${JSON.stringify(parsed.data.path)}`,
        );
      const under = dir === '.' ? '' : `${dir}/`;
      const expected = expectedLayout({
        vault: parsed.data.vault,
        provider: parsed.data.secretsProvider,
        items: parsed.data.items,
      });
      secrets = await validateFiles(
        render.files
          .filter(f => `${prefix}${f.path}`.startsWith(under))
          .map(f => ({
            path: `${prefix}${f.path}`.slice(under.length),
            content: f.content,
          })),
        expected,
      );
      if (secrets.violations.length > 0)
        throw new InputError(
          secrets.violations.map(formatViolation).join('\n'),
        );
      report.messages.push(
        `The secrets layout is valid: ${secrets.references.length} references, all in vault ${expected.vault}`,
      );
    } catch (error) {
      fail(report, error);
    }
    steps.push(report);
  }
  return { render, files, steps, secrets };
}
