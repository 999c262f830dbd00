import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { examples as renderExamples } from '../../src/actions/renderEnvironment/renderEnvironment.examples';
import { kitManifest } from '../../src/kits/manifest';
import {
  packagesOfBuiltCode,
  packagesOfDeclarations,
  packagesOfSourceGraph,
} from '../../src/__testUtils__/install/dependencies';
import {
  loadExampleValues,
  loadTemplate,
  TEMPLATE_NAMES,
} from '../../src/__testUtils__/backend';
import { freePort } from '../../src/__testUtils__/http';
import {
  PACKAGE_NAME,
  prepareBackend,
  prepareStandardBackend,
  StandardBackend,
  readmeInstallLine,
  RunningBackend,
  startBackend,
} from '../../src/__testUtils__/install/freshBackend';
import {
  buildAndPack,
  MODULE_DIR,
  PackedModule,
  REPO_ROOT,
} from '../../src/__testUtils__/install/packModule';
import { run } from '../../src/__testUtils__/processes';

/**
 * The packed module, installed from its tarball into a brand-new Backstage backend made only of
 * standard Backstage packages, as README.md tells a platform team to do. The first run installs the
 * backend's packages (minutes: better-sqlite3 compiles); later runs reuse them from a cache keyed by
 * the backend's package.json and reinstall only the tarball.
 */
jest.setTimeout(15 * 60_000);

const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
const timings: Record<string, number> = {};

/**
 * The runtime (value) exports the API report lists: `export const|function|class|enum`, and
 * `default`. report.api.md is what `backstage-repo-tools api-reports` checks against src/index.ts.
 */
async function reportedValueExports(): Promise<string[]> {
  const report = await readFile(path.join(MODULE_DIR, 'report.api.md'), 'utf8');
  const names = [
    ...report.matchAll(/^export (?:const|function|class|enum|let) (\w+)/gm),
  ].map(m => m[1]);
  if (/^export default /m.test(report)) names.push('default');
  return names.sort();
}

describe('the packed module', () => {
  let workDir: string;
  let packed: PackedModule;
  // The standard packages do not depend on the module: their install (minutes on a cold cache)
  // runs while the module is built and packed, instead of after it.
  let standard: Promise<StandardBackend | Error>;

  beforeAll(async () => {
    standard = prepareStandardBackend().catch((error: Error) => error);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ucg-install-run-'));
    packed = await buildAndPack(workDir);
    Object.assign(timings, packed.timings);
  });

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
    console.info(
      `install test timings (ms): ${JSON.stringify(timings)}; tarball ${packed?.size} bytes, ${packed?.files.length} files`,
    );
  });

  it('type-checks: the declarations it publishes come from code without type errors', () => {
    expect(packed.typeErrors ?? 'no type errors').toBe('no type errors');
  });

  it('ships the built code, the kits and the docs, and nothing else', async () => {
    const { files, packageJson } = packed;
    // A configuration schema, once the module reads configuration, is published as prepack compiles it.
    const configSchema = packageJson.configSchema
      ? [packageJson.configSchema]
      : [];
    // kits-releases/ holds the kits of earlier releases, which upgrades re-render from.
    expect(files.filter(f => !/^(dist|kits|kits-releases)\//.test(f))).toEqual(
      [
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'package.json',
        ...configSchema,
      ].sort(),
    );
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.cjs.js', 'dist/index.d.ts']),
    );
    expect(files.some(f => f.startsWith('kits-releases/'))).toBe(
      packageJson.files.includes('kits-releases'),
    );
    expect(files.filter(f => /\.test\.|\/src\/|\/testing\//.test(f))).toEqual(
      [],
    );
    // Every kit template the manifest renders is in the tarball, since the module loads them at start-up.
    const templates = new Set(
      ENVIRONMENTS.flatMap(env =>
        kitManifest[env].map(f => `kits/${f.template}`),
      ),
    );
    expect([...templates].filter(t => !files.includes(t))).toEqual([]);
  });

  it('publishes a package.json that points at dist/ and describes the package', () => {
    const pkg = packed.packageJson;
    expect(pkg).toMatchObject({
      name: PACKAGE_NAME,
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      license: 'Apache-2.0',
      main: 'dist/index.cjs.js',
      types: 'dist/index.d.ts',
      backstage: {
        role: 'backend-plugin-module',
        pluginId: 'scaffolder',
        pluginPackage: '@backstage/plugin-scaffolder-backend',
      },
    });
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'kits']));
    expect(pkg.keywords).toEqual(expect.arrayContaining(['backstage']));
  });

  it('has a CHANGELOG entry for its version', async () => {
    const changelog = await readFile(
      path.join(packed.extractedDir, 'CHANGELOG.md'),
      'utf8',
    );
    expect(changelog).toContain(`## ${packed.packageJson.version}\n`);
  });

  it('declares every package it imports at run time in its own dependencies, and no other', async () => {
    const dist = path.join(packed.extractedDir, 'dist');
    const built = await packagesOfBuiltCode(dist);
    const declarations = await packagesOfDeclarations(dist);
    // The module's entry point, and the CLI's (`npm run scaffold`, `npm run validate-secrets` run
    // src/cli from source: nunjitsu, for one, is imported only there).
    const graphs = await Promise.all(
      ['index.ts', 'cli/scaffold.ts', 'cli/validateSecrets.ts'].map(entry =>
        packagesOfSourceGraph(path.join(MODULE_DIR, 'src', entry)),
      ),
    );
    const source = {
      packages: new Map<string, string[]>(),
    };
    for (const graph of graphs) {
      for (const [name, files] of graph.packages) {
        source.packages.set(name, [
          ...new Set([...(source.packages.get(name) ?? []), ...files]),
        ]);
      }
    }
    const dependencies = Object.keys(packed.packageJson.dependencies ?? {});
    const used = new Set([
      ...built.keys(),
      ...declarations.keys(),
      ...source.packages.keys(),
    ]);
    used.delete(PACKAGE_NAME);

    const where = (name: string) =>
      [built, declarations, source.packages]
        .flatMap(m => m.get(name) ?? [])
        .map(f =>
          f.startsWith(packed.extractedDir)
            ? `<tarball>/${path.relative(packed.extractedDir, f)}`
            : path.relative(MODULE_DIR, f),
        );
    const missing = [...used]
      .filter(name => !dependencies.includes(name))
      .map(name => `${name} (${where(name).join(', ')})`);
    const unused = dependencies.filter(name => !used.has(name));
    expect({
      missingFromDependencies: missing,
      declaredButNotImported: unused,
    }).toEqual({
      missingFromDependencies: [],
      declaredButNotImported: [],
    });
  });

  describe('installed from its tarball into a fresh Backstage backend', () => {
    let backend: RunningBackend;
    let backendDir: string;

    beforeAll(async () => {
      if (!packed)
        throw new Error(
          'Building or packing the module failed (see the first error above); nothing to install.',
        );
      const port = await freePort();
      const standardBackend = await standard;
      if (standardBackend instanceof Error) throw standardBackend;
      const prepared = await prepareBackend(
        packed.tarball,
        port,
        standardBackend,
      );
      backendDir = prepared.dir;
      Object.assign(timings, prepared.timings, {
        backendFromCache: prepared.cached ? 1 : 0,
      });
      const started = Date.now();
      backend = await startBackend(prepared.dir, port);
      timings.bootToReady = Date.now() - started;
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it('resolves the module from the tarball copy, through its published entry point, with the runtime exports of the API report', async () => {
      const probe = await run(
        'node',
        [
          '-e',
          `const p = require.resolve(${JSON.stringify(PACKAGE_NAME)}); const m = require(${JSON.stringify(PACKAGE_NAME)});` +
            'console.log(JSON.stringify({ path: p, exports: Object.keys(m).sort() }))',
        ],
        { cwd: backendDir },
      );
      expect(probe.code).toBe(0);
      const { path: resolved, exports } = JSON.parse(
        probe.output.trim().split('\n').pop()!,
      );
      expect(resolved).toBe(
        path.join(
          backendDir,
          'node_modules',
          PACKAGE_NAME,
          'dist',
          'index.cjs.js',
        ),
      );
      const reported = await reportedValueExports();
      expect(reported.length).toBeGreaterThan(1);
      expect(exports).toEqual(reported);

      // Installed from the tarball like a user would: saved as a dependency of the backend.
      const backendPackage = JSON.parse(
        await readFile(path.join(backendDir, 'package.json'), 'utf8'),
      );
      expect(backendPackage.dependencies[PACKAGE_NAME]).toMatch(
        /^file:.*\.tgz$/,
      );
    });

    it('starts without logging an error', () => {
      const errors = backend
        .output()
        .split('\n')
        .filter(line => /"level":"error"|\berror\b.*\bschema\b/i.test(line));
      expect(errors).toEqual([]);
      expect(backend.output()).toMatch(/Compiled \d+ kit templates/);
    });

    it('uses the line from README.md, which the repository README shows too', async () => {
      const line = await readmeInstallLine();
      expect(line).toBe(`backend.add(import('${PACKAGE_NAME}'));`);
      expect(
        await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'),
      ).toContain(line);
      expect(
        await readFile(path.join(backendDir, 'src', 'index.js'), 'utf8'),
      ).toContain(line);
    });

    it('registers the four templates from catalog-info.yaml', async () => {
      await backend.api
        .waitForTemplates(TEMPLATE_NAMES, 60_000)
        .catch(() => undefined);
      expect(await backend.api.templateNames()).toEqual(TEMPLATE_NAMES);
    });

    it('lists the render action with its examples, and every action the templates call', async () => {
      const { status, body } = await backend.request(
        'GET',
        '/api/scaffolder/v2/actions',
      );
      expect(status).toBe(200);
      const render = body.find(
        (a: any) => a.id === 'unifiCloudflare:environment:render',
      );
      expect(render).toBeDefined();
      expect(render.examples.map((e: any) => e.description)).toEqual(
        renderExamples.map(e => e.description),
      );
      expect(Object.keys(render.schema.input.properties)).toEqual(
        expect.arrayContaining(['environment', 'name', 'devices']),
      );

      // Every one of our actions a template calls (the production secrets check too, once it is there).
      const ours = new Set<string>();
      for (const environment of ENVIRONMENTS) {
        const template = await loadTemplate(environment);
        for (const step of template.spec.steps)
          if (step.action.startsWith('unifiCloudflare:')) ours.add(step.action);
      }
      const listed = new Map<string, any>(body.map((a: any) => [a.id, a]));
      for (const id of ours) {
        expect({
          id,
          listed: listed.has(id),
          examples: (listed.get(id)?.examples ?? []).length > 0,
        }).toEqual({
          id,
          listed: true,
          examples: true,
        });
      }
    });

    it.each(ENVIRONMENTS)(
      'dry-runs the %s template with its example values and renders the complete kit',
      async environment => {
        const template = await loadTemplate(environment);
        const values = await loadExampleValues(environment);
        const started = Date.now();
        const { status, body } = await backend.request(
          'POST',
          '/api/scaffolder/v2/dry-run',
          {
            template,
            values,
            secrets: {},
            directoryContents: [],
          },
        );
        timings[`dryRun_${environment}`] = Date.now() - started;
        expect({ status, error: status === 200 ? undefined : body }).toEqual({
          status: 200,
          error: undefined,
        });

        const files = (
          body.directoryContents as { path: string; base64Content: string }[]
        )
          .map(f => f.path)
          .sort();
        expect(files).toEqual(kitManifest[environment].map(f => f.path).sort());
        for (const file of body.directoryContents) {
          expect({
            file: file.path,
            empty:
              Buffer.from(file.base64Content, 'base64')
                .toString('utf8')
                .trim() === '',
          }).toEqual({
            file: file.path,
            empty: false,
          });
        }
        const answers = parse(
          Buffer.from(
            body.directoryContents.find(
              (f: any) => f.path === '.environment-answers.yaml',
            ).base64Content,
            'base64',
          ).toString('utf8'),
        );
        expect(answers.values.name).toBe(values.name);

        // Each of our unconditional steps ran to completion, and none was skipped as unable to dry-run.
        const ourSteps = template.spec.steps.filter((s: any) =>
          s.action.startsWith('unifiCloudflare:'),
        );
        for (const step of ourSteps.filter((s: any) => s.if === undefined)) {
          const statuses = body.log
            .filter((l: any) => l.body.stepId === step.id)
            .map((l: any) => l.body.status);
          expect({
            step: step.id,
            completed: statuses.includes('completed'),
          }).toEqual({ step: step.id, completed: true });
        }
        const unsupported = body.log
          .map((l: any) => String(l.body.message))
          .filter(
            (message: string) =>
              /does not support dry-run/.test(message) &&
              message.includes('unifiCloudflare:'),
          );
        expect(unsupported).toEqual([]);
      },
    );
  });
});
