import { spawn } from 'node:child_process';

/** What a finished program did. */
export interface RunResult {
  /** Exit status, or null when a signal ended the program. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** The complete environment: nothing of the test runner's own environment leaks in. */
  env: NodeJS.ProcessEnv;
  /** Text written to stdin; stdin is closed afterwards (or at once), so `read` sees EOF. */
  input?: string;
  /** Killed (SIGKILL to its process group) after this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Runs a program in its own process group and collects its output. Never rejects for a
 * non-zero exit: callers assert on the result.
 */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return start(command, args, options).done;
}

/** A started program that the caller signals and then waits for. */
export interface Started {
  pid: number;
  done: Promise<RunResult>;
}

/** Starts a program in a new process group (its pid is the group id) without waiting. */
export function start(command: string, args: string[], options: RunOptions): Started {
  let pid = 0;
  const done = new Promise<RunResult>((resolve, reject) => {
    // Node's stdio pipes are sockets; bash started with a socket on stdin and SHLVL < 1
    // believes sshd started it and reads ~/.bashrc. A terminal has SHLVL >= 1 already.
    const env = { SHLVL: '1', ...options.env };
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    pid = child.pid!;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs ?? 30_000);
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { pid, done };
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise(r => setTimeout(r, 20));
  }
  return condition();
}
