import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startScaffolderBackend } from '../../src/__testUtils__/backend';
import {
  DaggerFunction,
  expectedTunnelCall,
  PARTIAL_SCOPES,
  Scope,
  splitDaggerArgv,
  stateKeyOf,
  tunnelDevices,
  tunnelMacOf,
} from '../../src/__testUtils__/verification/expectations';
import { fakeTunnelToken } from '../../src/__testUtils__/standIns/glueModule';
import {
  bashSyntax,
  bashSyntaxAll,
  confirmation,
  daggerCallProblems,
  StubbedRunner,
  Outcome,
  shellcheck,
  shellScripts,
  userCommand,
} from '../../src/__testUtils__/verification/stubbedRunner';
import {
  extractRecipes,
  phonyTargets,
} from '../../src/__testUtils__/standIns/makeRecipes';
import { buildMatrix } from '../../src/__testUtils__/verification/matrix';
import {
  Backend,
  makeWorkRoot,
  Rendered,
  renderMatrix,
} from '../../src/__testUtils__/verification/renders';

/**
 * Every script and Makefile of every matrix render, checked by bash, shellcheck and GNU make
 * and run against stub dagger/vals/kcl programs that record what they were given.
 */

jest.setTimeout(120_000);

const cases = buildMatrix();

let backend: Backend;
let work: Awaited<ReturnType<typeof makeWorkRoot>>;
let harness: StubbedRunner;
const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  backend = await startScaffolderBackend();
  work = await makeWorkRoot('scripts');
  harness = await StubbedRunner.create(work.root);
  for (const r of await renderMatrix(
    backend,
    cases,
    path.join(work.root, 'renders'),
  )) {
    await harness.prepare(r);
    rendered.set(r.case.id, r);
  }
});

afterAll(async () => {
  await backend?.stop();
  await work?.cleanup();
});

/** The file each tier renders with the backend's secrets for one run. */
function renderedBackend(environment: string): string {
  return environment === 'staging' ? 'backend.rendered.yaml' : 'backend.yaml';
}

/**
 * The S3 object keys the stand-in module holds state under (any bucket), sorted: where deploy
 * stored its state, and what destroy left.
 */
async function storedStateKeys(): Promise<string[]> {
  const root = path.join(harness.stubs.controlDir, 's3');
  const walk = async (dir: string): Promise<string[]> => {
    if (!existsSync(dir)) return [];
    const files: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) files.push(...(await walk(full)));
      else files.push(path.relative(root, full));
    }
    return files;
  };
  // <bucket>/<key>: the key only.
  return (await walk(root))
    .map(file => file.split(path.sep).slice(1).join('/'))
    .sort();
}

/** A readable summary of a run for failure messages. */
function summary(o: Outcome) {
  return {
    code: o.result.code,
    signal: o.result.signal,
    stderr: o.result.stderr.slice(-600),
    tools: o.calls.map(c => `${c.tool} ${c.argv.slice(0, 4).join(' ')}`),
  };
}

function expectSucceeded(o: Outcome) {
  expect(summary(o)).toMatchObject({ code: 0 });
}

function expectFailed(o: Outcome) {
  expect(o.result.code === 0 && o.result.signal === null).toBe(false);
}

/** The one dagger call a command made, checked completely. */
function expectOneDaggerCall(
  o: Outcome,
  r: Rendered,
  fn: 'deploy' | 'plan' | 'destroy',
) {
  expect(o.dagger.map(c => c.argv[3])).toEqual([fn]);
  expect(daggerCallProblems(o.dagger[0], r, fn)).toEqual([]);
}

/**
 * Runs `fns` over each partial scope the way a user does and expects each to succeed with one
 * dagger call that is exactly right for its scope (daggerCallProblems); all runs are compared at
 * once, so a failure shows every one of them.
 */
async function expectPartialRuns(r: Rendered, fns: DaggerFunction[]) {
  const seen: object[] = [];
  const wanted: object[] = [];
  for (const scope of PARTIAL_SCOPES) {
    for (const fn of fns) {
      const { command, args, input } = userCommand(r, fn, scope);
      const o = await harness.run(r, command, args, { input });
      seen.push({
        args,
        code: o.result.code,
        calls: o.dagger.map(c => c.fn),
        problems: o.dagger[0] && daggerCallProblems(o.dagger[0], r, fn, scope),
      });
      wanted.push({ args, code: 0, calls: [fn], problems: [] });
    }
  }
  expect(seen).toEqual(wanted);
}

describe.each(cases.map(c => [c.id, c] as const))('%s', (id, matrixCase) => {
  const r = () => rendered.get(id)!;
  const environment = matrixCase.environment;

  it('passes bash -n and shellcheck -S style on every shell script', async () => {
    for (const { file, shell } of shellScripts(r())) {
      const syntax = await bashSyntax(r().dir, file);
      expect({ file, code: syntax.code, stderr: syntax.stderr }).toEqual({
        file,
        code: 0,
        stderr: '',
      });
      const check = await shellcheck(
        r().dir,
        [file],
        shell ? ['-s', shell] : [],
      );
      expect({ file, findings: check.stdout + check.stderr }).toEqual({
        file,
        findings: '',
      });
    }
  });

  if (environment === 'development') {
    it('./deploy.sh --plan calls dagger plan once, exactly, and exports the plan', async () => {
      const o = await harness.run(r(), './deploy.sh', ['--plan']);
      expectSucceeded(o);
      expectOneDaggerCall(o, r(), 'plan');
      expect(existsSync(path.join(r().dir, 'plan-output', 'plan.txt'))).toBe(
        true,
      );
    });

    it('./deploy.sh calls dagger deploy once, exactly', async () => {
      const o = await harness.run(r(), './deploy.sh', []);
      expectSucceeded(o);
      expectOneDaggerCall(o, r(), 'deploy');
    });

    it('./deploy.sh [--plan] --unifi-only / --cloudflare-only call dagger once with exactly that module flag', async () => {
      await expectPartialRuns(r(), ['deploy', 'plan']);
    });

    it('./deploy.sh refuses --unifi-only with --cloudflare-only (the module would answer ✗ Failed), and either with --tunnel-token, before dagger', async () => {
      for (const args of [
        ['--unifi-only', '--cloudflare-only'],
        ['--cloudflare-only', '--unifi-only'],
        ['--plan', '--unifi-only', '--cloudflare-only'],
        ['--tunnel-token', '--cloudflare-only'],
      ]) {
        const o = await harness.run(r(), './deploy.sh', args);
        expect({
          args,
          failed: o.result.code !== 0,
          dagger: o.dagger.map(c => c.argv.filter(a => a.endsWith('-only'))),
        }).toEqual({ args, failed: true, dagger: [] });
      }
    });

    it('./destroy.sh --unifi-only / --cloudflare-only is as honest as the full destroy: nothing to destroy in ephemeral state, exit 3', async () => {
      for (const scope of PARTIAL_SCOPES) {
        const { command, args } = userCommand(r(), 'destroy', scope);
        const o = await harness.run(r(), command, args);
        expect({ args, code: o.result.code, calls: o.calls.length }).toEqual({
          args,
          code: 3,
          calls: 0,
        });
        expect(o.result.stderr).toContain('Nothing was destroyed.');
      }
    });

    it('./destroy.sh (with or without --force, whatever the input) removes nothing, never calls dagger, says so and exits 3', async () => {
      // Ephemeral state: the module's destroy would find nothing and still print success.
      for (const [args, input] of [
        [[], confirmation(r())],
        [['--force'], ''],
      ] as const) {
        const o = await harness.run(r(), './destroy.sh', [...args], { input });
        expect({ args, code: o.result.code, calls: o.calls.length }).toEqual({
          args,
          code: 3,
          calls: 0,
        });
        expect(o.result.stderr).toContain('Nothing was destroyed.');
        expect(o.result.stdout + o.result.stderr).not.toMatch(
          /Destroyed|destroyed successfully|✓/,
        );
        const p = r().params;
        const missing = p.devices.flatMap(d => [
          ...[d.hostname]
            .concat(
              d.services
                .filter(x => x.distribution !== 'unifi_only')
                .map(x => x.publicHostname!),
            )
            // The module's UniFi generator makes each locally published service and each
            // alias a CNAME (generators/unifi.k).
            .concat(
              d.services
                .filter(x => x.distribution !== 'cloudflare_only')
                .map(x => `${x.name}.${p.internalDomain}`),
              (d.aliases ?? []).map(a => `${a}.${p.internalDomain}`),
            )
            .filter(name => !o.result.stderr.includes(name)),
        ]);
        expect({ args, missing }).toEqual({ args, missing: [] });
      }
    });

    it('a failing dagger makes ./deploy.sh and ./deploy.sh --plan fail with its status', async () => {
      for (const args of [[], ['--plan']]) {
        const o = await harness.run(r(), './deploy.sh', args, {
          control: { daggerExit: 3 },
        });
        expect({ args, code: o.result.code, dagger: o.dagger.length }).toEqual({
          args,
          code: 3,
          dagger: 1,
        });
      }
    });

    it('a module that answers ✗ Failed (dagger exits 0) makes ./deploy.sh and --plan fail, showing the message', async () => {
      for (const args of [[], ['--plan']]) {
        const o = await harness.run(r(), './deploy.sh', args, {
          control: { glueFail: true },
        });
        expect({
          args,
          failed: o.result.code !== 0,
          outcome: o.dagger.map(c => c.outcome),
        }).toEqual({ args, failed: true, outcome: ['failed'] });
        expect(o.result.stdout + o.result.stderr).toContain(
          '✗ Failed: Terraform',
        );
        expect(o.result.stdout).not.toMatch(/^Deployed|Plan exported/m);
      }
    });

    it('./deploy.sh --tunnel-token calls get-tunnel-secrets with the state flags of deploy (none) and says plainly that ephemeral state cannot serve the token', async () => {
      const o = await harness.run(r(), './deploy.sh', ['--tunnel-token']);
      expect(o.dagger.map(c => [c.fn, c.outcome])).toEqual([
        ['get-tunnel-secrets', 'failed'],
      ]);
      expect(splitDaggerArgv(o.dagger[0].argv)).toEqual(
        expectedTunnelCall(r().params),
      );
      expect(o.result.code).toBe(1);
      expect(o.result.stderr).toMatch(/ephemeral/);
      expect(o.result.stderr).toContain('Zero Trust > Networks > Tunnels');
      expect(o.result.stderr).toContain('cloudflared service install');
    });

    it('an unknown option fails with usage and never calls dagger', async () => {
      for (const script of ['./deploy.sh', './destroy.sh']) {
        const o = await harness.run(r(), script, ['--bogus']);
        expect({
          script,
          code: o.result.code,
          dagger: o.dagger.length,
          usage: /Usage:/.test(o.result.stderr),
        }).toEqual({ script, code: 2, dagger: 0, usage: true });
      }
    });

    it('without .env the scripts stop before dagger and say how to create it', async () => {
      const env = path.join(r().dir, '.env');
      await rename(env, `${env}.aside`);
      try {
        for (const [script, args] of [
          ['./deploy.sh', []],
          ['./deploy.sh', ['--tunnel-token']],
        ] as const) {
          const o = await harness.run(r(), script, [...args]);
          expect({
            script,
            failed: o.result.code !== 0,
            dagger: o.dagger.length,
          }).toEqual({ script, failed: true, dagger: 0 });
          expect(o.result.stderr).toContain('cp .env.example .env');
        }
      } finally {
        await rename(`${env}.aside`, env);
      }
    });

    it('checks the KCL configuration in kcl/ (beside kcl.mod) when kcl is installed, and deploys without it', async () => {
      const withKcl = await harness.run(r(), './deploy.sh', []);
      expect(
        withKcl.kcl.map(c => ({
          argv: c.argv,
          cwd: path.relative(r().dir, c.cwd),
          kclMod: c.kclMod,
        })),
      ).toEqual([{ argv: ['run', 'main.k'], cwd: 'kcl', kclMod: true }]);
      const withoutKcl = await harness.run(r(), './deploy.sh', [], {
        kcl: false,
      });
      expectSucceeded(withoutKcl);
      expect(withoutKcl.kcl).toEqual([]);
      expectOneDaggerCall(withoutKcl, r(), 'deploy');
    });

    it('a failing KCL check stops ./deploy.sh before dagger', async () => {
      const o = await harness.run(r(), './deploy.sh', [], {
        control: { kclExit: 1 },
      });
      expect({ failed: o.result.code !== 0, dagger: o.dagger.length }).toEqual({
        failed: true,
        dagger: 0,
      });
    });
  } else {
    it('every Make recipe, as make expands it, passes bash -n and shellcheck -S style', async () => {
      const makefile = r().files.get('Makefile')!;
      const targets = phonyTargets(makefile);
      expect(targets.sort()).toEqual([
        'clean',
        'deploy',
        'deploy-cloudflare',
        'deploy-unifi',
        'destroy',
        'destroy-cloudflare',
        'destroy-unifi',
        'help',
        'plan',
        'plan-cloudflare',
        'plan-unifi',
        'tunnel-token',
        'tunnel-token-cloudflare',
        'validate',
      ]);
      const recipes = await extractRecipes(
        r().dir,
        targets,
        path.join(r().dir, '..', `${id}.recipes`),
      );
      expect(recipes.length).toBeGreaterThan(targets.length);
      for (const recipe of recipes) {
        expect({ target: recipe.target, flags: recipe.flags }).toEqual({
          target: recipe.target,
          flags: ['-euo', 'pipefail'],
        });
      }
      const syntax = await bashSyntaxAll(
        r().dir,
        recipes.map(x => x.file),
      );
      expect(syntax.stdout + syntax.stderr).toBe('');
      const check = await shellcheck(r().dir, [
        ...new Set(recipes.map(x => x.file)),
      ]);
      expect(check.stdout + check.stderr).toBe('');
    });

    it('make plan calls dagger plan once, exactly, and exports the plan', async () => {
      const o = await harness.make(r(), 'plan');
      expectSucceeded(o);
      expectOneDaggerCall(o, r(), 'plan');
      expect(existsSync(path.join(r().dir, 'plan-output', 'plan.txt'))).toBe(
        true,
      );
    });

    it('make deploy calls dagger deploy once, exactly', async () => {
      const o = await harness.make(r(), 'deploy');
      expectSucceeded(o);
      expectOneDaggerCall(o, r(), 'deploy');
    });

    it(`make destroy destroys after the confirmation ${environment === 'production' ? '"destroy <name>"' : '"<name>"'}`, async () => {
      const o = await harness.make(r(), 'destroy', {
        input: confirmation(r()),
      });
      expectSucceeded(o);
      expectOneDaggerCall(o, r(), 'destroy');
    });

    it('make plan-*, deploy-* and destroy-* (unifi, cloudflare) call dagger once with exactly the module flag of their side', async () => {
      await expectPartialRuns(r(), ['plan', 'deploy', 'destroy']);
    });

    it('make destroy-unifi and destroy-cloudflare ask for the same confirmation as make destroy', async () => {
      for (const scope of PARTIAL_SCOPES) {
        const o = await harness.make(r(), `destroy-${scope}`, {
          input: 'wrong\n',
        });
        expect({
          scope,
          failed: o.result.code !== 0,
          dagger: o.dagger.length,
          vals: o.vals.length,
        }).toEqual({ scope, failed: true, dagger: 0, vals: 0 });
      }
    });

    it('partial runs keep their own state key: the backend config dagger reads names <key>.<side>-only.tfstate, a full run the plain key', async () => {
      const runs: [string, Scope, string][] = [
        ['plan', 'full', 'plan'],
        ['plan-unifi', 'unifi', 'plan'],
        ['plan-cloudflare', 'cloudflare', 'plan'],
        ['tunnel-token', 'full', 'get-tunnel-secrets'],
        ['tunnel-token-cloudflare', 'cloudflare', 'get-tunnel-secrets'],
      ];
      for (const [target, scope, fn] of runs) {
        const { outcome, config } = await harness.backendConfigWhileDaggerRuns(
          r(),
          'make',
          [target],
        );
        expect({
          target,
          dagger: outcome.dagger.map(c => c.fn),
          key: config?.key,
        }).toEqual({
          target,
          dagger: [fn],
          key: stateKeyOf(r().params, scope),
        });
      }
    });

    it('make tunnel-token-cloudflare after make deploy-cloudflare prints a token per tunnel, from the Cloudflare-only state', async () => {
      const deploy = await harness.make(r(), 'deploy-cloudflare');
      expect(
        daggerCallProblems(deploy.dagger[0], r(), 'deploy', 'cloudflare'),
      ).toEqual([]);
      const o = await harness.make(r(), 'tunnel-token-cloudflare', {
        keepState: true,
      });
      expectSucceeded(o);
      expect(splitDaggerArgv(o.dagger[0].argv)).toEqual(
        expectedTunnelCall(r().params),
      );
      const printed = [...o.result.stdout.matchAll(/^Token: (\S+)$/gm)].map(
        m => m[1],
      );
      expect(printed.sort()).toEqual(
        tunnelDevices(r().params)
          .map(d => fakeTunnelToken(tunnelMacOf(d)))
          .sort(),
      );
      // The full run's state holds no tunnel yet: make tunnel-token has nothing to print.
      const full = await harness.make(r(), 'tunnel-token', { keepState: true });
      expect(full.result.stdout).not.toMatch(/^Token: /m);
    });

    it('a partial deploy stores its state under its own key beside the full state, and a partial destroy removes only its own', async () => {
      const p = r().params;
      const keys = {
        full: stateKeyOf(p, 'full')!,
        unifi: stateKeyOf(p, 'unifi')!,
        cloudflare: stateKeyOf(p, 'cloudflare')!,
      };
      const steps: [DaggerFunction, Scope, string[]][] = [
        ['deploy', 'full', [keys.full]],
        ['deploy', 'unifi', [keys.full, keys.unifi]],
        ['deploy', 'cloudflare', [keys.full, keys.unifi, keys.cloudflare]],
        ['destroy', 'unifi', [keys.full, keys.cloudflare]],
        ['destroy', 'cloudflare', [keys.full]],
        ['destroy', 'full', []],
      ];
      for (const [index, [fn, scope, expected]] of steps.entries()) {
        const { command, args, input } = userCommand(r(), fn, scope);
        const o = await harness.run(r(), command, args, {
          input,
          keepState: index > 0,
        });
        expect({
          args,
          code: o.result.code,
          stored: await storedStateKeys(),
        }).toEqual({ args, code: 0, stored: expected.sort() });
      }
    });

    it('make destroy with a wrong, partial or missing confirmation fails and calls neither dagger nor vals', async () => {
      const name = r().params.name;
      const wrong = [
        'wrong\n',
        '',
        `${name}x\n`,
        ...(environment === 'production'
          ? [`${name}\n`, `destroy\n`, `destroy ${name} now\n`]
          : [`destroy ${name}\n`]),
      ];
      for (const input of wrong) {
        const o = await harness.make(r(), 'destroy', { input });
        expect({
          input,
          failed: o.result.code !== 0,
          dagger: o.dagger.length,
          vals: o.vals.length,
        }).toEqual({ input, failed: true, dagger: 0, vals: 0 });
        expect(o.result.stderr).toContain(
          'Not confirmed; nothing was destroyed.',
        );
      }
    });

    it('a failing dagger makes make plan, deploy, tunnel-token and destroy fail', async () => {
      for (const target of ['plan', 'deploy', 'tunnel-token', 'destroy']) {
        const o = await harness.make(r(), target, {
          input: confirmation(r()),
          control: { daggerExit: 3 },
          env: { STUB_DAGGER_EXIT: '3' },
        });
        expect({
          target,
          failed: o.result.code !== 0,
          dagger: o.dagger.length,
        }).toEqual({ target, failed: true, dagger: 1 });
        expect(o.result.stdout).not.toMatch(/Plan exported|^Deployed/m);
      }
    });

    it('a module that answers ✗ Failed (dagger exits 0) makes make plan, deploy, tunnel-token and destroy fail, showing the message', async () => {
      for (const target of ['plan', 'deploy', 'tunnel-token', 'destroy']) {
        const o = await harness.make(r(), target, {
          input: confirmation(r()),
          control: { glueFail: true },
        });
        expect({
          target,
          failed: o.result.code !== 0,
          outcome: o.dagger.map(c => c.outcome),
        }).toEqual({ target, failed: true, outcome: ['failed'] });
        expect(o.result.stdout + o.result.stderr).toContain('✗ Failed');
        expect(o.result.stdout).not.toMatch(/Plan exported|^Deployed/m);
      }
    });

    it('make tunnel-token after make deploy prints the tunnel token, from the same state backend', async () => {
      const deploy = await harness.make(r(), 'deploy');
      expectOneDaggerCall(deploy, r(), 'deploy');
      const o = await harness.make(r(), 'tunnel-token', { keepState: true });
      expectSucceeded(o);
      expect(o.dagger.map(c => [c.fn, c.outcome])).toEqual([
        ['get-tunnel-secrets', 'ok'],
      ]);
      expect(splitDaggerArgv(o.dagger[0].argv)).toEqual(
        expectedTunnelCall(r().params),
      );
      // A token for each tunnel, i.e. each device with a public service, by its first MAC.
      const printed = [...o.result.stdout.matchAll(/^Token: (\S+)$/gm)].map(
        m => m[1],
      );
      expect(printed.sort()).toEqual(
        tunnelDevices(r().params)
          .map(d => fakeTunnelToken(tunnelMacOf(d)))
          .sort(),
      );
    });

    it('make help (and plain make) lists every target and calls nothing', async () => {
      for (const target of ['help', '']) {
        const o = target
          ? await harness.make(r(), target)
          : await harness.run(r(), 'make', []);
        expectSucceeded(o);
        expect(o.calls).toEqual([]);
        // "  <target> [<target>...] <text>": targets that share a recipe share a line.
        const missing = [
          'help',
          'validate',
          'plan',
          'deploy',
          'destroy',
          'clean',
          'tunnel-token',
          ...PARTIAL_SCOPES.flatMap(scope =>
            ['plan', 'deploy', 'destroy'].map(fn => `${fn}-${scope}`),
          ),
        ].filter(
          t =>
            !new RegExp(`^ {2}(?:[a-z-]+ )*${t}(?= )`, 'm').test(
              o.result.stdout,
            ),
        );
        expect({ target, missing }).toEqual({ target, missing: [] });
      }
    });

    it('make validate checks the KCL configuration in kcl/, beside kcl.mod, and passes without kcl', async () => {
      const o = await harness.make(r(), 'validate');
      expectSucceeded(o);
      expect(
        o.kcl.map(c => ({
          argv: c.argv,
          cwd: path.relative(r().dir, c.cwd),
          kclMod: c.kclMod,
          mainK: c.mainK,
        })),
      ).toEqual([
        { argv: ['run', 'main.k'], cwd: 'kcl', kclMod: true, mainK: true },
      ]);
      expect(o.dagger).toEqual([]);
      const withoutKcl = await harness.make(r(), 'deploy', { kcl: false });
      expectSucceeded(withoutKcl);
      expectOneDaggerCall(withoutKcl, r(), 'deploy');
      const failingKcl = await harness.make(r(), 'deploy', {
        control: { kclExit: 1 },
      });
      expect({
        failed: failingKcl.result.code !== 0,
        dagger: failingKcl.dagger.length,
      }).toEqual({ failed: true, dagger: 0 });
    });

    it('make clean removes local leftovers and keeps every committed file', async () => {
      await mkdir(path.join(r().dir, 'plan-output'), { recursive: true });
      await writeFile(path.join(r().dir, 'plan-output', 'x'), 'x');
      await writeFile(
        path.join(r().dir, renderedBackend(environment)),
        'secret: fakesecret\n',
        { mode: 0o600 },
      );
      if (environment === 'production') {
        await writeFile(path.join(r().dir, 'x.rendered'), 'fakesecret\n');
      }
      const o = await harness.make(r(), 'clean');
      expectSucceeded(o);
      expect(o.calls).toEqual([]);
      expect(existsSync(path.join(r().dir, 'plan-output'))).toBe(false);
      expect(existsSync(path.join(r().dir, 'x.rendered'))).toBe(false);
      for (const file of r().files.keys()) {
        expect({ file, kept: existsSync(path.join(r().dir, file)) }).toEqual({
          file,
          kept: true,
        });
      }
      // Production's backend.yaml is rendered (and removed); staging's is a kit file that stays.
      const expected: Record<string, boolean> =
        {
          production: { 'backend.yaml': false },
          staging: { 'backend.rendered.yaml': false, 'backend.yaml': true },
        }[environment as string] ?? {};
      const present = Object.fromEntries(
        Object.keys(expected).map(file => [
          file,
          existsSync(path.join(r().dir, file)),
        ]),
      );
      expect(present).toEqual(expected);
    });
  }

  if (environment === 'staging') {
    it('without .env make deploy stops before dagger and says how to create it', async () => {
      const env = path.join(r().dir, '.env');
      await rename(env, `${env}.aside`);
      try {
        const o = await harness.make(r(), 'deploy');
        expect({
          failed: o.result.code !== 0,
          dagger: o.dagger.length,
        }).toEqual({ failed: true, dagger: 0 });
        expect(o.result.stderr).toContain('cp .env.example .env');
      } finally {
        await rename(`${env}.aside`, env);
      }
    });

    it('make deploy leaves the committed backend.yaml as it was', async () => {
      const before = await readFile(path.join(r().dir, 'backend.yaml'), 'utf8');
      expectSucceeded(await harness.make(r(), 'deploy'));
      expect(await readFile(path.join(r().dir, 'backend.yaml'), 'utf8')).toBe(
        before,
      );
    });
  }

  if (environment !== 'development') {
    const backendFile = () => path.join(r().dir, renderedBackend(environment));
    const facts = (o: Outcome) => {
      const f = o.dagger[0]?.backendConfigFile;
      return (
        f && {
          path: f.path,
          mode: f.mode,
          refs: f.refs,
          credentials: f.credentials,
        }
      );
    };
    const expectedFacts = () => ({
      path: `./${renderedBackend(environment)}`,
      mode: '600',
      refs: 0,
      credentials: true,
    });

    it(`renders ${renderedBackend(environment)} with mode 600, the AWS keys and no references while dagger runs, and removes it after success`, async () => {
      // In order, against one remote state: tunnel-token reads what deploy stored.
      for (const [target, input] of [
        ['plan', ''],
        ['deploy', ''],
        ['tunnel-token', ''],
        ['destroy', confirmation(r())],
      ]) {
        const o = await harness.make(r(), target, {
          input,
          keepState: target !== 'plan',
        });
        expect({ target, code: o.result.code, facts: facts(o) }).toEqual({
          target,
          code: 0,
          facts: expectedFacts(),
        });
        expect({ target, left: existsSync(backendFile()) }).toEqual({
          target,
          left: false,
        });
      }
    });

    it(`removes ${renderedBackend(environment)} after a failing dagger and after a ✗ Failed answer`, async () => {
      for (const target of ['plan', 'deploy']) {
        for (const control of [{ daggerExit: 5 }, { glueFail: true }]) {
          const o = await harness.make(r(), target, { control });
          expectFailed(o);
          expect({ target, control, facts: facts(o) }).toEqual({
            target,
            control,
            facts: expectedFacts(),
          });
          expect({ target, control, left: existsSync(backendFile()) }).toEqual({
            target,
            control,
            left: false,
          });
        }
      }
    });

    it.each(['SIGINT', 'SIGTERM'] as const)(
      `removes ${renderedBackend(environment)} when make deploy is interrupted with %s while dagger runs`,
      async signal => {
        const o = await harness.interrupt(r(), 'deploy', signal);
        expect({
          daggerStarted: o.daggerStarted,
          stoppedBySignal: o.afterSignalMs < 10_000,
        }).toEqual({ daggerStarted: true, stoppedBySignal: true });
        expectFailed(o);
        expect(facts(o)).toEqual(expectedFacts());
        expect(existsSync(backendFile())).toBe(false);
      },
    );

    it(`make validate removes a stale ${renderedBackend(environment)} left by an earlier run`, async () => {
      await writeFile(backendFile(), 'access_key: fakesecret-stale\n', {
        mode: 0o644,
      });
      const o = await harness.make(r(), 'validate');
      expectSucceeded(o);
      expect(existsSync(backendFile())).toBe(false);
    });
  }

  if (environment === 'production') {
    const backendYaml = () => path.join(r().dir, 'backend.yaml');

    it('fails without calling dagger and leaves no backend.yaml when vals cannot resolve the secrets', async () => {
      const o = await harness.make(r(), 'deploy', { control: { valsExit: 1 } });
      expectFailed(o);
      expect(o.dagger).toEqual([]);
      expect(existsSync(backendYaml())).toBe(false);
    });

    it('resolves the secrets with vals: eval for backend.yaml, exec for the dagger environment', async () => {
      const o = await harness.make(r(), 'deploy');
      expect(
        o.vals.map(c =>
          c.argv.slice(
            0,
            c.argv.indexOf('--') === -1 ? undefined : c.argv.indexOf('--'),
          ),
        ),
      ).toEqual([
        ['eval', '-f', 'backend.yaml.tmpl'],
        expect.arrayContaining(['exec', '-f', 'secrets.vals.yaml']),
      ]);
    });
  }
});

describe('vals exec environment', () => {
  // The real `vals exec` gives its command only the -f file's variables unless -i is given
  // (helmfile/vals cmd/vals/main.go); the Makefile passes -i.
  it('production: dagger started through vals exec keeps the caller environment (PATH, HOME)', async () => {
    const r = rendered.get('production-canonical')!;
    const o = await harness.make(r, 'deploy');
    expectSucceeded(o);
    expect(o.dagger[0].env).toEqual(expect.arrayContaining(['HOME', 'PATH']));
  });
});
