import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentParameters, ParameterInput } from '../../parameters/model';
import {
  DryRunFile,
  EnvironmentName,
  formValues,
  loadTemplate,
  startScaffolderBackend,
} from '../backend';
import { parametersOf } from './expectations';
import { MatrixCase } from './matrix';
import { kitModes, renderToDirectory } from '../renderToDirectory';

export type Backend = Awaited<ReturnType<typeof startScaffolderBackend>>;

/**
 * Renders through the real scaffolder: POST /api/scaffolder/v2/dry-run with the
 * environment's template.yaml and the form values. Returns the files as bytes, by path.
 */
export async function dryRunFiles(
  backend: Backend,
  environment: EnvironmentName,
  input: ParameterInput,
): Promise<Map<string, Buffer>> {
  const template = await loadTemplate(environment);
  const { status, body } = await backend.dryRun(
    template,
    formValues(input as Record<string, unknown>),
  );
  if (status !== 200) {
    const errors = Array.isArray(body?.errors)
      ? body.errors.map((e: any) => e.stack ?? e.message)
      : [JSON.stringify(body).slice(0, 2000)];
    throw new Error(
      `dry-run of the ${environment} template answered ${status}: ${errors.join('; ')}`,
    );
  }
  const files = new Map<string, Buffer>();
  for (const file of body.directoryContents as DryRunFile[]) {
    files.set(file.path, Buffer.from(file.base64Content, 'base64'));
  }
  return files;
}

/**
 * A dry-run that must be refused: the status and the error text the scaffolder answers with
 * (the form's JSON Schema errors with 400, the render action's InputError with 500).
 */
export async function dryRunRefusal(
  backend: Backend,
  environment: EnvironmentName,
  input: ParameterInput,
): Promise<{ status: number; message: string }> {
  const template = await loadTemplate(environment);
  const { status, body } = await backend.dryRun(
    template,
    formValues(input as Record<string, unknown>),
  );
  const message = Array.isArray(body?.errors)
    ? body.errors.map((e: any) => e.stack ?? e.message).join('\n')
    : String(body?.error?.message ?? JSON.stringify(body));
  return { status, message };
}

/** A matrix case rendered into a temp directory. */
export interface Rendered {
  case: MatrixCase;
  params: EnvironmentParameters;
  dir: string;
  /** Rendered files by path, as text. */
  files: Map<string, string>;
}

/** Writes dry-run files under `dir`, with the modes the render action gives them. */
export function writeRender(
  dir: string,
  environment: EnvironmentName,
  files: Map<string, Buffer>,
): Promise<void> {
  return renderToDirectory(dir, files, kitModes(environment));
}

/** A fresh temp directory for one test file's renders; `cleanup` removes it. */
export async function makeWorkRoot(
  label: string,
): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), `verify-${label}-`));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Renders every case through the dry-run API into `<root>/<case id>`. */
export async function renderMatrix(
  backend: Backend,
  cases: MatrixCase[],
  root: string,
): Promise<Rendered[]> {
  const rendered: Rendered[] = [];
  for (const matrixCase of cases) {
    const files = await dryRunFiles(
      backend,
      matrixCase.environment,
      matrixCase.input,
    );
    const dir = path.join(root, matrixCase.id);
    await writeRender(dir, matrixCase.environment, files);
    rendered.push({
      case: matrixCase,
      params: parametersOf(matrixCase.input),
      dir,
      files: new Map(
        [...files].map(([file, content]) => [file, content.toString('utf8')]),
      ),
    });
  }
  return rendered;
}
