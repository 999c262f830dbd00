import { spawn } from 'node:child_process';

/** Output kept from a failed command, enough to read the error without flooding the report. */
const TAIL_CHARS = 6000;

export function tail(text: string, chars = TAIL_CHARS): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/**
 * The environment of a child process as a user's shell would give it: without the npm_* variables
 * of the `npm test` that runs us (an inherited `npm_config_workspace` would put the child npm in
 * workspace mode), without jest's NODE_ENV and NODE_OPTIONS, and without NODE_PATH, which would let
 * Node find packages the fresh backend does not have.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || /^JEST_/i.test(key)) continue;
    if (['NODE_ENV', 'NODE_OPTIONS', 'NODE_PATH', 'INIT_CWD'].includes(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs a command to completion and returns its exit code and combined output; never throws on exit codes. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    child.on('error', reject);
    child.on('close', code => resolve({ code, output, ms: Date.now() - started }));
  });
}

/** Runs a command and throws a readable error, with the command's output, unless it exits 0. */
export async function runOrFail(
  what: string,
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${what} failed (exit ${result.code}): ${command} ${args.join(' ')}\n  in ${options.cwd}\n${tail(result.output)}`,
    );
  }
  return result;
}
