import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EscapingError } from '../escaping/filters';
import {
  describeProblems,
  EnvironmentParameters,
  parseParameters,
} from '../parameters/model';
import { buildContext, KitContext, TemplateIdentity } from './context';
import { KitRenderer, RenderedFile } from './engine';

/**
 * The render step's input with `values` (the form's values at once, `${{ parameters }}`)
 * spread under the fields given by name. One expression instead of one per field: the
 * scaffolder renders a step's input up to three times in a dry run (its log, the run, and again
 * without secrets), each field expression parsed every time.
 */
export function mergeFormValues(input: Record<string, unknown>): unknown {
  const { values, ...fields } = input;
  if (values === undefined) return input;
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new InputError(
      `values must be the form's values as an object, for example "values: \${{ parameters }}"; got ${values === null ? 'null' : typeof values}`,
    );
  }
  const merged: Record<string, unknown> = { ...values, ...fields };
  // The form keeps a DynamoDB table typed before the switch to the lockfile; it is not asked
  // for then, so it is not passed on (the step's own dynamodbTable expression did the same).
  if (merged.locking === 'lockfile' && !('dynamodbTable' in fields)) {
    delete merged.dynamodbTable;
  }
  return merged;
}

/** What one render of an environment produced: the files (with modes) and what they were made from. */
export interface EnvironmentRender {
  /** The validated parameters the files were rendered from. */
  parameters: EnvironmentParameters;
  /** The kit context (state backend, secrets model, ...). */
  context: KitContext;
  /** The template identity written into the answers file and catalog entity. */
  template: TemplateIdentity;
  /** Every file of the environment's kit, in kit order. */
  files: RenderedFile[];
  /** Things worth telling the user that did not stop the render. */
  notes: string[];
}

/** The compiled kits and the version they write into every repository. */
export interface Kits {
  kits: KitRenderer;
  kitVersion: string;
}

/**
 * Renders an environment from the render action's input, entirely in memory: validates the
 * input with the parameter model, builds the kit context and renders the kit. The render action
 * and the CLI both call this, so a repository made on the Create page and one made by
 * `npm run scaffold` are the same bytes. Throws `InputError` for anything the user can fix.
 *
 * `templateName` is the template's entity reference; without it, the environment's own template
 * (`template:default/<environment>-environment`).
 */
export function renderEnvironment(
  input: unknown,
  kits: Kits,
  templateName?: string,
): EnvironmentRender {
  const parsed = parseParameters(
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? mergeFormValues(input as Record<string, unknown>)
      : input,
  );
  if (!parsed.success) {
    throw new InputError(describeProblems(parsed.problems));
  }
  const notes: string[] = [];
  // The Create page's RepoUrlPicker writes its host ("github.com?") into the form data as soon
  // as it shows, and the value stays when the developer then picks the local target; a local
  // repository has no GitHub location, so none goes into the answers file, links or annotations.
  const parameters =
    parsed.parameters.publishTarget === 'local'
      ? { ...parsed.parameters, repoUrl: undefined }
      : parsed.parameters;
  if (
    parsed.parameters.publishTarget === 'local' &&
    parsed.parameters.repoUrl !== undefined
  ) {
    notes.push('Ignoring repoUrl: the repository is published locally');
  }
  const template: TemplateIdentity = {
    name:
      templateName ?? `template:default/${parameters.environment}-environment`,
    version: kits.kitVersion,
  };
  const context = buildContext(parameters, template);
  let files: RenderedFile[];
  try {
    files = kits.kits.render(parameters.environment, context);
  } catch (error) {
    // Nunjucks wraps filter errors; surface ours as the user's problem, anything else as ours.
    const cause = String((error as Error).message ?? error);
    if (
      error instanceof EscapingError ||
      cause.includes('EscapingError') ||
      cause.includes('filter cannot represent')
    ) {
      throw new InputError(`A value cannot be written safely: ${cause}`);
    }
    throw error;
  }
  return { parameters, context, template, files, notes };
}

/** This package's name, to find its directory (kits/, package.json) from src/ or dist/. */
export const PACKAGE_NAME =
  '@unifi-cloudflare-glue/plugin-scaffolder-backend-module-environments';

let packaged: Promise<Kits> | undefined;

/**
 * The kits shipped in this package (or under `packageDir`), loaded, linted and compiled, with
 * the package version; this package's own once per process. For callers outside a backend (the
 * CLI, the bench).
 */
export function loadKitsOnce(packageDir?: string): Promise<Kits> {
  if (packageDir !== undefined) return loadKits(packageDir);
  packaged ??= loadKits(resolvePackagePath(PACKAGE_NAME));
  packaged.catch(() => (packaged = undefined));
  return packaged;
}

async function loadKits(packageDir: string): Promise<Kits> {
  const [kits, pkg] = await Promise.all([
    KitRenderer.load(path.join(packageDir, 'kits')),
    readFile(path.join(packageDir, 'package.json'), 'utf8'),
  ]);
  return { kits, kitVersion: JSON.parse(pkg).version };
}
