/**
 * `npm run bench`: prints, from one run on one machine (medians; runs alternate so that load on
 * the machine hits every variant alike),
 *  1. the render action against Backstage's builtin fetch:template rendering the same files
 *     with the same values, in the same process, alternating (medians and ratio, per environment);
 *  2. the same two through the real API: /v2/dry-run of a one-step template (our render step,
 *     or fetch:template on the same files), whole requests and step cost over a debug:log step;
 *     the template's step as it is and, if it passes the fields one by one, the same step given
 *     the form's values at once (`values: ${{ parameters }}`, fetch:template likewise); and a
 *     bare step that only writes the same files (bench/bareSteps.ts), whose cost caps the ratio
 *     any render step can reach over fetch:template through the API;
 *  3. the production dry-run (every step of templates/production-environment) against the
 *     floor: the same steps, each done by debug:log, side by side; event-loop delay during each;
 *     the bare floor (render, validation and name check doing their least: write the files, read
 *     them, one catalog lookup); and the same template with its render step given
 *     `values: ${{ parameters }}` if it passes fields one by one;
 *  4. end-to-end /v2/dry-run latency per template (p50, p95);
 *  5. /v2/tasks throughput with 20 concurrent tasks, each published with publish:github to the
 *     local GitHub-compatible host (packages/github-host: real git pushes) and registered in the catalog;
 *  6. the fleet: `npm run scaffold -- check` over 1 and over 50 generated repositories (git
 *     repositories in temp directories), whole commands, alternating: T(50)/T(1), repositories/s;
 *  7. backend cold start to first served request, and resident memory after the runs.
 * The backend is bench/backend.ts (createBackend from @backstage/backend-defaults, the plugins of
 * `npm start`), not the test harness. It never fails on a timing: it only measures and prints.
 * BENCH_RUNS (default 60) sets the runs per measurement; BENCH_ONLY=2,3,6 runs some sections;
 * BENCH_FLEET_RUNS (default 5) the runs of each fleet command.
 */
import { githubIntegrations, startGithubHost } from '@internal/github-host';
import { ScmIntegrations } from '@backstage/integration';
import { ConfigReader } from '@backstage/config';
import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { createFetchTemplateAction } from '@backstage/plugin-scaffolder-backend';
import {
  ActionContext,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { execFile, spawn } from 'node:child_process';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createRenderEnvironmentAction } from '../src/actions/renderEnvironment/renderEnvironment';
import { kitManifest } from '../src/kits/manifest';
import { loadKitsOnce, renderEnvironment } from '../src/kits/render';
import { renderRepository } from '../src/kits/repository';
import { Environment, ENVIRONMENTS } from '../src/parameters/model';
import { BenchBackend, REPO_ROOT, startBenchBackend } from './backend';
import { setBareFiles } from './bareSteps';

const RUNS = Number(process.env.BENCH_RUNS ?? 60);
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean).map(Number),
);
const enabled = (section: number) => ONLY.size === 0 || ONLY.has(section);
const run = promisify(execFile);

/** An environment's template.yaml. */
async function loadTemplate(env: Environment): Promise<any> {
  return parse(
    await readFile(
      path.join(REPO_ROOT, 'templates', `${env}-environment`, 'template.yaml'),
      'utf8',
    ),
  );
}

/** The example form values shipped beside each template. */
async function exampleValues(
  env: Environment,
): Promise<Record<string, unknown>> {
  return parse(
    await readFile(
      path.join(
        REPO_ROOT,
        'templates',
        `${env}-environment`,
        'example-values.yaml',
      ),
      'utf8',
    ),
  );
}

/** The render action's input for an environment's example values. */
async function renderInput(env: Environment): Promise<Record<string, unknown>> {
  return { environment: env, ...(await exampleValues(env)) };
}

/**
 * Gives bench:writeFiles the files of an environment's example values, rendered in-process
 * (the same bytes as the render step writes: tests/cli/inProcess.test.ts); the set is named
 * after the environment.
 */
async function prepareBareFiles(env: Environment) {
  const { files } = renderEnvironment(
    await renderInput(env),
    await loadKitsOnce(),
  );
  setBareFiles(env, files);
}

const dryRun = (
  backend: BenchBackend,
  template: object,
  values: Record<string, unknown>,
  directoryContents: { path: string; base64Content: string }[] = [],
) =>
  backend.request('POST', '/api/scaffolder/v2/dry-run', {
    template,
    values,
    secrets: {},
    directoryContents,
  });

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
function context(
  workspacePath: string,
  input: JsonObject,
  baseUrl: string,
): ActionContext<JsonObject> {
  return {
    logger: silentLogger,
    workspacePath,
    input,
    output() {},
    checkpoint: async ({ fn }) => fn(),
    createTemporaryDirectory: () =>
      mkdtemp(path.join(os.tmpdir(), 'bench-tmp-')),
    getInitiatorCredentials: async () =>
      ({
        $$type: '@backstage/BackstageCredentials',
        principal: { type: 'none' },
      }) as any,
    task: { id: 'bench' },
    templateInfo: { entityRef: 'template:default/bench', baseUrl },
  };
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(q * sorted.length) - 1),
  );
  return sorted[index];
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function readTree(
  dir: string,
  files: string[],
): Promise<Map<string, string>> {
  return new Map(
    await Promise.all(
      files.map(
        async f =>
          [f, await readFile(path.join(dir, f), 'utf8')] as [string, string],
      ),
    ),
  );
}

/**
 * Builds a fetch:template skeleton that renders to exactly the files our action writes: each
 * rendered file with the form's values put back as `${{ values.x }}` expressions.
 */
async function fetchTemplateSkeleton(
  env: Environment,
  rendered: Map<string, string>,
  dir: string,
) {
  const values = await renderInput(env);
  // The environment stays literal text: the step names it, it is not a form value (so a step
  // given the form's values at once, `values: ${{ parameters }}`, renders the same skeleton).
  const replaceable = Object.entries(values)
    .filter(
      ([k, v]) =>
        k !== 'environment' &&
        typeof v === 'string' &&
        (v as string).length >= 6,
    )
    .sort(([, a], [, b]) => (b as string).length - (a as string).length) as [
    string,
    string,
  ][];
  for (const [file, text] of rendered) {
    // Literal text stays raw; the values come back as fetch:template expressions, in one pass
    // (longest value first) so that no replacement rewrites an earlier one.
    const byValue = new Map(replaceable.map(([key, value]) => [value, key]));
    const anyValue = new RegExp(
      replaceable
        .map(([, v]) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    const skeleton = `{% raw %}${text.replace(anyValue, v => `{% endraw %}\${{ values.${byValue.get(v)} }}{% raw %}`)}{% endraw %}`;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), skeleton);
  }
  return values;
}

async function compareWithFetchTemplate() {
  const { kits, kitVersion } = await loadKitsOnce();
  const ours = createRenderEnvironmentAction({
    kits,
    kitVersion,
  }) as unknown as TemplateAction<JsonObject>;
  const builtin = createFetchTemplateAction({
    reader: {} as UrlReaderService, // never used: the skeleton is a local file: URL
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
  }) as unknown as TemplateAction<JsonObject>;

  console.log(
    `\n1. Render action vs fetch:template, same files and values, alternating, ${RUNS} runs each`,
  );
  console.log(
    '   environment   files  bytes    ours (median)  fetch:template (median)  ratio',
  );
  for (const env of ENVIRONMENTS) {
    const root = await mkdtemp(path.join(os.tmpdir(), `bench-${env}-`));
    const input = (await renderInput(env)) as JsonObject;
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
    const mismatched = files.filter(
      f => fromBuiltin.get(f) !== rendered.get(f),
    );
    if (mismatched.length > 0)
      throw new Error(
        `fetch:template output differs for ${mismatched.join(', ')}`,
      );

    const oursMs: number[] = [];
    const builtinMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [action, inputFor, times] of [
        [ours, input, oursMs],
        [builtin, builtinInput, builtinMs],
      ] as const) {
        const workspace = path.join(
          root,
          `run-${i}-${times === oursMs ? 'ours' : 'builtin'}`,
        );
        await mkdir(workspace);
        const start = performance.now();
        await action.handler(context(workspace, inputFor, baseUrl));
        times.push(performance.now() - start);
      }
    }
    const bytes = [...rendered.values()].reduce(
      (n, t) => n + Buffer.byteLength(t),
      0,
    );
    console.log(
      `   ${env.padEnd(13)} ${String(files.length).padStart(5)}  ${String(bytes).padStart(6)}   ${ms(median(oursMs)).padStart(12)}  ${ms(median(builtinMs)).padStart(22)}  ${(median(builtinMs) / median(oursMs)).toFixed(1)}x`,
    );
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs `variants` alternately `runs` times; returns each one's durations in ms. */
async function alternate<K extends string>(
  runs: number,
  variants: Record<K, () => Promise<void>>,
): Promise<Record<K, number[]>> {
  const times = Object.fromEntries(
    Object.keys(variants).map(k => [k, [] as number[]]),
  ) as unknown as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    for (const key of Object.keys(variants) as K[]) {
      const start = performance.now();
      await variants[key]();
      times[key].push(performance.now() - start);
    }
  }
  return times;
}

async function expectOk(
  response: Promise<{ status: number; body: any }>,
  what: string,
) {
  const { status, body } = await response;
  if (status !== 200)
    throw new Error(
      `${what} answered ${status}: ${JSON.stringify(body).slice(0, 1000)}`,
    );
  return body;
}

/** The render step with its input in the form the render action also takes: the form's values at once. */
function withFormValues(renderStep: any, env: Environment) {
  return {
    ...renderStep,
    input: {
      environment: env,
      ...(renderStep.input.targetPath === undefined
        ? {}
        : { targetPath: renderStep.input.targetPath }),
      values: '${{ parameters }}',
    },
  };
}

/** Whether a render step passes the form's values at once rather than field by field. */
const takesFormValues = (renderStep: any) =>
  typeof renderStep.input?.values === 'string';

/**
 * fetch:template's values in the same form as our step's input: one `${{ parameters.x }}`
 * expression per field, or the form's values at once.
 */
function fetchTemplateValues(renderStep: any, input: Record<string, unknown>) {
  if (takesFormValues(renderStep)) return '${{ parameters }}';
  return Object.fromEntries(
    Object.keys(input)
      .filter(k => k !== 'environment')
      .map(k => [k, `\${{ parameters.${k} }}`]),
  );
}

/** Section 2: our render step against fetch:template on the same files, through /v2/dry-run. */
async function apiRenderVsFetchTemplate(backend: BenchBackend) {
  const runs = Math.min(RUNS, 40);
  console.log(
    `\n2. Through the API: /v2/dry-run of a one-step template, our render step vs fetch:template on the same files, alternating, ${runs} runs`,
  );
  console.log(
    '   Whole request: POST to answer. Step: the request minus a one-step debug:log dry-run carrying the same upload.',
  );
  console.log(
    "   Rows: the template's render step as it is, and (when it passes fields one by one) the same step given the form's values at once, values: ${{ parameters }}; fetch:template gets its values in the same form.",
  );
  console.log(
    "   Bare write: a step that only writes the same files (bench:writeFiles, bench/bareSteps.ts: mkdir and writeFile, nothing rendered or checked), given the form's values like our step;",
  );
  console.log(
    '   "cap" is fetch:template (step) / bare write (step): the ratio a render step that cost nothing beyond its writes would reach.',
  );
  console.log(
    '   environment   input          ours (req)  fetch:template (req)  ratio   ours (step)  fetch:template (step)  ratio   bare write (step)    cap',
  );
  for (const env of ENVIRONMENTS) {
    const full = await loadTemplate(env);
    const templateStep = full.spec.steps.find(
      (s: any) => s.action === 'unifiCloudflare:environment:render',
    );
    const forms: [string, any][] = takesFormValues(templateStep)
      ? [['values', templateStep]]
      : [
          ['by field', templateStep],
          ['values', withFormValues(templateStep, env)],
        ];
    for (const [form, renderStep] of forms)
      await apiRenderRow(backend, runs, env, full, form, renderStep);
  }
}

/** One row of section 2: one environment, one form of the render step's input. */
async function apiRenderRow(
  backend: BenchBackend,
  runs: number,
  env: Environment,
  full: any,
  form: string,
  renderStep: any,
) {
  const values = await exampleValues(env);
  const input = await renderInput(env);

  const withSteps = (steps: object[]) => ({
    ...full,
    spec: { ...full.spec, output: {}, steps },
  });
  const oursTemplate = withSteps([renderStep]);
  // fetch:template gets the same values through the same kind of expressions as our step.
  const ftValues = fetchTemplateValues(renderStep, input);
  const ftTemplate = withSteps([
    {
      id: 'fetch',
      name: 'Fetch',
      action: 'fetch:template',
      input: { url: './skeleton', targetPath: '.', values: ftValues },
    },
  ]);
  const floorTemplate = withSteps([
    {
      id: 'log',
      name: 'Log',
      action: 'debug:log',
      input: { message: 'floor' },
    },
  ]);
  await prepareBareFiles(env);
  const bareTemplate = withSteps([
    {
      id: 'write',
      name: 'Write',
      action: 'bench:writeFiles',
      input: { set: env, values: '${{ parameters }}' },
    },
  ]);

  // The skeleton fetch:template renders: what our step renders through the API, with the
  // values put back as expressions.
  const a = await expectOk(
    dryRun(backend, oursTemplate, values),
    `dry-run of our ${env} render`,
  );
  const files = kitManifest[env].map(f => f.path);
  const rendered = new Map<string, string>(
    a.directoryContents.map((f: any) => [
      f.path,
      Buffer.from(f.base64Content, 'base64').toString('utf8'),
    ]),
  );
  const root = await mkdtemp(path.join(os.tmpdir(), `bench-api-${env}-`));
  await fetchTemplateSkeleton(env, rendered, path.join(root, 'skeleton'));
  const skeleton = await Promise.all(
    files.map(async f => ({
      path: `skeleton/${f}`,
      base64Content: (await readFile(path.join(root, 'skeleton', f))).toString(
        'base64',
      ),
    })),
  );
  await rm(root, { recursive: true, force: true });

  // Same output, or the comparison means nothing.
  const b = await expectOk(
    dryRun(backend, ftTemplate, values, skeleton),
    `dry-run of fetch:template (${env})`,
  );
  const byPath = (body: any) =>
    new Map<string, string>(
      body.directoryContents.map((f: any) => [f.path, f.base64Content]),
    );
  const ra = byPath(a);
  const rb = byPath(b);
  const differ = files.filter(f => ra.get(f) !== rb.get(f));
  if (differ.length > 0)
    throw new Error(
      `through the API, fetch:template output differs for ${differ.join(', ')}`,
    );
  const rc = byPath(
    await expectOk(dryRun(backend, bareTemplate, values), 'bare write'),
  );
  const differBare = files.filter(f => ra.get(f) !== rc.get(f));
  if (differBare.length > 0)
    throw new Error(
      `through the API, the bare write differs for ${differBare.join(', ')}`,
    );

  const t = await alternate(runs, {
    ours: async () =>
      void (await expectOk(dryRun(backend, oursTemplate, values), 'ours')),
    fetchTemplate: async () =>
      void (await expectOk(
        dryRun(backend, ftTemplate, values, skeleton),
        'fetch:template',
      )),
    floor: async () =>
      void (await expectOk(dryRun(backend, floorTemplate, values), 'floor')),
    floorUpload: async () =>
      void (await expectOk(
        dryRun(backend, floorTemplate, values, skeleton),
        'floor with upload',
      )),
    bare: async () =>
      void (await expectOk(dryRun(backend, bareTemplate, values), 'bare')),
  });
  const oursStep = median(t.ours) - median(t.floor);
  const ftStep = median(t.fetchTemplate) - median(t.floorUpload);
  const bareStep = median(t.bare) - median(t.floor);
  console.log(
    `   ${env.padEnd(13)} ${form.padEnd(12)} ${ms(median(t.ours)).padStart(10)}  ${ms(median(t.fetchTemplate)).padStart(20)}  ${(median(t.fetchTemplate) / median(t.ours)).toFixed(1).padStart(4)}x  ${ms(oursStep).padStart(11)}  ${ms(ftStep).padStart(21)}  ${(ftStep / oursStep).toFixed(1).padStart(4)}x  ${ms(bareStep).padStart(17)}  ${(ftStep / bareStep).toFixed(1).padStart(4)}x`,
  );
}

/** Section 3: the production dry-run against the same steps done by debug:log. */
async function productionAgainstFloor(backend: BenchBackend) {
  const runs = Math.min(RUNS, 40);
  const template = await loadTemplate('production');
  const values = await exampleValues('production');
  // The floor: every step of the template, with its id, name and condition, done by debug:log.
  const floor = {
    ...template,
    spec: {
      ...template.spec,
      output: {},
      steps: template.spec.steps.map((s: any) => ({
        id: s.id,
        name: s.name,
        ...(s.if === undefined ? {} : { if: s.if }),
        action: 'debug:log',
        input: { message: s.name },
      })),
    },
  };
  // The bare floor: the floor, but the three steps that do work in a dry-run do its least
  // (bench/bareSteps.ts): write the same files, read them all, ask the catalog for the name.
  await prepareBareFiles('production');
  const bareFor: Record<string, (s: any) => object> = {
    'unifiCloudflare:environment:render': () => ({
      action: 'bench:writeFiles',
      input: { set: 'production', values: '${{ parameters }}' },
    }),
    'unifiCloudflare:secretsLayout:validate': () => ({
      action: 'bench:readFiles',
      input: { path: '.' },
    }),
    // The name check before publishing; the one after registering does nothing in a dry run.
    'unifiCloudflare:catalog:checkName': s =>
      s.input?.origin === undefined
        ? {
            action: 'bench:getEntity',
            input: { entityRef: `resource:default/${values.name}` },
          }
        : { action: 'debug:log', input: { message: s.name } },
  };
  const bare = {
    ...floor,
    spec: {
      ...floor.spec,
      steps: template.spec.steps.map((s: any, i: number) =>
        bareFor[s.action]
          ? {
              id: s.id,
              name: s.name,
              ...(s.if === undefined ? {} : { if: s.if }),
              ...bareFor[s.action](s),
            }
          : floor.spec.steps[i],
      ),
    },
  };
  // The same template with its render step given the form's values at once (if it is not already).
  const renderStep = template.spec.steps.find(
    (s: any) => s.action === 'unifiCloudflare:environment:render',
  );
  const withValues = takesFormValues(renderStep)
    ? undefined
    : {
        ...template,
        spec: {
          ...template.spec,
          steps: template.spec.steps.map((s: any) =>
            s === renderStep ? withFormValues(s, 'production') : s,
          ),
        },
      };
  const production = await expectOk(
    dryRun(backend, template, values),
    'the production dry-run',
  );
  await expectOk(dryRun(backend, floor, values), 'the debug:log floor');
  const bareFiles = await expectOk(
    dryRun(backend, bare, values),
    'the bare floor',
  );
  const sortedContents = (body: any) =>
    JSON.stringify(
      [...body.directoryContents].sort((a: any, b: any) =>
        a.path < b.path ? -1 : 1,
      ),
    );
  if (sortedContents(bareFiles) !== sortedContents(production))
    throw new Error(
      'the bare floor leaves other files than the production dry-run',
    );
  if (withValues) {
    const same = await expectOk(
      dryRun(backend, withValues, values),
      'the production dry-run with values: ${{ parameters }}',
    );
    if (
      JSON.stringify(same.directoryContents) !==
      JSON.stringify(production.directoryContents)
    )
      throw new Error(
        'the render step given the form values at once renders other files',
      );
  }
  const delay = {
    production: monitorEventLoopDelay({ resolution: 1 }),
    floor: monitorEventLoopDelay({ resolution: 1 }),
  };
  const t = await alternate(runs, {
    production: async () => {
      delay.production.enable();
      await expectOk(dryRun(backend, template, values), 'production');
      delay.production.disable();
    },
    floor: async () => {
      delay.floor.enable();
      await expectOk(dryRun(backend, floor, values), 'floor');
      delay.floor.disable();
    },
    bare: async () =>
      void (await expectOk(dryRun(backend, bare, values), 'bare floor')),
    ...(withValues
      ? {
          values: async () =>
            void (await expectOk(
              dryRun(backend, withValues, values),
              'production with values',
            )),
        }
      : {}),
  } as Record<'production' | 'floor' | 'bare' | 'values', () => Promise<void>>);
  console.log(
    `\n3. Production dry-run vs the same ${template.spec.steps.length} steps done by debug:log (same template, ids, names and conditions), one backend, alternating, ${runs} runs`,
  );
  console.log(
    `   production dry-run  median ${ms(median(t.production))}  p95 ${ms(quantile(t.production, 0.95))}`,
  );
  console.log(
    `   debug:log floor     median ${ms(median(t.floor))}  p95 ${ms(quantile(t.floor, 0.95))}`,
  );
  console.log(
    `   bare floor          median ${ms(median(t.bare))}  p95 ${ms(quantile(t.bare, 0.95))}  (the floor, with render, validate and the name check doing their least: bench:writeFiles, bench:readFiles, bench:getEntity)`,
  );
  console.log(
    `   ratio (medians)     ${(median(t.production) / median(t.floor)).toFixed(2)}x production / debug:log floor`,
  );
  console.log(
    `                       ${(median(t.bare) / median(t.floor)).toFixed(2)}x bare floor / debug:log floor: what writing, reading and the catalog round trip cost in the scaffolder, whoever implements the steps`,
  );
  console.log(
    `                       ${(median(t.production) / median(t.bare)).toFixed(2)}x production / bare floor: what rendering, checking and validating cost beyond that`,
  );
  if (withValues)
    console.log(
      `   the same with the render step given values: \${{ parameters }} (one expression, same files): median ${ms(median(t.values))}  p95 ${ms(quantile(t.values, 0.95))}  ratio ${(median(t.values) / median(t.floor)).toFixed(2)}x`,
    );
  const show = (h: ReturnType<typeof monitorEventLoopDelay>) =>
    `p50 ${ms(h.percentile(50) / 1e6)}, p99 ${ms(h.percentile(99) / 1e6)}, max ${ms(h.max / 1e6)}`;
  console.log(
    `   event-loop delay while they ran (this process hosts the backend): production ${show(delay.production)}; floor ${show(delay.floor)}`,
  );
}

/** Section 4: end-to-end /v2/dry-run latency of each whole template. */
async function dryRunLatency(backend: BenchBackend) {
  const runs = Math.min(RUNS, 40);
  console.log(
    `\n4. /v2/dry-run latency through the real scaffolder, whole templates, ${runs} runs per template`,
  );
  for (const env of ENVIRONMENTS) {
    const template = await loadTemplate(env);
    const values = await exampleValues(env);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await expectOk(dryRun(backend, template, values), `dry-run of ${env}`);
      times.push(performance.now() - start);
    }
    console.log(
      `   ${env.padEnd(13)} p50 ${ms(quantile(times, 0.5))}   p95 ${ms(quantile(times, 0.95))}`,
    );
  }
}

/** Section 6: `npm run scaffold -- check` over one and over fifty repositories. */
async function fleet() {
  const count = 50;
  const runs = Number(process.env.BENCH_FLEET_RUNS ?? 5);
  console.log(
    `\n6. Fleet: \`npm run scaffold -- check\` over 1 and over ${count} environment repositories, whole commands (npm, node start-up, render, compare), alternating, ${runs} runs each`,
  );
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-fleet-'));
  try {
    const kits = await loadKitsOnce();
    const dirs: string[] = [];
    for (let i = 0; i < count; i++) {
      const env = ENVIRONMENTS[i % ENVIRONMENTS.length];
      const name = `fleet-${env.slice(0, 4)}-${String(i).padStart(2, '0')}`;
      const values = {
        ...(await exampleValues(env)),
        name,
        repoUrl: `github.com?owner=acme&repo=${name}`,
      };
      const repository = await renderRepository(
        await loadTemplate(env),
        values,
        kits,
      );
      const dir = path.join(root, name);
      for (const file of repository.files) {
        await mkdir(path.dirname(path.join(dir, file.path)), {
          recursive: true,
        });
        await writeFile(path.join(dir, file.path), file.content);
        await chmod(path.join(dir, file.path), file.mode);
      }
      const git = (...args: string[]) =>
        run(
          'git',
          [
            '-c',
            'user.name=bench',
            '-c',
            'user.email=bench@example.com',
            '-c',
            'init.defaultBranch=main',
            ...args,
          ],
          { cwd: dir },
        );
      await git('init', '--quiet');
      await git('add', '--all');
      await git('commit', '--quiet', '--message', 'Create the environment');
      dirs.push(dir);
    }
    const check = async (repos: string[]) => {
      try {
        await run(
          'npm',
          ['run', '--silent', 'scaffold', '--', 'check', ...repos],
          { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
        );
        return { code: 0, output: '' };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return {
          code: e.code ?? -1,
          output: `${e.stdout ?? ''}${e.stderr ?? ''}`,
        };
      }
    };
    const probe = await check(dirs.slice(0, 1));
    if (probe.code !== 0) {
      console.log(
        `   \`check\` answered ${probe.code} for a fresh repository, so it is not measured:\n${probe.output
          .split('\n')
          .slice(0, 8)
          .map(l => `     ${l}`)
          .join('\n')}`,
      );
      return;
    }
    let failed = 0;
    const t = await alternate(runs, {
      one: async () =>
        void (failed += (await check(dirs.slice(0, 1))).code === 0 ? 0 : 1),
      fleet: async () =>
        void (failed += (await check(dirs)).code === 0 ? 0 : 1),
    });
    const t1 = median(t.one);
    const t50 = median(t.fleet);
    console.log(
      `   T(1)  median ${(t1 / 1000).toFixed(2)} s   (runs: ${t.one.map(x => (x / 1000).toFixed(2)).join(', ')})`,
    );
    console.log(
      `   T(${count}) median ${(t50 / 1000).toFixed(2)} s   (runs: ${t.fleet.map(x => (x / 1000).toFixed(2)).join(', ')})`,
    );
    console.log(
      `   T(${count})/T(1) = ${(t50 / t1).toFixed(2)}; ${(count / (t50 / 1000)).toFixed(1)} repositories/s in one invocation; marginal ${((t50 - t1) / (count - 1)).toFixed(1)} ms per extra repository`,
    );
    if (failed > 0) console.log(`   (${failed} timed runs did not exit 0)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Section 5: /v2/tasks throughput to a GitHub-compatible host. */
async function tasksThroughput(
  backend: BenchBackend,
  host: Awaited<ReturnType<typeof startGithubHost>>,
) {
  console.log(
    '\n5. /v2/tasks throughput, 20 concurrent tasks across the three templates',
  );
  const start = performance.now();
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const env = ENVIRONMENTS[i % 3];
      const name = `bench-${env}-${i}`;
      const values = {
        ...(await exampleValues(env)),
        name,
        repoUrl: `${host.host}?owner=acme&repo=${name}`,
      };
      const { status, body } = await backend.request(
        'POST',
        '/api/scaffolder/v2/tasks',
        {
          templateRef: `template:default/${env}-environment`,
          values,
        },
      );
      if (status !== 201)
        throw new Error(
          `task ${i} answered ${status}: ${JSON.stringify(body)}`,
        );
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
      const { body } = await backend.request(
        'GET',
        `/api/scaffolder/v2/tasks/${id}`,
      );
      if (['completed', 'failed', 'cancelled'].includes(body.status)) {
        finals.set(id, body.status);
        const { body: events } = await backend.request(
          'GET',
          `/api/scaffolder/v2/tasks/${id}/events`,
        );
        if (
          events.some(
            (e: any) =>
              e.body?.stepId === 'render' && e.body?.status === 'completed',
          )
        )
          rendered.add(id);
        for (const e of events as any[]) {
          if (!e.body?.stepId) continue;
          const at = Date.parse(e.createdAt);
          if (e.body.status === 'processing')
            stepStart.set(`${id}/${e.body.stepId}`, at);
          if (e.body.status === 'completed') {
            const begun = stepStart.get(`${id}/${e.body.stepId}`);
            if (begun !== undefined)
              (stepMs[e.body.stepId] ??= []).push(at - begun);
          }
        }
        const failed = events.find(
          (e: any) => e.body?.status === 'failed' && e.body?.stepId,
        );
        if (failed)
          failures.push(
            `${failed.body.stepId}: ${String(failed.body.message).split('\n')[0]}`,
          );
      }
    }
    await new Promise(r => setTimeout(r, 50));
  }
  const seconds = (performance.now() - start) / 1000;
  const completed = [...finals.values()].filter(s => s === 'completed').length;
  console.log(
    `   20 tasks reached a final state in ${seconds.toFixed(2)} s: ${(20 / seconds).toFixed(1)} tasks/s; completed ${completed}/20 (render, publish:github, catalog:register), render step completed in ${rendered.size}/20`,
  );
  const pushed = host.requests.filter(
    r => r.path.endsWith('/git-receive-pack') && r.status === 200,
  ).length;
  console.log(`   GitHub-compatible host: ${pushed} pushes received`);
  console.log(
    `   step durations, median from the task events (whole seconds, as the events are stamped): ${Object.entries(
      stepMs,
    )
      .map(([step, times]) => `${step} ${(median(times) / 1000).toFixed(0)} s`)
      .join(', ')}`,
  );
  for (const failure of failures) console.log(`   failed: ${failure}`);
  // octokit (3.2) includes @octokit/plugin-throttling, whose write limiter is one module-level
  // Bottleneck group shared by every Octokit in the process: one POST/PUT/PATCH/DELETE per second.
  console.log(
    "   (publish:github makes two writes per task, create repository and protect main, and octokit's throttling\n" +
      '    plugin allows one write per second per backend process: at most 0.5 tasks/s per replica, by design)',
  );
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
  const backend = await startBenchBackend({
    integrations: { github: githubIntegrations(host, token) },
  });
  try {
    if (enabled(2)) await apiRenderVsFetchTemplate(backend);
    if (enabled(3)) await productionAgainstFloor(backend);
    if (enabled(4)) await dryRunLatency(backend);
    if (enabled(5)) await tasksThroughput(backend, host);
  } finally {
    await backend.stop();
    await host.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Starts `npm start`'s backend in a child process and times it to its first served request. */
async function coldStart() {
  const override = path.join(
    await mkdtemp(path.join(os.tmpdir(), 'bench-config-')),
    'app-config.bench.yaml',
  );
  // app-config.yaml requires a token (the dev frontend signs in as guest); this probe has none.
  await writeFile(
    override,
    'backend:\n  baseUrl: http://127.0.0.1:7199\n  listen:\n    port: 7199\n  auth:\n    dangerouslyDisableDefaultAuthPolicy: true\n',
  );
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--require',
      '@backstage/cli/config/nodeTransform.cjs',
      'dev/index.ts',
      '--config',
      path.join(REPO_ROOT, 'app-config.yaml'),
      '--config',
      override,
    ],
    {
      cwd: path.resolve(__dirname, '..'),
      stdio: 'ignore',
      env: { ...process.env, NODE_ENV: 'development' },
    },
  );
  try {
    for (;;) {
      try {
        const response = await fetch(
          'http://127.0.0.1:7199/api/scaffolder/v2/actions',
        );
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - start > 120_000)
        throw new Error('the backend did not answer within 120 s');
      await new Promise(r => setTimeout(r, 50));
    }
    console.log(
      `   Backend cold start (npm start's backend, child process) to first served request: ${((performance.now() - start) / 1000).toFixed(2)} s`,
    );
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(
      () => '',
    );
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    if (rss)
      console.log(
        `   Its resident memory when ready: ${(Number(rss) / 1024).toFixed(0)} MiB`,
      );
  } finally {
    child.kill('SIGTERM');
  }
}

async function main() {
  console.log(
    `Benchmark on ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${os
      .loadavg()
      .map(l => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    'Timings on a shared machine are noisy: compare figures of one run (they alternate), not across runs.',
  );
  if (enabled(1)) await compareWithFetchTemplate();
  if ([2, 3, 4, 5].some(enabled)) await measureBackend();
  if (enabled(6)) await fleet();
  if (enabled(7)) {
    console.log(
      `\n7. Cold start; resident memory of this process after the runs: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
    await coldStart();
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
