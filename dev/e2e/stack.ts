/**
 * Starts what `npm start` starts (dev/start.mjs: the backend and the frontend dev server) on
 * ports of its own and with a fresh directory for local repositories, waits until both serve,
 * and stops both at the end.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How many templates catalog-info.yaml registers: the stack is ready when the catalog holds them all. */
const TEMPLATE_COUNT = (
  readFileSync(path.join(__dirname, '../../catalog-info.yaml'), 'utf8').match(
    /^\s*- \.\/templates\/.*\/template\.yaml$/gm,
  ) ?? []
).length;

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const ARTIFACTS = path.join(REPO_ROOT, 'artifacts', 'browser');

const APP_PORT = Number(process.env.BROWSER_TEST_APP_PORT ?? 3100);
const BACKEND_PORT = Number(process.env.BROWSER_TEST_BACKEND_PORT ?? 7107);

export interface Stack {
  appUrl: string;
  backendUrl: string;
  /** Where the local publisher creates repositories in this run. */
  repositories: string;
  /** Seconds from start until both the app and the backend (with the templates) answered. */
  startSeconds: number;
  /** A guest user token, as the frontend gets it. */
  guestToken(): Promise<string>;
  /** GET on the backend with the guest token; parsed JSON. */
  api(route: string): Promise<{ status: number; body: any }>;
  /**
   * How often the backend restarted since it first served: `backstage-cli package start` restarts
   * it whenever a file of the package changes, which ends running tasks and empties the catalog.
   */
  restarts(): number;
  stop(): Promise<void>;
}

async function isServing(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

export async function startStack(): Promise<Stack> {
  const appUrl = `http://localhost:${APP_PORT}`;
  const backendUrl = `http://localhost:${BACKEND_PORT}`;
  for (const url of [appUrl, backendUrl]) {
    if (await isServing(url))
      throw new Error(
        `${url} is already in use; stop what serves it or set BROWSER_TEST_APP_PORT/BROWSER_TEST_BACKEND_PORT`,
      );
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'browser-e2e-'));
  const repositories = path.join(tmp, 'repositories');
  const override = path.join(tmp, 'app-config.browser-test.yaml');
  await writeFile(
    override,
    [
      'app:',
      `  baseUrl: ${appUrl}`,
      'backend:',
      `  baseUrl: ${backendUrl}`,
      '  listen:',
      `    port: ${BACKEND_PORT}`,
      '  cors:',
      `    origin: ${appUrl}`,
      'unifiCloudflare:',
      '  localPublisher:',
      '    enabled: true',
      `    directory: ${JSON.stringify(repositories)}`,
      '',
    ].join('\n'),
  );
  await mkdir(ARTIFACTS, { recursive: true });
  const log = createWriteStream(path.join(ARTIFACTS, 'stack.log'));

  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'dev/start.mjs'),
      '--config',
      path.join(REPO_ROOT, 'app-config.yaml'),
      '--config',
      override,
    ],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let restarts = 0;
  let ready = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (ready && chunk.toString().includes('Change detected, restarting'))
      restarts++;
  });
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );

  async function guestToken(): Promise<string> {
    const response = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    if (!response.ok)
      throw new Error(
        `guest sign-in failed: HTTP ${response.status} ${await response.text()}`,
      );
    return (await response.json()).backstageIdentity.token;
  }
  async function api(route: string) {
    const response = await fetch(`${backendUrl}${route}`, {
      headers: { authorization: `Bearer ${await guestToken()}` },
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : undefined,
    };
  }
  async function stop() {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise(r => setTimeout(r, 15_000))]);
    // Wait until both ports are free again, so a following run can start.
    for (
      let i = 0;
      i < 50 && ((await isServing(appUrl)) || (await isServing(backendUrl)));
      i++
    ) {
      await new Promise(r => setTimeout(r, 200));
    }
    log.end();
  }

  try {
    const deadline = Date.now() + 300_000;
    while (!ready) {
      if (child.exitCode !== null)
        throw new Error(
          `dev/start.mjs exited with code ${child.exitCode}; see ${path.join(ARTIFACTS, 'stack.log')}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `the app and backend did not come up within 300 s; see ${path.join(ARTIFACTS, 'stack.log')}`,
        );
      await new Promise(r => setTimeout(r, 1000));
      try {
        const app = await fetch(appUrl);
        if (!app.ok) continue;
        const templates = await api(
          '/api/catalog/entities/by-query?filter=kind=template',
        );
        const users = await api(
          '/api/catalog/entities/by-query?filter=kind=user',
        );
        ready =
          templates.body?.items?.length === TEMPLATE_COUNT &&
          users.body?.items?.length >= 1;
      } catch {
        // not up yet
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const startSeconds = (performance.now() - started) / 1000;
  return {
    appUrl,
    backendUrl,
    repositories,
    startSeconds,
    guestToken,
    api,
    restarts: () => restarts,
    stop,
  };
}
