/**
 * The one process runner of the test code: short commands (`run`, `runOrFail`), commands the
 * test signals (`start`), and long-running servers that must become ready (`startService`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { waitUntil } from './waitUntil';

/** Output kept from a failed command, enough to read the error without flooding the report. */
const TAIL_CHARS = 6000;

/** The end of a long text, marked with `...` when cut. */
export function tail(text: string, chars = TAIL_CHARS): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/**
 * The environment of a child process as a user's shell would give it: without the npm_* variables
 * of the `npm test` that runs us (an inherited `npm_config_workspace` would put a child npm in
 * workspace mode), without jest's NODE_ENV and NODE_OPTIONS, and without NODE_PATH, which would let
 * Node find packages the child's project does not have.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || /^JEST_/i.test(key)) continue;
    if (['NODE_ENV', 'NODE_OPTIONS', 'NODE_PATH', 'INIT_CWD'].includes(key))
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** What a finished program did. */
export interface RunResult {
  /** Exit status, or null when a signal ended the program. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for programs whose output is not text (NUL-separated words). */
  stdoutBytes: Buffer;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  /** Wall time in milliseconds. */
  ms: number;
}

/** How to run a program. */
export interface RunOptions {
  cwd: string;
  /**
   * The complete environment (nothing of the test runner's own environment leaks in unless it
   * is passed); default {@link userEnv}().
   */
  env?: NodeJS.ProcessEnv;
  /** Text written to stdin; stdin is closed afterwards (or at once), so `read` sees EOF. */
  input?: string;
  /** Killed (SIGKILL to its process group) after this many milliseconds; default 10 minutes. */
  timeoutMs?: number;
}

/** A started program that the caller signals and then waits for. */
export interface Started {
  /** The pid, which is also the process group id. */
  pid: number;
  done: Promise<RunResult>;
}

/**
 * Runs a program in its own process group and collects its output. Never rejects for a
 * non-zero exit: callers assert on the result.
 */
export function run(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<RunResult> {
  return start(command, args, options).done;
}

/** Runs a program and throws a readable error, with the program's output, unless it exits 0. */
export async function runOrFail(
  what: string,
  command: string,
  args: string[],
  options: RunOptions,
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${what} failed (exit ${result.code ?? result.signal}): ${command} ${args.join(' ')}\n  in ${options.cwd}\n${tail(result.output)}`,
    );
  }
  return result;
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  // pid 0 (the spawn failed) would signal the test runner's own group.
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Starts a program in a new process group (its pid is the group id) without waiting. */
export function start(
  command: string,
  args: string[],
  options: RunOptions,
): Started {
  let pid = 0;
  const started = Date.now();
  const done = new Promise<RunResult>((resolve, reject) => {
    // Node's stdio pipes are sockets; bash started with a socket on stdin and SHLVL < 1
    // believes sshd started it and reads ~/.bashrc. A terminal has SHLVL >= 1 already.
    const env = { SHLVL: '1', ...(options.env ?? userEnv()) };
    const child = spawn(command, args, {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    pid = child.pid ?? 0;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let output = '';
    // One decoder a stream: a character split across two chunks is decoded whole.
    const decoders = {
      out: new StringDecoder('utf8'),
      err: new StringDecoder('utf8'),
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      output += decoders.out.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      output += decoders.err.write(chunk);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(
      () => killGroup(pid, 'SIGKILL'),
      options.timeoutMs ?? 10 * 60_000,
    );
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(stdout);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        stdoutBytes,
        output: output + decoders.out.end() + decoders.err.end(),
        ms: Date.now() - started,
      });
    });
  });
  return { pid, done };
}

/** A long-running server process started by {@link startService}. */
export interface Service {
  process: ChildProcess;
  /** Everything it printed so far (also written to `logFile` when given). */
  output(): string;
  /** Resolves with the exit code or signal once it has exited. */
  exited: Promise<number | string>;
  /** True once it has exited. */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (default 15 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (no shutdown hooks run); resolves once it has exited. */
  kill(): Promise<void>;
}

/** How to start a server with {@link startService}. */
export interface ServiceOptions {
  /** Shown in errors: `the fresh backend`, `replica n1`. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** The complete environment; default {@link userEnv}(). */
  env?: NodeJS.ProcessEnv;
  /** Also write the output to this file. */
  logFile?: string;
  /** Resolves true once the server is ready, e.g. its readiness endpoint answers 200. */
  ready: () => Promise<boolean>;
  /** Give up (and kill it) after this many milliseconds; default 180 s. */
  timeoutMs?: number;
}

/** Processes started by startService that are still running, killed if the test runner exits. */
const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * Starts a server and waits until `ready` says so; throws with the end of its output if it
 * exits first or is not ready in time (and then kills it). Killed when the test process exits.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => running.forEach(c => c.kill('SIGKILL')));
  }
  let output = '';
  const log = options.logFile ? createWriteStream(options.logFile) : undefined;
  const collect = (chunk: Buffer) => {
    output += chunk;
    log?.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let hasExited = false;
  const exited = new Promise<number | string>(resolve =>
    child.once('exit', (code, signal) => {
      hasExited = true;
      running.delete(child);
      resolve(signal ?? code ?? 'unknown');
    }),
  );
  exited.then(() => log?.end());

  const service: Service = {
    process: child,
    output: () => output,
    exited,
    hasExited: () => hasExited,
    async stop(graceMs = 15_000) {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
  };

  const timeoutMs = options.timeoutMs ?? 180_000;
  try {
    await waitUntil(
      `${options.name} becoming ready`,
      async () => {
        if (hasExited)
          throw new Error(
            `${options.name} exited with ${await exited} before it was ready`,
          );
        return options.ready().catch(() => false);
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    await service.kill();
    throw new Error(`${(error as Error).message}:\n${tail(output)}`);
  }
  return service;
}
