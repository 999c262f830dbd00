/**
 * `npm run scaffold`: renders a template's repository and writes it to a directory, or compares
 * it with one (`--check`) and prints a diff; `check` and `upgrade` work on many repositories.
 *
 *   npm run scaffold -- <development|staging|production> --values <file.yaml> --out <dir>
 *   npm run scaffold -- <environment> --values <file.yaml> --check <dir>
 *   npm run scaffold -- --answers <repo>/.environment-answers.yaml --check <repo>
 *   npm run scaffold -- check <repo>... [--json]      (src/cli/fleet.ts)
 *   npm run scaffold -- upgrade <repo> ...            (src/cli/fleet.ts)
 *
 * Without `--url` it renders in-process, through the functions the actions call
 * (renderEnvironment for the render step, the validator's rules for production's secrets
 * check): no backend starts. With `--url http://host:7007` it posts to that backend's
 * /api/scaffolder/v2/dry-run instead, with the bearer token from the BACKSTAGE_TOKEN
 * environment variable if it needs one (never from the command line, which npm prints). Either
 * way only the steps that make the files run: publishing and catalog steps have nothing to do
 * with rendering, and would refuse an environment that already exists, which is exactly what
 * `--check` looks at.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { kitManifest } from '../kits/manifest';
import { loadKitsOnce, PACKAGE_NAME } from '../kits/render';
import {
  renderRepository,
  RENDER_ACTION,
  StepFailedError,
  StepReport,
  TemplateDefinition,
  VALIDATE_ACTION,
} from '../kits/repository';
import { ENVIRONMENTS, Environment } from '../parameters/model';
import { writeFiles } from '../workspace/writeFiles';
import { runCheck, runUpgrade } from './fleet';

const run = promisify(execFile);

interface Options {
  environment?: Environment;
  values?: string;
  answers?: string;
  out?: string;
  check?: string;
  url?: string;
}

/** The actions that make or check the files; every other step (publish, register) is left out. */
const RENDERING_ACTIONS = new Set([RENDER_ACTION, VALIDATE_ACTION]);
const TOKEN_VARIABLE = 'BACKSTAGE_TOKEN';

/** Where templates/ lives: the repository root, two levels above this package. */
const TEMPLATES_DIR = resolvePackagePath(PACKAGE_NAME, '../../templates');

/** A file as the scaffolder's dry-run API returns it. */
interface DryRunFile {
  path: string;
  base64Content: string;
}

/** The parts of a /v2/dry-run answer the CLI reads. */
interface DryRunResponse {
  log: { body: { message?: string; stepId?: string; status?: string } }[];
  directoryContents: DryRunFile[];
  steps: { id: string; name: string; action: string }[];
}

const USAGE = `Usage:
  npm run scaffold -- <development|staging|production> --values <file.yaml> --out <dir>
  npm run scaffold -- <development|staging|production> --values <file.yaml> --check <dir>
  npm run scaffold -- --answers <repo>/.environment-answers.yaml --check <repo>
                    (re-renders with this package's kit: for a repository an older kit made,
                    use check, which compares with the kit version it records)
  npm run scaffold -- check <repo>... [--json]
  npm run scaffold -- upgrade <repo> [options]
Options:
  --url <backend>   render through a running Backstage backend's /api/scaffolder/v2/dry-run
                    instead of in-process; a bearer token, if it needs one, is read from the
                    environment variable ${TOKEN_VARIABLE}`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const options: Options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--values':
        options.values = value();
        break;
      case '--answers':
        options.answers = value();
        break;
      case '--out':
        options.out = value();
        break;
      case '--check':
        options.check = value();
        break;
      case '--url':
        options.url = value().replace(/\/+$/, '');
        break;
      case '--token':
        // npm echoes the whole command line ("> ... --token eyJ..."), so the token would be in
        // the terminal, CI logs and shell history: refuse it without looking at its value.
        throw new UsageError(
          `--token is not accepted: npm prints the command line, token included. Set ${TOKEN_VARIABLE} in the environment instead, for example: read -rs ${TOKEN_VARIABLE} && export ${TOKEN_VARIABLE}`,
        );
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        if (arg.startsWith('-') || options.environment)
          throw new UsageError(`unknown argument: ${arg}`);
        if (!(ENVIRONMENTS as readonly string[]).includes(arg)) {
          throw new UsageError(
            `unknown environment "${arg}"; use one of ${ENVIRONMENTS.join(', ')}`,
          );
        }
        options.environment = arg as Environment;
    }
  }
  if (!options.answers && (!options.environment || !options.values)) {
    throw new UsageError('give an environment and --values, or --answers');
  }
  if (options.answers && options.values)
    throw new UsageError('--answers and --values exclude each other');
  if (Boolean(options.out) === Boolean(options.check))
    throw new UsageError('give exactly one of --out and --check');
  return options;
}

/** Reads the form values, from a values file or from a repository's answers file. */
async function readValues(
  options: Options,
): Promise<{ environment: Environment; values: Record<string, unknown> }> {
  if (options.answers) {
    const answers = parse(await readFile(options.answers, 'utf8'));
    const { environment, ...values } = answers?.values ?? {};
    if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
      throw new UsageError(`${options.answers} has no values.environment`);
    }
    if (options.environment && options.environment !== environment) {
      throw new UsageError(
        `${options.answers} is a ${environment} repository, not ${options.environment}`,
      );
    }
    return { environment, values };
  }
  const values = parse(await readFile(options.values!, 'utf8'));
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw new UsageError(
      `${options.values} must hold a YAML mapping of form values`,
    );
  }
  return { environment: options.environment!, values };
}

/** A rendered repository: its files by path (bytes and mode), and how the steps went. */
interface Rendered {
  ok: boolean;
  files: Map<string, { content: Buffer; mode: number }>;
  /** One line per step, and the step's messages, for stderr. */
  report: string[];
  /** Why it failed, when it did. */
  error?: string;
}

/** Renders in-process through the functions the actions call. */
async function renderInProcess(
  template: TemplateDefinition,
  values: Record<string, unknown>,
): Promise<Rendered> {
  const kits = await loadKitsOnce();
  const report = (steps: StepReport[]) =>
    steps.flatMap((step, index) => [
      `[${index + 1}/${steps.length}] ${step.name} (${step.action}): ${step.status}`,
      ...(step.status === 'completed'
        ? step.messages.map(m => `      ${m}`)
        : []),
    ]);
  try {
    const repository = await renderRepository(template, values, kits);
    return {
      ok: true,
      files: new Map(
        repository.files.map(f => [
          f.path,
          { content: f.content, mode: f.mode },
        ]),
      ),
      report: report(repository.steps),
    };
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    return {
      ok: false,
      files: new Map(),
      report: report(error.steps),
      error: error.message,
    };
  }
}

/** Renders through a running backend's /v2/dry-run; the API drops modes, so they come from the kit. */
async function renderThroughApi(
  url: string,
  environment: Environment,
  template: object,
  values: Record<string, unknown>,
): Promise<Rendered> {
  const response = await fetch(`${url}/api/scaffolder/v2/dry-run`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(process.env[TOKEN_VARIABLE]
        ? { authorization: `Bearer ${process.env[TOKEN_VARIABLE]}` }
        : {}),
    },
    body: JSON.stringify({
      template,
      values,
      secrets: {},
      directoryContents: [],
    }),
  });
  const text = await response.text();
  let result: any = text;
  try {
    result = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: shown as it came
  }
  if (response.status !== 200) {
    const message =
      result?.error?.message ??
      (typeof result === 'string' ? result : JSON.stringify(result));
    return {
      ok: false,
      files: new Map(),
      report: [],
      error: `HTTP ${response.status}: ${message}`,
    };
  }
  const modes = new Map(kitManifest[environment].map(f => [f.path, f.mode]));
  const files = new Map(
    (result as DryRunResponse).directoryContents.map(f => [
      f.path,
      {
        content: Buffer.from(f.base64Content, 'base64'),
        mode: modes.get(f.path) ?? 0o644,
      },
    ]),
  );
  return { ok: true, files, report: reportSteps(result) };
}

// A terminal colour code starts with ESC, a control character: matching it is the point.
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;

function reportSteps(result: DryRunResponse): string[] {
  const lines: string[] = [];
  for (const [index, step] of result.steps.entries()) {
    const events = result.log.filter(l => l.body.stepId === step.id);
    const status =
      [...events].reverse().find(e => e.body.status)?.body.status ?? 'skipped';
    lines.push(
      `[${index + 1}/${result.steps.length}] ${step.name} (${step.action}): ${status}`,
    );
    for (const event of events) {
      // First line only, without colour: the scaffolder also logs each step's full input.
      const line = event.body.message?.split('\n')[0].replace(ANSI_COLOUR, '');
      if (line && !event.body.status) lines.push(`      ${line}`);
    }
  }
  return lines;
}

/**
 * Writes the rendered files with their modes (scripts executable), through the same guard as
 * the render action: nothing outside `dir`, no symbolic link followed.
 */
async function writeTree(dir: string, files: Rendered['files']) {
  await mkdir(dir, { recursive: true });
  await writeFiles(
    dir,
    dir,
    [...files].map(([file, { content, mode }]) => ({
      path: file,
      content,
      mode,
    })),
  );
}

async function isEmptyOrMissing(dir: string) {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Compares the rendered files with a directory and prints a `git diff` per drifted file:
 * `expected/` is what the template renders now, `actual/` what the directory holds.
 * Files the kit does not render are the repository's own and are not compared. Bytes and modes
 * are compared in memory; git runs only for the files that differ.
 */
async function check(dir: string, files: Rendered['files']): Promise<number> {
  let drifted = 0;
  const changed = new Map<string, { content: Buffer; mode: number }>();
  for (const file of [...files.keys()].sort()) {
    let content: Buffer;
    let mode: number;
    try {
      content = await readFile(path.join(dir, file));
      mode = (await stat(path.join(dir, file))).mode & 0o777;
    } catch {
      console.log(`missing: ${file}`);
      drifted++;
      continue;
    }
    const expected = files.get(file)!;
    if (content.equals(expected.content) && mode === expected.mode) continue;
    changed.set(file, { content, mode }); // a lost executable bit is drift too
    drifted++;
  }
  if (changed.size === 0) return drifted;

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'scaffold-check-'));
  try {
    await writeTree(
      path.join(scratch, 'expected'),
      new Map([...changed.keys()].map(f => [f, files.get(f)!])),
    );
    await writeTree(path.join(scratch, 'actual'), changed);
    for (const file of changed.keys()) {
      try {
        await run(
          'git',
          [
            'diff',
            '--no-index',
            '--no-color',
            '--no-prefix',
            '--',
            `expected/${file}`,
            `actual/${file}`,
          ],
          {
            cwd: scratch,
          },
        );
      } catch (error) {
        const { code, stdout } = error as { code?: number; stdout?: string };
        if (code !== 1) throw error;
        process.stdout.write(stdout ?? '');
      }
    }
    return drifted;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The template with only the steps that make or check files, and no output (it names the others). */
function renderingOnly(template: any): any {
  const steps = (template.spec.steps as { action: string }[]).filter(step =>
    RENDERING_ACTIONS.has(step.action),
  );
  const { output: _output, ...spec } = template.spec;
  return { ...template, spec: { ...spec, steps } };
}

/** npm runs workspace scripts in the workspace; resolve paths from where the user ran npm. */
function resolveFromCaller(options: Options): Options {
  const base = process.env.INIT_CWD ?? process.cwd();
  const resolve = (p?: string) =>
    p === undefined ? undefined : path.resolve(base, p);
  return {
    ...options,
    values: resolve(options.values),
    answers: resolve(options.answers),
    out: resolve(options.out),
    check: resolve(options.check),
  };
}

/** The parsed template.yaml of an environment. */
async function loadTemplate(environment: Environment): Promise<any> {
  return parse(
    await readFile(
      path.join(TEMPLATES_DIR, `${environment}-environment`, 'template.yaml'),
      'utf8',
    ),
  );
}

const processIo = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};

/** Runs the command; returns the exit status (0 done or no drift, 1 failure or drift, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'check') return runCheck(argv.slice(1), processIo);
  if (argv[0] === 'upgrade') return runUpgrade(argv.slice(1), processIo);
  let options: Options;
  try {
    options = resolveFromCaller(parseArgs(argv));
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) console.error(`Error: ${error.message}`);
      console.error(USAGE);
      return 2;
    }
    throw error;
  }
  try {
    const { environment, values } = await readValues(options);
    if (options.out && !(await isEmptyOrMissing(options.out))) {
      console.error(
        `Error: ${options.out} is not empty; use --check to compare, or an empty directory`,
      );
      return 2;
    }
    const template = renderingOnly(await loadTemplate(environment));
    const rendered = options.url
      ? await renderThroughApi(options.url, environment, template, values)
      : await renderInProcess(template, values);
    for (const line of rendered.report) console.error(line);
    if (!rendered.ok) {
      console.error(`The ${environment} template failed (${rendered.error})`);
      return 1;
    }
    if (options.out) {
      await writeTree(options.out, rendered.files);
      console.error(`Wrote ${rendered.files.size} files to ${options.out}`);
      return 0;
    }
    const drifted = await check(options.check!, rendered.files);
    console.error(
      drifted === 0
        ? `No drift: ${rendered.files.size} files match`
        : `Drift in ${drifted} of ${rendered.files.size} files`,
    );
    return drifted === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`Error: ${error.message}`);
      return 2;
    }
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  });
}
