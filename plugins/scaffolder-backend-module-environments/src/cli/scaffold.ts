/**
 * `npm run scaffold`: renders a template through the real scaffolder dry-run API and writes
 * the repository to a directory, or compares it with one (`--check`) and prints a diff.
 *
 *   npm run scaffold -- <development|staging|production> --values <file.yaml> --out <dir>
 *   npm run scaffold -- <environment> --values <file.yaml> --check <dir>
 *   npm run scaffold -- --answers <repo>/.environment-answers.yaml --check <repo>
 *
 * Without `--url` it boots an in-process backend (scaffolder, catalog, this module) on
 * in-memory SQLite; with `--url http://host:7007` it uses a running one, with the bearer token
 * from the BACKSTAGE_TOKEN environment variable if it needs one (never from the command line,
 * which npm prints). Only the steps that make the files run (render, and production's secrets
 * check): publishing and catalog steps have nothing to do with rendering, and would refuse an
 * environment that already exists, which is exactly what `--check` looks at.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { kitManifest } from '../kits/manifest';
import { ENVIRONMENTS, Environment } from '../parameters/model';
import { DryRunResponse, loadTemplate, startScaffolderBackend } from '../__testUtils__/backend';

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
const RENDERING_ACTIONS = new Set(['unifiCloudflare:environment:render', 'unifiCloudflare:secretsLayout:validate']);
const TOKEN_VARIABLE = 'BACKSTAGE_TOKEN';

const USAGE = `Usage:
  npm run scaffold -- <development|staging|production> --values <file.yaml> --out <dir>
  npm run scaffold -- <development|staging|production> --values <file.yaml> --check <dir>
  npm run scaffold -- --answers <repo>/.environment-answers.yaml --check <repo>
Options:
  --url <backend>   use a running Backstage backend instead of an in-process one; a bearer
                    token, if it needs one, is read from the environment variable ${TOKEN_VARIABLE}`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const options: Options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--values': options.values = value(); break;
      case '--answers': options.answers = value(); break;
      case '--out': options.out = value(); break;
      case '--check': options.check = value(); break;
      case '--url': options.url = value().replace(/\/+$/, ''); break;
      case '--token':
        // npm echoes the whole command line ("> ... --token eyJ..."), so the token would be in
        // the terminal, CI logs and shell history: refuse it without looking at its value.
        throw new UsageError(`--token is not accepted: npm prints the command line, token included. Set ${TOKEN_VARIABLE} in the environment instead, for example: read -rs ${TOKEN_VARIABLE} && export ${TOKEN_VARIABLE}`);
      case '-h':
      case '--help': throw new UsageError('');
      default:
        if (arg.startsWith('-') || options.environment) throw new UsageError(`unknown argument: ${arg}`);
        if (!(ENVIRONMENTS as readonly string[]).includes(arg)) {
          throw new UsageError(`unknown environment "${arg}"; use one of ${ENVIRONMENTS.join(', ')}`);
        }
        options.environment = arg as Environment;
    }
  }
  if (!options.answers && (!options.environment || !options.values)) {
    throw new UsageError('give an environment and --values, or --answers');
  }
  if (options.answers && options.values) throw new UsageError('--answers and --values exclude each other');
  if (Boolean(options.out) === Boolean(options.check)) throw new UsageError('give exactly one of --out and --check');
  return options;
}

/** Reads the form values, from a values file or from a repository's answers file. */
async function readValues(options: Options): Promise<{ environment: Environment; values: Record<string, unknown> }> {
  if (options.answers) {
    const answers = parse(await readFile(options.answers, 'utf8'));
    const { environment, ...values } = answers?.values ?? {};
    if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
      throw new UsageError(`${options.answers} has no values.environment`);
    }
    if (options.environment && options.environment !== environment) {
      throw new UsageError(`${options.answers} is a ${environment} repository, not ${options.environment}`);
    }
    return { environment, values };
  }
  const values = parse(await readFile(options.values!, 'utf8'));
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw new UsageError(`${options.values} must hold a YAML mapping of form values`);
  }
  return { environment: options.environment!, values };
}

async function dryRun(options: Options, template: object, values: Record<string, unknown>) {
  const body = { template, values, secrets: {}, directoryContents: [] };
  if (options.url) {
    const response = await fetch(`${options.url}/api/scaffolder/v2/dry-run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(process.env[TOKEN_VARIABLE] ? { authorization: `Bearer ${process.env[TOKEN_VARIABLE]}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }
  console.error('Starting an in-process Backstage backend (scaffolder, catalog, this module)...');
  const backend = await startScaffolderBackend();
  try {
    return await backend.dryRun(template, values);
  } finally {
    await backend.stop();
  }
}

function reportSteps(result: DryRunResponse) {
  for (const [index, step] of result.steps.entries()) {
    const events = result.log.filter(l => l.body.stepId === step.id);
    const status = [...events].reverse().find(e => e.body.status)?.body.status ?? 'skipped';
    console.error(`[${index + 1}/${result.steps.length}] ${step.name} (${step.action}): ${status}`);
    for (const event of events) {
      // First line only, without colour: the scaffolder also logs each step's full input.
      // eslint-disable-next-line no-control-regex
      const line = event.body.message?.split('\n')[0].replace(/\u001b\[[0-9;]*m/g, '');
      if (line && !event.body.status) console.error(`      ${line}`);
    }
  }
}

/** Writes the rendered files, restoring the modes the dry-run API drops. */
async function writeTree(dir: string, environment: Environment, files: Map<string, Buffer>) {
  const modes = new Map(kitManifest[environment].map(f => [f.path, f.mode]));
  for (const [file, content] of files) {
    const target = path.resolve(dir, file);
    if (path.relative(dir, target).startsWith('..')) throw new Error(`refusing to write ${file} outside ${dir}`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    await chmod(target, modes.get(file) ?? 0o644);
  }
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
 * Files the kit does not render are the repository's own and are not compared.
 */
async function check(dir: string, environment: Environment, files: Map<string, Buffer>): Promise<number> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'scaffold-check-'));
  try {
    await writeTree(path.join(scratch, 'expected'), environment, files);
    let drifted = 0;
    for (const file of [...files.keys()].sort()) {
      let actual: Buffer;
      let mode: number;
      try {
        actual = await readFile(path.join(dir, file));
        mode = (await stat(path.join(dir, file))).mode & 0o777;
      } catch {
        console.log(`missing: ${file}`);
        drifted++;
        continue;
      }
      await mkdir(path.dirname(path.join(scratch, 'actual', file)), { recursive: true });
      await writeFile(path.join(scratch, 'actual', file), actual);
      await chmod(path.join(scratch, 'actual', file), mode); // a lost executable bit is drift too
      try {
        await run('git', ['diff', '--no-index', '--no-color', '--no-prefix', '--', `expected/${file}`, `actual/${file}`], {
          cwd: scratch,
        });
      } catch (error) {
        const { code, stdout } = error as { code?: number; stdout?: string };
        if (code !== 1) throw error;
        process.stdout.write(stdout ?? '');
        drifted++;
      }
    }
    return drifted;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The template with only the steps that make or check files, and no output (it names the others). */
function renderingOnly(template: any): any {
  const steps = (template.spec.steps as { action: string }[]).filter(step => RENDERING_ACTIONS.has(step.action));
  const { output: _output, ...spec } = template.spec;
  return { ...template, spec: { ...spec, steps } };
}

/** npm runs workspace scripts in the workspace; resolve paths from where the user ran npm. */
function resolveFromCaller(options: Options): Options {
  const base = process.env.INIT_CWD ?? process.cwd();
  const resolve = (p?: string) => (p === undefined ? undefined : path.resolve(base, p));
  return { ...options, values: resolve(options.values), answers: resolve(options.answers), out: resolve(options.out), check: resolve(options.check) };
}

export async function main(argv: string[]): Promise<number> {
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
      console.error(`Error: ${options.out} is not empty; use --check to compare, or an empty directory`);
      return 2;
    }
    const template = renderingOnly(await loadTemplate(environment));
    const { status, body } = await dryRun(options, template, values);
    if (status !== 200) {
      console.error(`The ${environment} template failed (HTTP ${status}): ${body?.error?.message ?? JSON.stringify(body)}`);
      return 1;
    }
    reportSteps(body);
    const files = new Map<string, Buffer>(
      body.directoryContents.map((f: { path: string; base64Content: string }) => [f.path, Buffer.from(f.base64Content, 'base64')]),
    );
    if (options.out) {
      await writeTree(options.out, environment, files);
      console.error(`Wrote ${files.size} files to ${options.out}`);
      return 0;
    }
    const drifted = await check(options.check!, environment, files);
    console.error(drifted === 0 ? `No drift: ${files.size} files match` : `Drift in ${drifted} of ${files.size} files`);
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
  main(process.argv.slice(2)).then(code => process.exit(code));
}
