import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalValues } from '../../src/__testUtils__/values';
import {
  expectedDaggerCall,
  parametersOf,
} from '../../src/__testUtils__/verification/expectations';
import {
  bashSyntax,
  daggerCallProblems,
  shellcheck,
} from '../../src/__testUtils__/verification/stubbedRunner';
import {
  extractRecipes,
  phonyTargets,
} from '../../src/__testUtils__/standIns/makeRecipes';
import { run } from '../../src/__testUtils__/processes';
import {
  makeWorkRoot,
  Rendered,
} from '../../src/__testUtils__/verification/renders';
import {
  dotEnvFor,
  envExampleKeys,
  StubCall,
  Stubs,
  valsFake,
} from '../../src/__testUtils__/standIns/stubs';

/** The verification tools themselves: stubs, recipe extraction, dagger call checks. */

let work: Awaited<ReturnType<typeof makeWorkRoot>>;
let stubs: Stubs;
let dir: string;

beforeAll(async () => {
  work = await makeWorkRoot('stubs');
  stubs = await Stubs.create(path.join(work.root, 'stubs'));
  dir = path.join(work.root, 'project');
  await mkdir(path.join(dir, 'kcl'), { recursive: true });
});

afterAll(async () => {
  await work?.cleanup();
});

beforeEach(async () => {
  await stubs.reset();
});

const sh = (script: string, env: Record<string, string> = {}, cwd = dir) =>
  run('bash', ['-c', script], { cwd, env: stubs.env(env) });

describe('the stub programs', () => {
  it('pass bash -n and shellcheck -S style themselves', async () => {
    for (const program of stubs.programs)
      expect((await bashSyntax(dir, program)).stderr).toBe('');
    const check = await shellcheck(dir, stubs.programs);
    expect(check.stdout + check.stderr).toBe('');
  });

  it('dagger records its argv exactly as JSON, and the names, never the values, of the secrets it got', async () => {
    const odd = [
      'plain',
      'with space',
      `quote ' and " and \\`,
      'new\nline',
      'tab\there',
      'bell\u0007',
      'café ☕',
      '',
    ];
    await stubs.control({
      expectSecrets: { CF_TOKEN: 'the-token', UNIFI_API_KEY: 'the-key' },
    });
    const result = await run('dagger', odd, {
      cwd: dir,
      env: stubs.env({ CF_TOKEN: 'the-token', UNIFI_API_KEY: 'other' }),
    });
    // Not a dagger call: refused like the real CLI, and recorded all the same.
    expect(result.code).toBe(1);
    const [call] = await stubs.calls();
    expect(call).toMatchObject({
      tool: 'dagger',
      argv: odd,
      cwd: dir,
      outcome: 'refused',
      secrets: { CF_TOKEN: 'expected', UNIFI_API_KEY: 'different' },
    });
    expect(call.env).toEqual(
      expect.arrayContaining(['CF_TOKEN', 'UNIFI_API_KEY', 'HOME', 'PATH']),
    );
    expect(call.env).not.toContain('UNIFI_PASSWORD');
    const log = await readFile(stubs.logFile, 'utf8');
    expect(log).not.toContain('the-token');
    expect(log).not.toContain('other');
  });

  it('dagger fails when told to, by environment variable or control file, and can sleep', async () => {
    expect(
      (
        await run('dagger', ['call'], {
          cwd: dir,
          env: stubs.env({ STUB_DAGGER_EXIT: '3' }),
        })
      ).code,
    ).toBe(3);
    await stubs.control({ daggerExit: 4 });
    expect(
      (await run('dagger', ['call'], { cwd: dir, env: stubs.env() })).code,
    ).toBe(4);
    await stubs.reset();
    const started = Date.now();
    await run('dagger', ['call'], {
      cwd: dir,
      env: stubs.env({ STUB_DAGGER_SLEEP: '1' }),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('dagger records the --kcl-source contents, the backend config file and the mode of backend.yaml', async () => {
    await writeFile(path.join(dir, 'kcl', 'main.k'), 'x = 1\n');
    await writeFile(
      path.join(dir, 'backend.yaml'),
      '# ref+op://in/a/comment\nbucket: ref+op://V/I/bucket\n',
      { mode: 0o640 },
    );
    await sh(
      'chmod 640 backend.yaml && dagger call -m glue plan --kcl-source=./kcl --backend-type=s3 --backend-config-file=./backend.yaml export --path=./out',
    );
    const [call] = await stubs.calls();
    expect(call).toMatchObject({
      fn: 'plan',
      outcome: 'failed',
      kclSource: { path: './kcl', kclMod: false, mainK: true },
      backendConfigFile: {
        path: './backend.yaml',
        exists: true,
        mode: '640',
        refs: 1,
        credentials: false,
      },
      backendYaml: { mode: '640', refs: 1 },
    });
    // plan raised (no UniFi credentials given), so nothing was exported.
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('vals eval resolves op and onepasswordconnect references (not comments) and refuses any other reference', async () => {
    await writeFile(
      path.join(dir, 'tmpl.yaml'),
      '# ref+vault://only/a/comment\na: "ref+op://Vault/item/field-one"\nb: ref+op://Vault/item/section/field-two\nc: "ref+onepasswordconnect://Vault/item#/field-three"\nd: plain\n',
    );
    const access = {
      OP_SERVICE_ACCOUNT_TOKEN: 'ops_x',
      OP_CONNECT_HOST: 'https://connect',
      OP_CONNECT_TOKEN: 'c',
    };
    const eval1 = await sh('vals eval -f tmpl.yaml', access);
    expect(eval1.code).toBe(0);
    expect(eval1.stdout).toBe(
      `# ref+vault://only/a/comment\na: "${valsFake('field-one')}"\nb: ${valsFake('field-two')}\nc: "${valsFake('field-three')}"\nd: plain\n`,
    );
    await writeFile(path.join(dir, 'bad.yaml'), 'a: ref+file://etc/passwd\n');
    const bad = await sh('vals eval -f bad.yaml', access);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unsupported or malformed reference/);
    expect(
      (await sh('vals eval -f tmpl.yaml', { ...access, STUB_VALS_EXIT: '1' }))
        .code,
    ).not.toBe(0);
  });

  it('vals resolves op references only with OP_SERVICE_ACCOUNT_TOKEN and Connect references only with OP_CONNECT_HOST and OP_CONNECT_TOKEN', async () => {
    // helmfile/vals pkg/providers/onepassword uses the 1Password SDK with a service-account token;
    // an `op signin` session is not read. pkg/providers/onepasswordconnect reads the two OP_CONNECT_ variables.
    await writeFile(
      path.join(dir, 'op.yaml'),
      'a: ref+op://Vault/item/field\n',
    );
    await writeFile(
      path.join(dir, 'connect.yaml'),
      'a: ref+onepasswordconnect://Vault/item#/field\n',
    );
    const op = await sh('vals eval -f op.yaml');
    expect({
      code: op.code,
      names: /OP_SERVICE_ACCOUNT_TOKEN/.test(op.stderr),
    }).toEqual({ code: 1, names: true });
    expect(
      (await sh('vals eval -f op.yaml', { OP_SERVICE_ACCOUNT_TOKEN: 'ops_x' }))
        .code,
    ).toBe(0);
    const connect = await sh('vals eval -f connect.yaml', {
      OP_CONNECT_HOST: 'https://connect',
    });
    expect({
      code: connect.code,
      names: /OP_CONNECT_TOKEN/.test(connect.stderr),
    }).toEqual({ code: 1, names: true });
    expect(
      (
        await sh('vals eval -f connect.yaml', {
          OP_CONNECT_HOST: 'https://connect',
          OP_CONNECT_TOKEN: 'c',
        })
      ).code,
    ).toBe(0);
  });

  it('vals exec gives the command only the secrets, like the real vals without -i, and the environment too with -i', async () => {
    await writeFile(
      path.join(dir, 'secrets.yaml'),
      '"CF_TOKEN": "ref+op://V/cloudflare/credential"\nUNIFI_API_KEY: ref+op://V/unifi/api-key\n',
    );
    const shell = { CF_TOKEN: 'from-shell', OP_SERVICE_ACCOUNT_TOKEN: 'ops_x' };
    await sh('vals exec -f secrets.yaml -- dagger call', shell);
    await sh('vals exec -i -f secrets.yaml -- dagger call', shell);
    const calls = (await stubs.calls()).filter(
      (c: StubCall) => c.tool === 'dagger',
    );
    expect(calls[0].env?.sort()).toEqual(['CF_TOKEN', 'UNIFI_API_KEY']);
    expect(calls[1].env).toEqual(
      expect.arrayContaining(['CF_TOKEN', 'UNIFI_API_KEY', 'HOME', 'PATH']),
    );
    await stubs.control({
      expectSecrets: {
        CF_TOKEN: valsFake('credential'),
        UNIFI_API_KEY: valsFake('api-key'),
      },
    });
    await sh('vals exec -i -f secrets.yaml -- dagger call', shell);
    const last = (await stubs.calls())
      .filter((c: StubCall) => c.tool === 'dagger')
      .pop()!;
    expect(last.secrets).toEqual({
      CF_TOKEN: 'expected',
      UNIFI_API_KEY: 'expected',
    });
  });

  it('kcl fails like the real module when kcl.mod is not in the working directory', async () => {
    const without = await sh('kcl run main.k', {}, path.join(dir, 'kcl'));
    expect(without.code).toBe(1);
    await writeFile(path.join(dir, 'kcl', 'kcl.mod'), '[package]\n');
    expect((await sh('kcl run main.k', {}, path.join(dir, 'kcl'))).code).toBe(
      0,
    );
    expect((await stubs.calls()).map(c => c.kclMod)).toEqual([false, true]);
  });

  it('the sample .env is loaded to exactly the documented values by a careful loader', async () => {
    const keys = envExampleKeys(
      '# X=1\nCF_TOKEN=\nexport UNIFI_USERNAME=\nUNIFI_PASSWORD=\nUNIFI_API_KEY=\n',
    );
    expect(keys).toEqual([
      'CF_TOKEN',
      'UNIFI_USERNAME',
      'UNIFI_PASSWORD',
      'UNIFI_API_KEY',
    ]);
    const { text, values } = dotEnvFor(keys);
    await writeFile(path.join(dir, 'sample.env'), text);
    // The same algorithm as the kits' load_env_file, to pin what the sample means.
    const loader = String.raw`while IFS= read -r line || [[ -n $line ]]; do line=${'$'}{line%$'\r'}; [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
      [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || exit 9; k=${'$'}{BASH_REMATCH[2]}; v=${'$'}{BASH_REMATCH[3]}
      if [[ $v =~ ^\"(.*)\"[[:space:]]*$ || $v =~ ^\'(.*)\'[[:space:]]*$ ]]; then v=${'$'}{BASH_REMATCH[1]}; fi; printf '%s=%s\0' "$k" "$v"; done < sample.env`;
    const loaded = await sh(loader);
    expect(loaded.code).toBe(0);
    const parsed = Object.fromEntries(
      loaded.stdout
        .split('\0')
        .filter(Boolean)
        .map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(parsed).toEqual(values);
  });
});

describe('make recipe extraction', () => {
  const MAKEFILE = [
    'SHELL := bash',
    '.SHELLFLAGS := -euo pipefail -c',
    "NAME := 'my env'",
    '.PHONY: good bad',
    'good:',
    '\t@echo $(NAME) "$$HOME"',
    '\tcd kcl && \\',
    '\t  ls',
    'bad: good',
    '\trm -rf $$TARGET/*',
    '',
  ].join('\n');

  it('captures each recipe line as make expands it, with the shell flags, and shellcheck sees real findings', async () => {
    const project = path.join(work.root, 'make-project');
    await mkdir(project, { recursive: true });
    await writeFile(path.join(project, 'Makefile'), MAKEFILE);
    expect(phonyTargets(MAKEFILE)).toEqual(['good', 'bad']);
    const recipes = await extractRecipes(
      project,
      ['good', 'bad'],
      path.join(project, '.recipes'),
    );
    expect(recipes.map(r => [r.target, r.command, r.flags])).toEqual([
      ['good', `echo 'my env' "$HOME"`, ['-euo', 'pipefail']],
      ['good', 'cd kcl && \\\n  ls', ['-euo', 'pipefail']],
      ['bad', `echo 'my env' "$HOME"`, ['-euo', 'pipefail']],
      ['bad', 'cd kcl && \\\n  ls', ['-euo', 'pipefail']],
      ['bad', 'rm -rf $TARGET/*', ['-euo', 'pipefail']],
    ]);
    expect(await readFile(recipes[4].file, 'utf8')).toMatch(
      /^#!\/usr\/bin\/env bash\n.*\nset -euo pipefail\nrm -rf \$TARGET\/\*\n$/,
    );
    const good = await shellcheck(
      project,
      recipes.filter(r => r.target === 'good').map(r => r.file),
    );
    expect(good.stdout).toBe('');
    const bad = await shellcheck(project, [recipes[4].file]);
    expect(bad.stdout).toMatch(/SC2115/);
  });
});

describe('dagger call checks', () => {
  const r = {
    params: parametersOf(canonicalValues.staging),
    dir: '/nowhere',
    files: new Map(),
    case: {},
  } as unknown as Rendered;
  const good = (): StubCall => {
    const e = expectedDaggerCall(r.params, 'deploy');
    return {
      tool: 'dagger',
      argv: [
        ...e.head,
        ...e.flags.map(f => f.replace('<digits>', '1700000000')),
        ...e.tail,
      ],
      cwd: '/nowhere',
      env: ['CF_TOKEN', 'UNIFI_USERNAME', 'UNIFI_PASSWORD'],
      secrets: {
        CF_TOKEN: 'expected',
        UNIFI_USERNAME: 'expected',
        UNIFI_PASSWORD: 'expected',
      },
      kclSource: { path: './kcl', kclMod: true, mainK: true },
      backendConfigFile: {
        path: './backend.rendered.yaml',
        exists: true,
        mode: '600',
        refs: 0,
        credentials: true,
      },
      backendYaml: { mode: '644', refs: 0 },
      fn: 'deploy',
      outcome: 'ok',
    };
  };

  it('accept the exact call', () => {
    expect(daggerCallProblems(good(), r, 'deploy')).toEqual([]);
  });

  it.each([
    [
      'no --backend-type=s3 (upstream defect 1)',
      (c: StubCall) => ({
        ...c,
        argv: c.argv.filter(a => a !== '--backend-type=s3'),
      }),
      /argv is/,
    ],
    [
      'a flag the module does not have',
      (c: StubCall) => ({ ...c, argv: [...c.argv, '--unifi-port=443'] }),
      /--unifi-port=443 is not a flag/,
    ],
    [
      'a secret value in argv',
      (c: StubCall) => ({
        ...c,
        argv: [...c.argv, '--cloudflare-token=fakesecret-x'],
      }),
      /secret value appears/,
    ],
    [
      'another module version (upstream defect 6)',
      (c: StubCall) => ({
        ...c,
        argv: c.argv.map(a => a.replace('@v0.12.2', '@v0.3.2')),
      }),
      /argv is/,
    ],
    [
      'a cache buster that is not digits',
      (c: StubCall) => ({
        ...c,
        argv: c.argv.map(a =>
          a.startsWith('--cache-buster') ? '--cache-buster=' : a,
        ),
      }),
      /argv is/,
    ],
    [
      'a KCL source without kcl.mod (upstream defect 14)',
      (c: StubCall) => ({
        ...c,
        kclSource: { path: './kcl', kclMod: false, mainK: true },
      }),
      /lacks kcl\.mod/,
    ],
    [
      'a missing backend config file',
      (c: StubCall) => ({
        ...c,
        backendConfigFile: { path: './backend.yaml', exists: false },
      }),
      /does not exist/,
    ],
    [
      'a secret with another value (upstream defect 7)',
      (c: StubCall) => ({
        ...c,
        secrets: { ...c.secrets, CF_TOKEN: 'different' as const },
      }),
      /CF_TOKEN reached dagger with a different value/,
    ],
    [
      'the credentials of the other auth mode',
      (c: StubCall) => ({ ...c, env: [...c.env!, 'UNIFI_API_KEY'] }),
      /UNIFI_API_KEY reaches dagger/,
    ],
    [
      'a ✗ Failed answer of the module (dagger exited 0)',
      (c: StubCall) => ({
        ...c,
        outcome: 'failed' as const,
        message: '✗ Failed: Terraform init failed',
      }),
      /answered failed: ✗ Failed/,
    ],
    [
      'a backend config file without the AWS keys',
      (c: StubCall) => ({
        ...c,
        backendConfigFile: { ...c.backendConfigFile!, credentials: false },
      }),
      /no access_key and secret_key/,
    ],
    [
      'a world-readable backend config file',
      (c: StubCall) => ({
        ...c,
        backendConfigFile: { ...c.backendConfigFile!, mode: '644' },
      }),
      /mode while dagger runs is 644/,
    ],
    [
      'Terraform left at "latest"',
      (c: StubCall) => ({
        ...c,
        argv: c.argv.filter(a => !a.startsWith('--terraform-version=')),
      }),
      /argv is/,
    ],
  ])('report %s', (_name, mutate, message) => {
    expect(daggerCallProblems(mutate(good()), r, 'deploy').join('\n')).toMatch(
      message,
    );
  });

  it('report a world-readable or unresolved backend.yaml in production (upstream defect 5)', () => {
    const prod = {
      ...r,
      params: parametersOf(canonicalValues.production),
    } as Rendered;
    const e = expectedDaggerCall(prod.params, 'deploy');
    const call: StubCall = {
      ...good(),
      argv: [
        ...e.head,
        ...e.flags.map(f => f.replace('<digits>', '1')),
        ...e.tail,
      ],
      backendYaml: { mode: '644', refs: 2 },
      secrets: {},
      env: [],
    };
    expect(daggerCallProblems(call, prod, 'deploy')).toEqual([
      'backend.yaml mode while dagger runs is 644, expected 600',
      'backend.yaml still holds 2 vals references while dagger runs',
    ]);
  });
});
