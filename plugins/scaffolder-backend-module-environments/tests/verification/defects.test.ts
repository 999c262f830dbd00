import { existsSync } from 'node:fs';
import { readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startScaffolderBackend } from '../../src/__testUtils__/backend';
import {
  backendConfigFile,
  DaggerFunction,
  requiredDotEnv,
} from '../../src/__testUtils__/verification/expectations';
import {
  confirmation,
  StubbedRunner,
  Outcome,
} from '../../src/__testUtils__/verification/stubbedRunner';
import {
  checkKclMain,
  checkKclMod,
} from '../../src/__testUtils__/standIns/kclChecker';
import { buildMatrix } from '../../src/__testUtils__/verification/matrix';
import { run } from '../../src/__testUtils__/processes';
import {
  Backend,
  makeWorkRoot,
  Rendered,
  renderMatrix,
} from '../../src/__testUtils__/verification/renders';
import {
  dotEnvFor,
  envExampleKeys,
  SECRET_MARKER,
} from '../../src/__testUtils__/standIns/stubs';

/**
 * One assertion per defect of the upstream hand-written examples (SPEC.md section 5, 1-15),
 * each named after it and failing if the defect came back, over every matrix render.
 */

jest.setTimeout(120_000);

const cases = buildMatrix();
const FUNCTIONS: DaggerFunction[] = ['plan', 'deploy', 'destroy'];
/** development's destroy.sh does not call the module (ephemeral state: it would remove nothing). */
const functionsOf = (r: Rendered): DaggerFunction[] =>
  r.params.environment === 'development' ? ['plan', 'deploy'] : FUNCTIONS;

let backend: Backend;
let work: Awaited<ReturnType<typeof makeWorkRoot>>;
let harness: StubbedRunner;
let renders: Rendered[] = [];
/** plan, deploy and destroy of every render, run once with the stubs. */
const runs = new Map<string, Record<DaggerFunction, Outcome>>();

const ofEnvironment = (...environments: string[]) =>
  renders.filter(r => environments.includes(r.params.environment));

/** Runs plan, deploy or destroy the way a user would for the render's environment. */
function runFunction(
  r: Rendered,
  fn: DaggerFunction,
  options: Parameters<StubbedRunner['run']>[3] = {},
): Promise<Outcome> {
  if (r.params.environment === 'development') {
    const args = fn === 'plan' ? ['--plan'] : [];
    return fn === 'destroy'
      ? harness.run(r, './destroy.sh', ['--force'], options)
      : harness.run(r, './deploy.sh', args, options);
  }
  return harness.make(r, fn, {
    input: fn === 'destroy' ? confirmation(r) : '',
    ...options,
  });
}

beforeAll(async () => {
  backend = await startScaffolderBackend();
  work = await makeWorkRoot('defects');
  harness = await StubbedRunner.create(work.root);
  renders = await renderMatrix(backend, cases, path.join(work.root, 'renders'));
  for (const r of renders) {
    await harness.prepare(r);
    const outcomes = {} as Record<DaggerFunction, Outcome>;
    for (const fn of functionsOf(r)) outcomes[fn] = await runFunction(r, fn);
    runs.set(r.case.id, outcomes);
  }
});

afterAll(async () => {
  await backend?.stop();
  await work?.cleanup();
});

/** Every dagger call of the shared runs, with the render and function. */
function allDaggerCalls() {
  return renders.flatMap(r =>
    functionsOf(r).flatMap(fn => {
      const o = runs.get(r.case.id)![fn];
      expect({
        id: r.case.id,
        fn,
        code: o.result.code,
        dagger: o.dagger.length,
      }).toEqual({ id: r.case.id, fn, code: 0, dagger: 1 });
      return o.dagger.map(call => ({ r, fn, call }));
    }),
  );
}

const flagValue = (argv: string[], flag: string) =>
  argv.find(a => a.startsWith(`${flag}=`))?.slice(flag.length + 1);

describe('upstream defects (SPEC.md section 5) stay fixed', () => {
  it('defect 1: every staging/production dagger call passes --backend-type=s3 with its --backend-config-file', async () => {
    const remote = allDaggerCalls().filter(
      ({ r }) => r.params.environment !== 'development',
    );
    expect(remote.length).toBe(
      ofEnvironment('staging', 'production').length * 3,
    );
    for (const { r, fn, call } of remote) {
      expect({
        id: r.case.id,
        fn,
        type: flagValue(call.argv, '--backend-type'),
        file: flagValue(call.argv, '--backend-config-file'),
      }).toEqual({
        id: r.case.id,
        fn,
        type: 's3',
        file: backendConfigFile(r.params),
      });
    }
    // And statically: every logical Makefile line that passes the config file passes the type too.
    for (const r of ofEnvironment('staging', 'production')) {
      const lines = r.files
        .get('Makefile')!
        .replace(/\\\n/g, ' ')
        .split('\n')
        .filter(l => l.includes('--backend-config-file'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines)
        expect({
          id: r.case.id,
          line,
          s3: line.includes('--backend-type=s3'),
        }).toEqual({ id: r.case.id, line, s3: true });
    }
  });

  it('defect 2: Make recipes run in bash with -euo pipefail, so `source` works where /bin/sh is dash', async () => {
    const sh = await readlink('/bin/sh').catch(() => '/bin/sh');
    for (const r of ofEnvironment('staging', 'production')) {
      const printShell = await run(
        'make',
        [
          '-f',
          'Makefile',
          '--eval',
          'print-shell: ; @printf "%s|%s" "$(SHELL)" "$(.SHELLFLAGS)"',
          'print-shell',
        ],
        {
          cwd: r.dir,
          env: harness.stubs.env(),
        },
      );
      expect({ id: r.case.id, shell: printShell.stdout }).toEqual({
        id: r.case.id,
        shell: 'bash|-euo pipefail -c',
      });
      expect(r.files.get('Makefile')).toMatch(
        /\bsource scripts\/load-env\.sh\b/,
      );
      // The runs that sourced load-env.sh succeeded, whatever /bin/sh is (dash here: ${sh}).
      expect({
        id: r.case.id,
        sh,
        code: runs.get(r.case.id)!.deploy.result.code,
      }).toEqual({ id: r.case.id, sh, code: 0 });
    }
  });

  it('defect 3: the local KCL check runs `kcl run main.k` inside kcl/, where kcl.mod is', () => {
    for (const r of renders) {
      const kcl = runs.get(r.case.id)!.deploy.kcl;
      expect(
        kcl.map(c => ({
          id: r.case.id,
          argv: c.argv,
          dir: path.relative(r.dir, c.cwd),
          kclMod: c.kclMod,
          mainK: c.mainK,
        })),
      ).toEqual([
        {
          id: r.case.id,
          argv: ['run', 'main.k'],
          dir: 'kcl',
          kclMod: true,
          mainK: true,
        },
      ]);
    }
  });

  it('defect 4: production removes the rendered backend.yaml after success, after failure and after an interrupt', async () => {
    for (const r of ofEnvironment('production')) {
      const file = path.join(r.dir, 'backend.yaml');
      expect({ id: r.case.id, afterSuccess: existsSync(file) }).toEqual({
        id: r.case.id,
        afterSuccess: false,
      });

      const failed = await harness.make(r, 'deploy', {
        control: { daggerExit: 1 },
      });
      expect({
        id: r.case.id,
        failed: failed.result.code !== 0,
        sawFile: failed.dagger[0]?.backendYaml !== null,
        left: existsSync(file),
      }).toEqual({
        id: r.case.id,
        failed: true,
        sawFile: true,
        left: false,
      });

      const interrupted = await harness.interrupt(r, 'deploy', 'SIGINT');
      expect({
        id: r.case.id,
        daggerStarted: interrupted.daggerStarted,
        ok: interrupted.result.code === 0,
        left: existsSync(file),
      }).toEqual({
        id: r.case.id,
        daggerStarted: true,
        ok: false,
        left: false,
      });
    }
  });

  it('defect 5: production renders backend.yaml owner-only (600), even under umask 000', async () => {
    for (const { r, call } of allDaggerCalls().filter(
      c => c.r.params.environment === 'production',
    )) {
      expect({ id: r.case.id, backendYaml: call.backendYaml }).toEqual({
        id: r.case.id,
        backendYaml: { mode: '600', refs: 0 },
      });
    }
    for (const r of ofEnvironment('production')) {
      const o = await harness.run(r, 'bash', [
        '-c',
        'umask 000 && exec make deploy',
      ]);
      expect({
        id: r.case.id,
        code: o.result.code,
        mode: o.dagger[0]?.backendYaml?.mode,
      }).toEqual({ id: r.case.id, code: 0, mode: '600' });
    }
  });

  it('defect 6: every dagger call uses the module version that kcl/kcl.mod pins, which is glueVersion', () => {
    for (const { r, fn, call } of allDaggerCalls()) {
      const version = call.argv[2].split('@')[1];
      expect({
        id: r.case.id,
        fn,
        version,
        kclMod: checkKclMod(r.files.get('kcl/kcl.mod')!, version),
      }).toEqual({
        id: r.case.id,
        fn,
        version: r.params.glueVersion,
        kclMod: [],
      });
    }
    for (const r of renders) {
      const versions = [...r.files.values()].flatMap(text =>
        [...text.matchAll(/unifi-cloudflare-glue@(v[0-9.]+)/g)].map(m => m[1]),
      );
      expect({ id: r.case.id, versions: [...new Set(versions)] }).toEqual({
        id: r.case.id,
        versions: [r.params.glueVersion],
      });
    }
  });

  it('defect 7: .env values with spaces, quotes, # and $(...) reach dagger unchanged and are never run', () => {
    for (const { r, fn, call } of allDaggerCalls().filter(
      c => c.r.params.environment !== 'production',
    )) {
      const expected = Object.fromEntries(
        Object.keys(harness.expectedSecrets(r)).map(k => [k, 'expected']),
      );
      expect({ id: r.case.id, fn, secrets: call.secrets }).toEqual({
        id: r.case.id,
        fn,
        secrets: expected,
      });
      expect({
        id: r.case.id,
        pwned: existsSync(path.join(r.dir, 'pwned')),
      }).toEqual({ id: r.case.id, pwned: false });
    }
    // The sample .env really is hostile.
    const { values } = dotEnvFor([
      'CF_TOKEN',
      'UNIFI_API_KEY',
      'UNIFI_PASSWORD',
    ]);
    expect(Object.values(values).join('')).toMatch(/ .*#.*\$\(.*"/s);
  });

  it('defect 8: the README says to copy .env.example, which exists and lists exactly the variables the scripts require', async () => {
    for (const r of renders) {
      const readme = r.files.get('README.md')!;
      // Only a README that mentions .env.example needs the file.
      expect({
        id: r.case.id,
        missing:
          readme.includes('.env.example') && !r.files.has('.env.example'),
      }).toEqual({ id: r.case.id, missing: false });
    }
    for (const r of ofEnvironment('development', 'staging')) {
      const keys = envExampleKeys(r.files.get('.env.example')!);
      expect(keys.sort()).toEqual(requiredDotEnv(r.params).sort());
      const env = path.join(r.dir, '.env');
      const full = await readFile(env, 'utf8');
      try {
        for (const key of keys) {
          await writeFile(env, dotEnvFor(keys.filter(k => k !== key)).text);
          const o = await runFunction(r, 'deploy');
          expect({
            id: r.case.id,
            without: key,
            failed: o.result.code !== 0,
            dagger: o.dagger.length,
            names: o.result.stderr.includes(key),
          }).toEqual({
            id: r.case.id,
            without: key,
            failed: true,
            dagger: 0,
            names: true,
          });
        }
      } finally {
        await writeFile(env, full);
      }
    }
  });

  it('defect 9: a failing plan fails the command (no `|| true`)', async () => {
    for (const r of renders) {
      const o = await runFunction(r, 'plan', { control: { daggerExit: 7 } });
      expect({
        id: r.case.id,
        code: o.result.code,
        dagger: o.dagger.length,
      }).toEqual({
        id: r.case.id,
        code: r.params.environment === 'development' ? 7 : 2,
        dagger: 1,
      });
      for (const file of ['deploy.sh', 'destroy.sh', 'Makefile'].filter(f =>
        r.files.has(f),
      )) {
        expect({
          id: r.case.id,
          file,
          orTrue: /\|\|\s*true\b/.test(r.files.get(file)!),
        }).toEqual({ id: r.case.id, file, orTrue: false });
      }
    }
  });

  it('defect 10: wherever use_lockfile is explained, it needs Terraform >= 1.10, never 1.9', () => {
    for (const r of renders) {
      for (const [file, text] of r.files) {
        expect({
          id: r.case.id,
          file,
          says19: /(Terraform|OpenTofu)\s*(>=\s*)?v?1\.9\b|\b1\.9\+/.test(text),
        }).toEqual({ id: r.case.id, file, says19: false });
        // Where use_lockfile is explained with a Terraform version, the version is 1.10.
        const explained =
          /use_lockfile/.test(text) && /Terraform\s*(>=|[0-9])/.test(text);
        expect({
          id: r.case.id,
          file,
          explainedWithout110: explained && !/1\.10/.test(text),
        }).toEqual({ id: r.case.id, file, explainedWithout110: false });
      }
    }
  });

  it('defect 11: .gitignore ignores no rendered file under case-insensitive matching (SECRETS.md stays tracked)', async () => {
    const env = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      HOME: work.root,
    };
    for (const r of renders) {
      await run('git', ['init', '-q'], { cwd: r.dir, env });
      const files = [
        ...r.files.keys(),
        'SECRETS.md',
        'secrets.md',
        'Secrets.vals.yaml',
        'MAKEFILE',
      ];
      const o = await run(
        'git',
        [
          '-c',
          'core.ignorecase=true',
          '-c',
          'core.excludesFile=/dev/null',
          'check-ignore',
          '--no-index',
          '--stdin',
        ],
        {
          cwd: r.dir,
          env,
          input: `${files.join('\n')}\n`,
        },
      );
      expect({
        id: r.case.id,
        ignored: o.stdout.split('\n').filter(Boolean),
      }).toEqual({ id: r.case.id, ignored: [] });
      await rm(path.join(r.dir, '.git'), { recursive: true, force: true });
    }
  });

  it('defect 12: the UniFi URL always carries a port, also when the form leaves it unset and UNIFI_PORT is empty', async () => {
    for (const { r, call } of allDaggerCalls()) {
      expect({
        id: r.case.id,
        url: flagValue(call.argv, '--unifi-url'),
      }).toEqual({
        id: r.case.id,
        url: `https://${r.params.unifiHost}:${r.params.unifiPort}`,
      });
    }
    const unset = renders.filter(r => r.case.input.unifiPort === undefined);
    expect(unset.length).toBeGreaterThan(0);
    for (const r of unset) {
      const o = await runFunction(r, 'deploy', { env: { UNIFI_PORT: '' } });
      expect({
        id: r.case.id,
        url: flagValue(o.dagger[0].argv, '--unifi-url'),
      }).toEqual({ id: r.case.id, url: `https://${r.params.unifiHost}:443` });
    }
  });

  it('defect 13: production never takes a secret from a plaintext .env: dagger gets the 1Password values through vals', async () => {
    for (const r of ofEnvironment('production')) {
      expect(r.files.get('.env.example')).not.toMatch(
        /^\s*(export\s+)?(CF_TOKEN|UNIFI_[A-Z_]+)\s*=/m,
      );
      const env = path.join(r.dir, '.env');
      await writeFile(
        env,
        `CF_TOKEN=${SECRET_MARKER}-plaintext\nUNIFI_API_KEY=${SECRET_MARKER}-plaintext\nUNIFI_USERNAME=${SECRET_MARKER}-plaintext\nUNIFI_PASSWORD=${SECRET_MARKER}-plaintext\n`,
      );
      try {
        const o = await harness.make(r, 'deploy', {
          env: { CF_TOKEN: `${SECRET_MARKER}-from-shell` },
        });
        const expected = Object.fromEntries(
          Object.keys(harness.expectedSecrets(r)).map(k => [k, 'expected']),
        );
        expect({
          id: r.case.id,
          code: o.result.code,
          secrets: o.dagger[0]?.secrets,
        }).toEqual({ id: r.case.id, code: 0, secrets: expected });
        expect(
          o.vals.some(
            c => c.argv[0] === 'exec' && c.argv.includes('secrets.vals.yaml'),
          ),
        ).toBe(true);
      } finally {
        await rename(env, `${env}.used`);
      }
    }
  });

  it('defect 14: kcl.mod sits inside the --kcl-source directory, beside main.k', () => {
    for (const { r, fn, call } of allDaggerCalls()) {
      expect({ id: r.case.id, fn, source: call.kclSource }).toEqual({
        id: r.case.id,
        fn,
        source: { path: './kcl', kclMod: true, mainK: true },
      });
    }
    for (const r of renders)
      expect({ id: r.case.id, rootKclMod: r.files.has('kcl.mod') }).toEqual({
        id: r.case.id,
        rootKclMod: false,
      });
  });

  it('defect 15: main.k exports the public unifi_output and cf_output built with the generators, nothing the module reads is private', () => {
    for (const r of renders) {
      const { problems, values } = checkKclMain(r.files.get('kcl/main.k')!);
      expect({ id: r.case.id, problems }).toEqual({
        id: r.case.id,
        problems: [],
      });
      expect(values.unifi_output).toEqual({
        __call: 'unifi_gen.generate_unifi_config',
        args: [{ __ref: 'unifi_config' }],
      });
      expect(values.cf_output).toEqual({
        __call: 'cf_gen.generate_cloudflare_config',
        args: [{ __ref: 'cloudflare_config' }],
      });
    }
  });
});
