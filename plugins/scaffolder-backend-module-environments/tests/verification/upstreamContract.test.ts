import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ENVIRONMENTS,
  Environment,
  ParameterInput,
  parseParameters,
} from '../../src/parameters/model';
import {
  loadExampleValues,
  startScaffolderBackend,
} from '../../src/__testUtils__/backend';
import {
  backendConfigFile,
  expectedTunnelCall,
  parametersOf,
  splitDaggerArgv,
  stateFlags,
  tunnelDevices,
  tunnelMacOf,
} from '../../src/__testUtils__/verification/expectations';
import { fakeTunnelToken } from '../../src/__testUtils__/standIns/glueModule';
import {
  confirmation,
  daggerCallProblems,
  StubbedRunner,
  Outcome,
} from '../../src/__testUtils__/verification/stubbedRunner';
import { buildMatrix } from '../../src/__testUtils__/verification/matrix';
import { run } from '../../src/__testUtils__/processes';
import {
  Backend,
  dryRunFiles,
  makeWorkRoot,
  Rendered,
  renderMatrix,
  writeRender,
} from '../../src/__testUtils__/verification/renders';
import { Stubs } from '../../src/__testUtils__/standIns/stubs';

/**
 * Issue 13: the environments deploy with unifi-cloudflare-glue v0.12.2 as it really behaves.
 * The stand-in module (glueModule.ts) holds the contract; these tests first pin the stand-in to
 * it, then run the rendered kits (the example values of each template and the matrix) against
 * it, one test per defect the issue lists.
 */

jest.setTimeout(180_000);

const MODULE = 'github.com/SolomonHD/unifi-cloudflare-glue@v0.12.2';

let backend: Backend;
let work: Awaited<ReturnType<typeof makeWorkRoot>>;
let harness: StubbedRunner;
/** The example values of each template, rendered through the dry-run API. */
const examples = new Map<Environment, Rendered>();
let matrix: Rendered[] = [];

async function renderExample(environment: Environment): Promise<Rendered> {
  const values = await loadExampleValues(environment);
  const input = { ...values, environment } as ParameterInput;
  const files = await dryRunFiles(backend, environment, input);
  const dir = path.join(work.root, 'examples', environment);
  await writeRender(dir, environment, files);
  const r: Rendered = {
    case: { id: `${environment}-example`, environment, input },
    params: parametersOf(input),
    dir,
    files: new Map(
      [...files].map(([file, content]) => [file, content.toString('utf8')]),
    ),
  };
  await harness.prepare(r);
  return r;
}

beforeAll(async () => {
  backend = await startScaffolderBackend();
  work = await makeWorkRoot('contract');
  harness = await StubbedRunner.create(work.root);
  for (const environment of ENVIRONMENTS)
    examples.set(environment, await renderExample(environment));
  matrix = await renderMatrix(
    backend,
    buildMatrix(),
    path.join(work.root, 'renders'),
  );
  for (const r of matrix) await harness.prepare(r);
});

afterAll(async () => {
  await backend?.stop();
  await work?.cleanup();
});

const all = () => [...examples.values(), ...matrix];
const ofTier = (environment: Environment) =>
  all().filter(r => r.params.environment === environment);
const text = (o: Outcome) => o.result.stdout + o.result.stderr;

/** A user's command for a function of a tier. */
function command(
  r: Rendered,
  fn: 'plan' | 'deploy' | 'destroy' | 'tunnel-token',
): [string, string[], string] {
  if (r.params.environment === 'development') {
    const args = {
      plan: ['--plan'],
      deploy: [],
      destroy: ['--force'],
      'tunnel-token': ['--tunnel-token'],
    }[fn];
    return [fn === 'destroy' ? './destroy.sh' : './deploy.sh', args, ''];
  }
  return ['make', [fn], fn === 'destroy' ? confirmation(r) : ''];
}

function runAs(
  r: Rendered,
  fn: 'plan' | 'deploy' | 'destroy' | 'tunnel-token',
  options: Parameters<StubbedRunner['run']>[3] = {},
) {
  const [program, args, input] = command(r, fn);
  return harness.run(r, program, args, { input, ...options });
}

describe('the stand-in module keeps the v0.12.2 contract (glueModule.ts)', () => {
  let dir: string;
  let stubs: Stubs;
  const dagger = (args: string[], env: Record<string, string> = {}) =>
    run('dagger', args, {
      cwd: dir,
      env: stubs.env({ CF_TOKEN: 't', UNIFI_API_KEY: 'k', ...env }),
    });
  const full = [
    '--kcl-source=./kcl',
    '--unifi-url=https://unifi.lan:443',
    '--unifi-api-key=env:UNIFI_API_KEY',
    '--cloudflare-token=env:CF_TOKEN',
    '--cloudflare-account-id=a',
    '--zone-name=example.com',
  ];
  const mainK = (origin: string) =>
    `tunnels = {\n    "aa:bb:cc:dd:ee:ff": cloudflare.CloudflareTunnel {\n        services = [cloudflare.TunnelService {\n            local_service_url = "${origin}"\n        }]\n    }\n}\nunifi_output = 1\ncf_output = 2\n`;

  beforeAll(async () => {
    stubs = harness.stubs;
    dir = path.join(work.root, 'contract-project');
    await mkdir(path.join(dir, 'kcl'), { recursive: true });
    await mkdir(path.join(dir, 'state'), { recursive: true });
    await writeFile(path.join(dir, 'kcl', 'kcl.mod'), '[package]\n');
    await writeFile(
      path.join(dir, 'kcl', 'main.k'),
      mainK('http://web.internal.lan:80'),
    );
    await writeFile(
      path.join(dir, 'no-keys.yaml'),
      'bucket: b\nkey: k/terraform.tfstate\nregion: eu-central-1\n',
    );
    await writeFile(
      path.join(dir, 'keys.yaml'),
      "bucket: b\nkey: k/terraform.tfstate\nregion: eu-central-1\naccess_key: 'AKIA1'\nsecret_key: 's/1+='\n",
    );
  });
  beforeEach(() => stubs.reset());

  it('refuses unknown functions and flags like the dagger CLI (get-tunnel-secrets has no --kcl-version)', async () => {
    const flag = await dagger([
      'call',
      '-m',
      MODULE,
      'get-tunnel-secrets',
      '--source=./kcl',
      '--cloudflare-token=env:CF_TOKEN',
      '--cloudflare-account-id=a',
      '--zone-name=z',
      '--kcl-version=v0.11.2',
    ]);
    expect({ code: flag.code, stderr: flag.stderr.trim() }).toEqual({
      code: 1,
      stderr: 'Error: unknown flag: --kcl-version',
    });
    const fn = await dagger(['call', '-m', MODULE, 'apply', ...full]);
    expect(fn.code).toBe(1);
  });

  it('refuses a Secret argument whose env: variable is not set, before the module runs', async () => {
    const o = await run('dagger', ['call', '-m', MODULE, 'deploy', ...full], {
      cwd: dir,
      env: stubs.env({ UNIFI_API_KEY: 'k' }),
    });
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/CF_TOKEN/);
  });

  it('returns deploy and destroy failures as "✗ Failed" text with exit status 0, and plan raises', async () => {
    for (const fn of ['deploy', 'destroy']) {
      const o = await dagger(['call', '-m', MODULE, fn, ...full], {
        STUB_GLUE_FAIL: '1',
      });
      expect({
        fn,
        code: o.code,
        starts: o.stdout.startsWith('✗ Failed'),
      }).toEqual({ fn, code: 0, starts: true });
    }
    const plan = await dagger(
      ['call', '-m', MODULE, 'plan', ...full, 'export', '--path=./plan'],
      { STUB_GLUE_FAIL: '1' },
    );
    expect({
      code: plan.code,
      exported: existsSync(path.join(dir, 'plan')),
    }).toEqual({ code: 1, exported: false });
    const ok = await dagger(['call', '-m', MODULE, 'deploy', ...full]);
    expect({
      code: ok.code,
      success: /^✓ .*completed successfully$/m.test(ok.stdout),
      failed: ok.stdout.includes('✗'),
    }).toEqual({ code: 0, success: true, failed: false });
  });

  it('says "No kcl.mod found in source directory" when kcl.mod is not in --kcl-source', async () => {
    await rename(path.join(dir, 'kcl', 'kcl.mod'), path.join(dir, 'kcl.mod'));
    try {
      const o = await dagger(['call', '-m', MODULE, 'deploy', ...full]);
      expect({ code: o.code, text: o.stdout }).toEqual({
        code: 0,
        text: expect.stringContaining('No kcl.mod found in source directory'),
      });
      expect(o.stdout.startsWith('✗ Failed')).toBe(true);
    } finally {
      await rename(path.join(dir, 'kcl.mod'), path.join(dir, 'kcl', 'kcl.mod'));
    }
  });

  it('fails the KCL check for a tcp:// tunnel origin (is_valid_domain strips only http:// and https://)', async () => {
    await writeFile(
      path.join(dir, 'kcl', 'main.k'),
      mainK('tcp://ssh.internal.lan:22'),
    );
    try {
      const o = await dagger(['call', '-m', MODULE, 'deploy', ...full]);
      expect(o.stdout).toMatch(
        /^✗ Failed: Could not generate Cloudflare config\n.*local_service_url/,
      );
    } finally {
      await writeFile(
        path.join(dir, 'kcl', 'main.k'),
        mainK('http://web.internal.lan:80'),
      );
    }
  });

  it('gives Terraform no AWS_* variable: an s3 backend without keys in the config file fails init, whatever the shell exports', async () => {
    const aws = {
      AWS_ACCESS_KEY_ID: 'AKIA1',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_PROFILE: 'default',
    };
    const o = await dagger(
      [
        'call',
        '-m',
        MODULE,
        'deploy',
        ...full,
        '--backend-type=s3',
        '--backend-config-file=./no-keys.yaml',
      ],
      aws,
    );
    expect({ code: o.code, text: o.stdout }).toEqual({
      code: 0,
      text: expect.stringMatching(
        /^✗ Failed: Terraform init failed\n.*No valid credential sources found/,
      ),
    });
    const withKeys = await dagger([
      'call',
      '-m',
      MODULE,
      'deploy',
      ...full,
      '--backend-type=s3',
      '--backend-config-file=./keys.yaml',
    ]);
    expect(withKeys.stdout).toMatch(/completed successfully/);
  });

  it('refuses --state-dir together with a remote backend, and a config file without --backend-type', async () => {
    const both = await dagger([
      'call',
      '-m',
      MODULE,
      'deploy',
      ...full,
      '--backend-type=s3',
      '--backend-config-file=./keys.yaml',
      '--state-dir=./state',
    ]);
    expect(both.stdout).toMatch(
      /^✗ Failed: Cannot use both --state-dir and --backend-type/,
    );
    const untyped = await dagger([
      'call',
      '-m',
      MODULE,
      'deploy',
      ...full,
      '--backend-config-file=./keys.yaml',
    ]);
    expect(untyped.stdout).toMatch(
      /^✗ Failed: --backend-config-file specified but backend_type is 'local'/,
    );
  });

  it('serves the tunnel token only from the state deploy wrote: remote yes, ephemeral and --state-dir (a read-only snapshot) no', async () => {
    const tunnel = (extra: string[]) =>
      dagger([
        'call',
        '-m',
        MODULE,
        'get-tunnel-secrets',
        '--source=./kcl',
        '--cloudflare-token=env:CF_TOKEN',
        '--cloudflare-account-id=a',
        '--zone-name=example.com',
        ...extra,
      ]);
    for (const state of [[], ['--state-dir=./state']]) {
      await stubs.reset();
      expect(
        (await dagger(['call', '-m', MODULE, 'deploy', ...full, ...state]))
          .stdout,
      ).toMatch(/completed successfully/);
      const o = await tunnel(state);
      expect({ state, code: o.code, text: o.stdout }).toEqual({
        state,
        code: 0,
        text: expect.stringMatching(
          /^✗ Failed: Could not retrieve tunnel_ids output/,
        ),
      });
    }
    await stubs.reset();
    const s3 = ['--backend-type=s3', '--backend-config-file=./keys.yaml'];
    expect(
      (await dagger(['call', '-m', MODULE, 'deploy', ...full, ...s3])).stdout,
    ).toMatch(/completed successfully/);
    expect((await tunnel(s3)).stdout).toContain(
      `Token: ${fakeTunnelToken('aa:bb:cc:dd:ee:ff')}`,
    );
    expect(
      (await dagger(['call', '-m', MODULE, 'destroy', ...full, ...s3])).stdout,
    ).toMatch(/destroyed successfully/);
    expect((await tunnel(s3)).stdout).toMatch(/^✗ Failed/);
  });
});

describe('issue 13: the kits against the stand-in module', () => {
  it('every tier deploys for real with the example values and the matrix values: the module answers ok, with every flag it knows', async () => {
    for (const r of all()) {
      const o = await runAs(r, 'deploy');
      expect({
        id: r.case.id,
        code: o.result.code,
        calls: o.dagger.length,
        problems: o.dagger[0] && daggerCallProblems(o.dagger[0], r, 'deploy'),
      }).toEqual({
        id: r.case.id,
        code: 0,
        calls: 1,
        problems: [],
      });
    }
  });

  it('staging hands the S3 backend its AWS keys in an owner-only, git-ignored file that is gone afterwards; the committed backend.yaml holds none', async () => {
    for (const r of ofTier('staging')) {
      const o = await runAs(r, 'deploy');
      expect({
        id: r.case.id,
        outcome: o.dagger[0]?.outcome,
        file: o.dagger[0]?.backendConfigFile,
      }).toEqual({
        id: r.case.id,
        outcome: 'ok',
        file: {
          path: './backend.rendered.yaml',
          exists: true,
          mode: '600',
          refs: 0,
          credentials: true,
        },
      });
      expect(existsSync(path.join(r.dir, 'backend.rendered.yaml'))).toBe(false);
      expect(r.files.get('backend.yaml')).not.toMatch(
        /^\s*(access_key|secret_key|token)\s*:/m,
      );
      expect(r.files.get('.gitignore')).toMatch(/^\/backend\.rendered\.yaml$/m);
    }
  });

  it('staging: make validate names exactly the AWS variable that is missing from .env, and nothing reaches dagger', async () => {
    const r = examples.get('staging')!;
    const env = path.join(r.dir, '.env');
    const full = await readFile(env, 'utf8');
    try {
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        await writeFile(env, full.replace(new RegExp(`^${name}=.*$`, 'm'), ''));
        for (const target of ['validate', 'deploy']) {
          const o = await harness.make(r, target);
          expect({
            name,
            target,
            code: o.result.code,
            dagger: o.dagger.length,
            says: o.result.stderr.includes(`Error: ${name} is not set`),
          }).toEqual({
            name,
            target,
            code: 2,
            dagger: 0,
            says: true,
          });
        }
      }
    } finally {
      await writeFile(env, full);
    }
  });

  it('a "✗ Failed" answer (dagger exits 0) makes every deploy, destroy and plan exit non-zero and shows the message', async () => {
    for (const r of examples.values()) {
      const fns =
        r.params.environment === 'development'
          ? (['deploy', 'plan'] as const)
          : (['deploy', 'destroy', 'plan'] as const);
      for (const fn of fns) {
        const o = await runAs(r, fn, { control: { glueFail: true } });
        expect({
          id: r.case.id,
          fn,
          failed: o.result.code !== 0,
          module: o.dagger.map(c => c.outcome),
          shown: text(o).includes('✗ Failed'),
        }).toEqual({
          id: r.case.id,
          fn,
          failed: true,
          module: ['failed'],
          shown: true,
        });
      }
    }
  });

  it('development destroy never claims a success it did not achieve: it calls nothing, exits non-zero and says how to clean up', async () => {
    for (const r of ofTier('development')) {
      const o = await runAs(r, 'destroy');
      expect({
        id: r.case.id,
        code: o.result.code,
        calls: o.calls.length,
      }).toEqual({ id: r.case.id, code: 3, calls: 0 });
      expect(o.result.stderr).toMatch(/Nothing was destroyed/);
      expect(o.result.stderr).toMatch(
        /Cloudflare dashboard|UniFi Network application/,
      );
      expect(r.files.get('README.md')).not.toMatch(/remove everything again/);
    }
  });

  it('every tier has a tunnel-token command with the state flags of deploy; staging and production print the token deploy stored', async () => {
    for (const r of all()) {
      const deploy = await runAs(r, 'deploy');
      expect({ id: r.case.id, code: deploy.result.code }).toEqual({
        id: r.case.id,
        code: 0,
      });
      const o = await runAs(r, 'tunnel-token', { keepState: true });
      const call = o.dagger.find(c => c.fn === 'get-tunnel-secrets');
      expect({
        id: r.case.id,
        argv: call && splitDaggerArgv(call.argv),
      }).toEqual({ id: r.case.id, argv: expectedTunnelCall(r.params) });
      // The same state flags as deploy's call.
      const deployState = deploy.dagger[0].argv.filter(
        a => a.startsWith('--backend-') || a.startsWith('--state-dir'),
      );
      expect(deployState).toEqual(stateFlags(r.params));
      expect(
        call!.argv.filter(
          a => a.startsWith('--backend-') || a.startsWith('--state-dir'),
        ),
      ).toEqual(deployState);
      const tunnels = tunnelDevices(r.params).length > 0;
      // Development: ephemeral state cannot serve it, and the command says so instead of pretending.
      // Otherwise, with a tunnel: the token is printed. With a tunnel, the README says how to use it.
      const development = r.params.environment === 'development';
      let expectedCode: number | string = 'not checked';
      if (development) expectedCode = 1;
      else if (tunnels) expectedCode = 0;
      expect({
        id: r.case.id,
        code: development || tunnels ? o.result.code : 'not checked',
        honest: development && /ephemeral/.test(o.result.stderr),
        // One token per tunnel: per device with a public service, by its first MAC.
        token:
          !development &&
          tunnels &&
          tunnelDevices(r.params).every(d =>
            o.result.stdout.includes(
              `Token: ${fakeTunnelToken(tunnelMacOf(d))}`,
            ),
          ),
        guide:
          tunnels &&
          /cloudflared service install <token>/.test(r.files.get('README.md')!),
      }).toEqual({
        id: r.case.id,
        code: expectedCode,
        honest: development,
        token: !development && tunnels,
        guide: tunnels,
      });
    }
  });

  it('every dagger call pins Terraform (and KCL where the function takes it) to the form values', async () => {
    for (const r of all()) {
      const calls = [
        ...(await runAs(r, 'plan')).dagger,
        ...(await runAs(r, 'deploy')).dagger,
        ...(r.params.environment === 'development'
          ? []
          : (await runAs(r, 'destroy', { keepState: true })).dagger),
        ...(await runAs(r, 'tunnel-token')).dagger,
      ];
      expect(calls.length).toBe(r.params.environment === 'development' ? 3 : 4);
      for (const call of calls) {
        expect({
          id: r.case.id,
          fn: call.fn,
          terraform: call.argv.filter(a =>
            a.startsWith('--terraform-version='),
          ),
        }).toEqual({
          id: r.case.id,
          fn: call.fn,
          terraform: [`--terraform-version=${r.params.terraformVersion}`],
        });
        const kcl =
          call.fn === 'get-tunnel-secrets'
            ? []
            : [`--kcl-version=${r.params.kclVersion}`];
        expect({
          id: r.case.id,
          fn: call.fn,
          kcl: call.argv.filter(a => a.startsWith('--kcl-version=')),
        }).toEqual({ id: r.case.id, fn: call.fn, kcl });
      }
    }
    // New values reach the calls, not only the defaults.
    expect(
      new Set(all().map(r => r.params.terraformVersion)).size,
    ).toBeGreaterThan(1);
  });

  it('the READMEs name the minimum Dagger, vals, bash and make versions, and claim no OpenTofu', () => {
    for (const r of all()) {
      const readme = r.files.get('README.md')!;
      expect({
        id: r.case.id,
        dagger: /Dagger.*v0\.19\.8/.test(readme),
        bash: /bash \| 3\.2/.test(readme),
      }).toEqual({ id: r.case.id, dagger: true, bash: true });
      // make for staging and production, vals for production.
      const environment = r.params.environment;
      expect({
        id: r.case.id,
        make: environment === 'development' || /GNU make \| 3\.81/.test(readme),
        vals: environment !== 'production' || /vals.*v0\.25\.0/.test(readme),
      }).toEqual({ id: r.case.id, make: true, vals: true });
      for (const [file, content] of r.files) {
        for (const line of content
          .split('\n')
          .filter(l => /OpenTofu/.test(l))) {
          expect({
            id: r.case.id,
            file,
            line,
            denies: /never OpenTofu|not OpenTofu/.test(line),
          }).toEqual({ id: r.case.id, file, line, denies: true });
        }
      }
    }
  });

  it('production: nothing says `op signin` gives vals access, and make validate names the variable vals needs', async () => {
    for (const r of ofTier('production')) {
      for (const file of [
        'README.md',
        '.env.example',
        'SECRETS.md',
        'Makefile',
        'scripts/load-env.sh',
      ]) {
        // Sentence by sentence (comment markers and line breaks removed): each mention denies it.
        const sentences = r.files
          .get(file)!
          .replace(/^\s*#+/gm, ' ')
          .replace(/\s+/g, ' ')
          .split(/(?<=[.;])\s/);
        for (const sentence of sentences.filter(s => /op signin/.test(s))) {
          expect({
            id: r.case.id,
            file,
            sentence,
            denies: /\bnot\b|n't/.test(sentence),
          }).toEqual({ id: r.case.id, file, sentence, denies: true });
        }
      }
      const needed =
        r.params.secretsProvider === 'onepasswordconnect'
          ? ['OP_CONNECT_HOST', 'OP_CONNECT_TOKEN']
          : ['OP_SERVICE_ACCOUNT_TOKEN'];
      for (const name of needed) {
        const env = { ...StubbedRunner.vaultAccess(r), [name]: '' };
        const o = await harness.make(r, 'validate', { env });
        expect({
          id: r.case.id,
          name,
          code: o.result.code,
          says: o.result.stderr.includes(`${name} is not set`),
          vals: o.vals.length,
        }).toEqual({
          id: r.case.id,
          name,
          code: 2,
          says: true,
          vals: 0,
        });
      }
    }
  });

  it('a tcp service through the tunnel is refused by the form and the render action, naming the field', async () => {
    for (const environment of ENVIRONMENTS) {
      const r = examples.get(environment)!;
      const input = {
        ...r.case.input,
        devices: [
          ...r.case.input.devices,
          {
            hostname: 'bastion',
            macAddresses: ['02:00:5e:99:00:01'],
            services: [
              {
                name: 'ssh',
                port: 22,
                protocol: 'tcp',
                distribution: 'both',
                publicHostname: `ssh.${r.params.zoneName}`,
              },
            ],
          },
        ],
      } as ParameterInput;
      const at = input.devices.length - 1;
      // The form's JSON Schema answers first (the model's own message, naming
      // devices[n].services[0].protocol, is checked in src/parameters/forms.test.ts).
      await expect(dryRunFiles(backend, environment, input)).rejects.toThrow(
        new RegExp(
          `answered 400: instance\\.devices\\[${at}\\]\\.services\\[0\\].*distribution does not exactly match expected constant: unifi_only`,
        ),
      );
      expect(parseParameters(input)).toMatchObject({
        success: false,
        problems: expect.arrayContaining([
          expect.objectContaining({
            field: `devices[${at}].services[0].protocol`,
          }),
        ]),
      });
    }
    for (const r of all()) {
      expect({
        id: r.case.id,
        tcpOrigin: /local_service_url = "tcp:/.test(r.files.get('kcl/main.k')!),
      }).toEqual({ id: r.case.id, tcpOrigin: false });
    }
  });

  it('the production KMS key example passes the S3 backend check of Terraform (UUID version 1-5, variant 8, 9, a or b)', () => {
    // hashicorp/terraform internal/backend/remote-state/s3/validate.go: uuidRegexPattern, multiRegionKeyIdPattern, aliasRegexPattern.
    const terraform =
      /^arn:[^:]+:kms:[^:]+:[0-9]{12}:(?:key\/(?:[a-f0-9]{8}-[a-f0-9]{4}-[1-5][a-f0-9]{3}-[ab89][a-f0-9]{3}-[a-f0-9]{12}|mrk-[a-f0-9]{32})|alias\/[a-zA-Z0-9/_-]+)$/;
    const keys = all().flatMap(r =>
      r.params.kmsKeyId ? [{ id: r.case.id, key: r.params.kmsKeyId }] : [],
    );
    expect(keys.map(k => k.id)).toContain('production-example');
    for (const { id, key } of keys)
      expect({ id, key, terraformAccepts: terraform.test(key) }).toEqual({
        id,
        key,
        terraformAccepts: true,
      });
  });

  it('macOS bash 3.2: no script expands a possibly empty array as "${array[@]}" under set -u', () => {
    for (const r of all()) {
      for (const file of [
        'deploy.sh',
        'destroy.sh',
        'scripts/load-env.sh',
      ].filter(f => r.files.has(f))) {
        const code = r.files
          .get(file)!
          .split('\n')
          .filter(l => !/^\s*#/.test(l))
          .join('\n');
        const bare = [
          ...code.matchAll(
            /(?<!\[@\]\+)"\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"/g,
          ),
        ]
          .filter(m => !['args', 'BASH_SOURCE'].includes(m[1]))
          .map(m => m[0]);
        expect({ id: r.case.id, file, bare }).toEqual({
          id: r.case.id,
          file,
          bare: [],
        });
      }
    }
  });

  it('GNU make 3.81 (no .SHELLFLAGS): a failing vals eval or a missing .env variable never lets dagger run', async () => {
    // make 3.81 runs recipes with `bash -c`; overriding .SHELLFLAGS to -c reproduces it on make 4.
    for (const r of ofTier('production')) {
      // vals eval fails (a 1Password hiccup) while vals exec would still start dagger.
      const o = await harness.run(r, 'make', ['.SHELLFLAGS=-c', 'deploy'], {
        control: { valsEvalExit: 1 },
      });
      expect({
        id: r.case.id,
        failed: o.result.code !== 0,
        dagger: o.dagger.length,
        left: existsSync(path.join(r.dir, 'backend.yaml')),
      }).toEqual({
        id: r.case.id,
        failed: true,
        dagger: 0,
        left: false,
      });
    }
    for (const r of ofTier('staging')) {
      const env = path.join(r.dir, '.env');
      const full = await readFile(env, 'utf8');
      try {
        await writeFile(env, full.replace(/^AWS_SECRET_ACCESS_KEY=.*$/m, ''));
        const o = await harness.run(r, 'make', ['.SHELLFLAGS=-c', 'deploy']);
        expect({
          id: r.case.id,
          failed: o.result.code !== 0,
          dagger: o.dagger.length,
        }).toEqual({ id: r.case.id, failed: true, dagger: 0 });
      } finally {
        await writeFile(env, full);
      }
    }
    // And the normal path still works under make 3.81 rules.
    for (const environment of ['staging', 'production'] as const) {
      const r = examples.get(environment)!;
      const o = await harness.run(r, 'make', ['.SHELLFLAGS=-c', 'deploy']);
      expect({
        environment,
        code: o.result.code,
        outcome: o.dagger.map(c => c.outcome),
        file: backendConfigFile(r.params),
      }).toEqual({
        environment,
        code: 0,
        outcome: ['ok'],
        file: backendConfigFile(r.params),
      });
    }
  });
});
