/**
 * `npm run bench`: prints, from one run on one machine,
 *  1. the render action against Backstage's builtin fetch:template rendering the same files
 *     with the same values, in the same process, alternating (medians and ratio, per environment);
 *  2. end-to-end /v2/dry-run latency per template (p50, p95);
 *  3. /v2/tasks throughput with 20 concurrent tasks, each published with publish:github to the
 *     local GitHub-compatible host (packages/github-host: real git pushes) and registered in the catalog;
 *  4. backend cold start to first served request, and resident memory after the runs.
 * It never fails on a timing: it only measures and prints.
 */
import { githubIntegrations, startGithubHost } from '@internal/github-host';
import { ScmIntegrations } from '@backstage/integration';
import { ConfigReader } from '@backstage/config';
import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { createFetchTemplateAction } from '@backstage/plugin-scaffolder-backend';
import { ActionContext, TemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRenderEnvironmentAction } from '../src/actions/renderEnvironment/renderEnvironment';
import { kitManifest } from '../src/kits/manifest';
import { loadPackagedKits } from '../src/module';
import { Environment, ENVIRONMENTS } from '../src/parameters/model';
import { formValues, loadTemplate, REPO_ROOT, startScaffolderBackend } from '../src/__testUtils__/backend';
import { canonicalValues } from '../src/__testUtils__/values';

const RUNS = Number(process.env.BENCH_RUNS ?? 60);

const silentLogger: LoggerService = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};

/** A plain action context, as the scaffolder's workflow runner builds one for a step. */
function context(workspacePath: string, input: JsonObject, baseUrl: string): ActionContext<JsonObject> {
  return {
    logger: silentLogger,
    workspacePath,
    input,
    output() {},
    checkpoint: async ({ fn }) => fn(),
    createTemporaryDirectory: () => mkdtemp(path.join(os.tmpdir(), 'bench-tmp-')),
    getInitiatorCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'none' } }) as any,
    task: { id: 'bench' },
    templateInfo: { entityRef: 'template:default/bench', baseUrl },
  };
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function readTree(dir: string, files: string[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(files.map(async f => [f, await readFile(path.join(dir, f), 'utf8')] as [string, string])));
}

/**
 * Builds a fetch:template skeleton that renders to exactly the files our action writes: each
 * rendered file with the form's values put back as `${{ values.x }}` expressions.
 */
async function fetchTemplateSkeleton(env: Environment, rendered: Map<string, string>, dir: string) {
  const values = canonicalValues[env] as Record<string, unknown>;
  const replaceable = Object.entries(values)
    .filter(([, v]) => typeof v === 'string' && (v as string).length >= 6)
    .sort(([, a], [, b]) => (b as string).length - (a as string).length) as [string, string][];
  for (const [file, text] of rendered) {
    // Literal text stays raw; the values come back as fetch:template expressions, in one pass
    // (longest value first) so that no replacement rewrites an earlier one.
    const byValue = new Map(replaceable.map(([key, value]) => [value, key]));
    const anyValue = new RegExp(replaceable.map(([, v]) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    const skeleton = `{% raw %}${text.replace(anyValue, v => `{% endraw %}\${{ values.${byValue.get(v)} }}{% raw %}`)}{% endraw %}`;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), skeleton);
  }
  return values;
}

async function compareWithFetchTemplate() {
  const { kits, kitVersion } = await loadPackagedKits();
  const ours = createRenderEnvironmentAction({ kits, kitVersion }) as unknown as TemplateAction<JsonObject>;
  const builtin = createFetchTemplateAction({
    reader: {} as UrlReaderService, // never used: the skeleton is a local file: URL
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
  }) as unknown as TemplateAction<JsonObject>;

  console.log(`\n1. Render action vs fetch:template, same files and values, alternating, ${RUNS} runs each`);
  console.log('   environment   files  bytes    ours (median)  fetch:template (median)  ratio');
  for (const env of ENVIRONMENTS) {
    const root = await mkdtemp(path.join(os.tmpdir(), `bench-${env}-`));
    const input = { ...canonicalValues[env] } as JsonObject;
    const probe = path.join(root, 'probe');
    await mkdir(probe);
    await ours.handler(context(probe, input, 'file:///nowhere/template.yaml'));
    const files = kitManifest[env].map(f => f.path);
    const rendered = await readTree(probe, files);
    const skeletonDir = path.join(root, 'template', 'skeleton');
    const values = await fetchTemplateSkeleton(env, rendered, skeletonDir);
    const builtinInput = { url: './skeleton', values } as JsonObject;
    const baseUrl = `file://${path.join(root, 'template', 'template.yaml')}`;

    // Same output, or the comparison means nothing.
    const check = path.join(root, 'check');
    await mkdir(check);
    await builtin.handler(context(check, builtinInput, baseUrl));
    const fromBuiltin = await readTree(check, files);
    const mismatched = files.filter(f => fromBuiltin.get(f) !== rendered.get(f));
    if (mismatched.length > 0) throw new Error(`fetch:template output differs for ${mismatched.join(', ')}`);

    const oursMs: number[] = [];
    const builtinMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [action, inputFor, times] of [
        [ours, input, oursMs],
        [builtin, builtinInput, builtinMs],
      ] as const) {
        const workspace = path.join(root, `run-${i}-${times === oursMs ? 'ours' : 'builtin'}`);
        await mkdir(workspace);
        const start = performance.now();
        await action.handler(context(workspace, inputFor, baseUrl));
        times.push(performance.now() - start);
      }
    }
    const bytes = [...rendered.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
    console.log(
      `   ${env.padEnd(13)} ${String(files.length).padStart(5)}  ${String(bytes).padStart(6)}   ${ms(median(oursMs)).padStart(12)}  ${ms(median(builtinMs)).padStart(22)}  ${(median(builtinMs) / median(oursMs)).toFixed(1)}x`,
    );
    await rm(root, { recursive: true, force: true });
  }
}

async function measureBackend() {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'bench-github-'));
  const token = `bench_${Date.now()}`;
  const host = await startGithubHost({
    root: scratch,
    accounts: [
      { login: 'bench-bot', type: 'User', token },
      { login: 'acme', type: 'Organization', members: ['bench-bot'] },
    ],
  });
  const backend = await startScaffolderBackend({ config: { integrations: { github: githubIntegrations(host, token) } } });
  try {
    console.log(`\n2. /v2/dry-run latency through the real scaffolder, ${Math.min(RUNS, 40)} runs per template`);
    for (const env of ENVIRONMENTS) {
      const template = await loadTemplate(env);
      const values = formValues(canonicalValues[env] as Record<string, unknown>);
      const times: number[] = [];
      for (let i = 0; i < Math.min(RUNS, 40); i++) {
        const start = performance.now();
        const { status } = await backend.dryRun(template, values);
        times.push(performance.now() - start);
        if (status !== 200) throw new Error(`dry-run of ${env} answered ${status}`);
      }
      console.log(`   ${env.padEnd(13)} p50 ${ms(quantile(times, 0.5))}   p95 ${ms(quantile(times, 0.95))}`);
    }

    console.log('\n3. /v2/tasks throughput, 20 concurrent tasks across the three templates');
    const start = performance.now();
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const env = ENVIRONMENTS[i % 3];
        const name = `bench-${env}-${i}`;
        const values = { ...formValues(canonicalValues[env] as Record<string, unknown>), name, repoUrl: `${host.host}?owner=acme&repo=${name}` };
        const { status, body } = await backend.request('POST', '/api/scaffolder/v2/tasks', {
          templateRef: `template:default/${env}-environment`,
          values,
        });
        if (status !== 201) throw new Error(`task ${i} answered ${status}: ${JSON.stringify(body)}`);
        ids.push(body.id);
      }),
    );
    const finals = new Map<string, string>();
    const rendered = new Set<string>();
    const failures: string[] = [];
    const stepStart = new Map<string, number>();
    const stepMs: Record<string, number[]> = {};
    while (finals.size < ids.length) {
      for (const id of ids.filter(x => !finals.has(x))) {
        const { body } = await backend.request('GET', `/api/scaffolder/v2/tasks/${id}`);
        if (['completed', 'failed', 'cancelled'].includes(body.status)) {
          finals.set(id, body.status);
          const { body: events } = await backend.request('GET', `/api/scaffolder/v2/tasks/${id}/events`);
          if (events.some((e: any) => e.body?.stepId === 'render' && e.body?.status === 'completed')) rendered.add(id);
          for (const e of events as any[]) {
            if (!e.body?.stepId) continue;
            const at = Date.parse(e.createdAt);
            if (e.body.status === 'processing') stepStart.set(`${id}/${e.body.stepId}`, at);
            if (e.body.status === 'completed') {
              const begun = stepStart.get(`${id}/${e.body.stepId}`);
              if (begun !== undefined) (stepMs[e.body.stepId] ??= []).push(at - begun);
            }
          }
          const failed = events.find((e: any) => e.body?.status === 'failed' && e.body?.stepId);
          if (failed) failures.push(`${failed.body.stepId}: ${String(failed.body.message).split('\n')[0]}`);
        }
      }
      await new Promise(r => setTimeout(r, 50));
    }
    const seconds = (performance.now() - start) / 1000;
    const completed = [...finals.values()].filter(s => s === 'completed').length;
    console.log(
      `   20 tasks reached a final state in ${seconds.toFixed(2)} s: ${(20 / seconds).toFixed(1)} tasks/s; completed ${completed}/20 (render, publish:github, catalog:register), render step completed in ${rendered.size}/20`,
    );
    const pushed = host.requests.filter(r => r.path.endsWith('/git-receive-pack') && r.status === 200).length;
    console.log(`   GitHub-compatible host: ${pushed} pushes received`);
    console.log(
      `   step durations, median from the task events (whole seconds, as the events are stamped): ${Object.entries(stepMs)
        .map(([step, times]) => `${step} ${(median(times) / 1000).toFixed(0)} s`)
        .join(', ')}`,
    );
    for (const failure of failures) console.log(`   failed: ${failure}`);
    // octokit (3.2) includes @octokit/plugin-throttling, whose write limiter is one module-level
    // Bottleneck group shared by every Octokit in the process: one POST/PUT/PATCH/DELETE per second.
    console.log(
      '   (publish:github makes two writes per task, create repository and protect main, and octokit\'s throttling\n' +
        '    plugin allows one write per second per backend process: at most 0.5 tasks/s per replica, by design)',
    );
  } finally {
    await backend.stop();
    await host.stop();
    await rm(scratch, { recursive: true, force: true });
  }
  console.log(`\n4. Resident memory of this process after the runs: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}

/** Starts `npm start`'s backend in a child process and times it to its first served request. */
async function coldStart() {
  const override = path.join(await mkdtemp(path.join(os.tmpdir(), 'bench-config-')), 'app-config.bench.yaml');
  // app-config.yaml requires a token (the dev frontend signs in as guest); this probe has none.
  await writeFile(
    override,
    'backend:\n  baseUrl: http://127.0.0.1:7199\n  listen:\n    port: 7199\n  auth:\n    dangerouslyDisableDefaultAuthPolicy: true\n',
  );
  const start = performance.now();
  const child = spawn(
    process.execPath,
    ['--require', '@backstage/cli/config/nodeTransform.cjs', 'dev/index.ts', '--config', path.join(REPO_ROOT, 'app-config.yaml'), '--config', override],
    { cwd: path.resolve(__dirname, '..'), stdio: 'ignore', env: { ...process.env, NODE_ENV: 'development' } },
  );
  try {
    for (;;) {
      try {
        const response = await fetch('http://127.0.0.1:7199/api/scaffolder/v2/actions');
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - start > 120_000) throw new Error('the backend did not answer within 120 s');
      await new Promise(r => setTimeout(r, 50));
    }
    console.log(`   Backend cold start (npm start's backend, child process) to first served request: ${((performance.now() - start) / 1000).toFixed(2)} s`);
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    if (rss) console.log(`   Its resident memory when ready: ${(Number(rss) / 1024).toFixed(0)} MiB`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function main() {
  console.log(`Benchmark on ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
  await compareWithFetchTemplate();
  await measureBackend();
  console.log('\n5. Cold start');
  await coldStart();
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
