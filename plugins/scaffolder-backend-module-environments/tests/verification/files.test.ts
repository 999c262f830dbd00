import { resourceEntityV1alpha1Validator } from '@backstage/catalog-model';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, parseDocument } from 'yaml';
import { repositoryUrl } from '../../src/kits/context';
import { kitManifest } from '../../src/kits/manifest';
import { normaliseMac } from '../../src/parameters/fieldRules';
import { MAX_DEVICES, tunnelNameOf } from '../../src/parameters/model';
import { startScaffolderBackend } from '../../src/__testUtils__/backend';
import { catalogEntityPolicy } from '../../src/__testUtils__/catalogPolicy';
import { canonicalValues } from '../../src/__testUtils__/values';
import {
  expectedAnnotations,
  expectedAnswers,
  expectedProductionBackendTemplate,
  expectedSecretsTemplate,
  expectedStagingBackend,
  tunnelDevices,
  tunnelMacOf,
} from '../../src/__testUtils__/verification/expectations';
import { StubbedRunner } from '../../src/__testUtils__/verification/stubbedRunner';
import {
  checkKclMain,
  checkKclMod,
  NORMALISED_MAC,
} from '../../src/__testUtils__/standIns/kclChecker';
import {
  buildMatrix,
  TRICKY_DESCRIPTIONS,
} from '../../src/__testUtils__/verification/matrix';
import { run } from '../../src/__testUtils__/processes';
import {
  Backend,
  dryRunFiles,
  makeWorkRoot,
  Rendered,
  renderMatrix,
} from '../../src/__testUtils__/verification/renders';
import { Stubs, valsFake } from '../../src/__testUtils__/standIns/stubs';
import { PACKAGE_DIR } from '../../src/__testUtils__/paths';

/**
 * Every file of every matrix render, checked by real parsers and tools: the `yaml` package,
 * @backstage/catalog-model, git check-ignore, and the KCL structural checker.
 */

jest.setTimeout(120_000);

const cases = buildMatrix();
const YAML_FILES = [
  'catalog-info.yaml',
  '.environment-answers.yaml',
  'mkdocs.yml',
  'backend.yaml',
  'backend.yaml.tmpl',
  'secrets.vals.yaml',
];

const policy = catalogEntityPolicy;

let backend: Backend;
let work: Awaited<ReturnType<typeof makeWorkRoot>>;
let stubs: Stubs;
let kitVersion: string;
const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  backend = await startScaffolderBackend();
  work = await makeWorkRoot('files');
  stubs = await Stubs.create(path.join(work.root, 'stubs'));
  kitVersion = JSON.parse(
    await readFile(path.join(PACKAGE_DIR, 'package.json'), 'utf8'),
  ).version;
  for (const r of await renderMatrix(
    backend,
    cases,
    path.join(work.root, 'renders'),
  ))
    rendered.set(r.case.id, r);
});

afterAll(async () => {
  await backend?.stop();
  await work?.cleanup();
});

const gitEnv = (home: string) => ({
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LANG: 'C.UTF-8',
});

/** Which of `paths` git ignores in `dir` (a fresh repository), by the rendered .gitignore only. */
async function ignoredPaths(
  dir: string,
  paths: string[],
  ignoreCase: boolean,
): Promise<Set<string>> {
  const env = gitEnv(dir);
  const init = await run('git', ['init', '-q', dir], { cwd: dir, env });
  if (init.code !== 0) throw new Error(`git init failed: ${init.stderr}`);
  const result = await run(
    'git',
    [
      '-c',
      `core.ignorecase=${ignoreCase}`,
      '-c',
      'core.excludesFile=/dev/null',
      'check-ignore',
      '--no-index',
      '-v',
      '-n',
      '--stdin',
    ],
    { cwd: dir, env, input: `${paths.join('\n')}\n` },
  );
  if (result.code !== 0 && result.code !== 1)
    throw new Error(`git check-ignore failed: ${result.stderr}`);
  const ignored = new Set<string>();
  for (const line of result.stdout.split('\n').filter(Boolean)) {
    // source:line:pattern<TAB>path; "::<TAB>path" when nothing matched; a "!" pattern re-includes.
    const [match, file] = line.split('\t');
    const pattern = match.split(':').slice(2).join(':');
    if (pattern !== '' && !pattern.startsWith('!')) ignored.add(file);
  }
  return ignored;
}

describe.each(cases.map(c => [c.id, c] as const))('%s', (id, matrixCase) => {
  const r = () => rendered.get(id)!;
  const environment = matrixCase.environment;
  const yaml = (file: string) => parse(r().files.get(file)!);

  it('renders exactly the files of the kit manifest, none of them empty', () => {
    expect([...r().files.keys()].sort()).toEqual(
      kitManifest[environment].map(f => f.path).sort(),
    );
    for (const [file, text] of r().files)
      expect({ file, empty: text.trim() === '' }).toEqual({
        file,
        empty: false,
      });
  });

  it('every YAML file parses with the yaml package, without errors or warnings', () => {
    const present = YAML_FILES.filter(f => r().files.has(f));
    expect(present.length).toBeGreaterThanOrEqual(
      environment === 'development' ? 3 : 4,
    );
    for (const file of present) {
      const doc = parseDocument(r().files.get(file)!, {
        strict: true,
        uniqueKeys: true,
      });
      expect({
        file,
        errors: doc.errors.map(e => e.message),
        warnings: doc.warnings.map(w => w.message),
      }).toEqual({ file, errors: [], warnings: [] });
    }
  });

  it('.environment-answers.yaml round-trips: its values deep-equal the form values with defaults', () => {
    const answers = yaml('.environment-answers.yaml');
    expect(answers.templateVersion).toBe(kitVersion);
    expect(answers.values).toEqual(expectedAnswers(r().params));
    expect(typeof answers.values.description).toBe(
      r().params.description === undefined ? 'undefined' : 'string',
    );
  });

  it('catalog-info.yaml passes @backstage/catalog-model validation and matches the form', async () => {
    const p = r().params;
    const entity = yaml('catalog-info.yaml');
    await expect(policy.enforce(entity)).resolves.toBeDefined();
    await expect(resourceEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
    expect(entity.kind).toBe('Resource');
    expect(entity.metadata.name).toBe(p.name);
    expect(entity.metadata.description).toBe(
      p.description ??
        `unifi-cloudflare-glue ${environment} environment for ${p.zoneName}`,
    );
    expect(entity.metadata.tags).toContain(environment);
    // The template name (in scaffoldedFrom and the annotations) is checked separately below
    // (a known dry-run bug); here it must only be the same in both places.
    expect(entity.spec).toEqual({
      type: 'environment',
      owner: p.owner,
      ...(p.system ? { system: p.system } : {}),
      scaffoldedFrom:
        entity.metadata.annotations['unifi-cloudflare-glue.io/template'],
    });
    const annotations = expectedAnnotations(p, {
      name: entity.metadata.annotations['unifi-cloudflare-glue.io/template'],
      version: kitVersion,
    });
    expect(entity.metadata.annotations).toMatchObject(annotations);
    // With a repository, the entity links to it and names it as its source.
    const repo = repositoryUrl(p.repoUrl);
    expect({
      linked:
        !repo ||
        entity.metadata.links?.some((l: { url: string }) => l.url === repo),
      sourceLocation: repo
        ? entity.metadata.annotations['backstage.io/source-location']
        : undefined,
    }).toEqual({
      linked: true,
      sourceLocation: repo ? `url:${repo}/` : undefined,
    });
  });

  it('mkdocs.yml parses, names the environment, and its nav pages exist under docs/', () => {
    const mkdocs = yaml('mkdocs.yml');
    expect(mkdocs.site_name).toContain(r().params.name);
    const pages = (mkdocs.nav as Record<string, string>[]).flatMap(entry =>
      Object.values(entry),
    );
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) expect(r().files.has(`docs/${page}`)).toBe(true);
  });

  if (environment === 'staging') {
    it('backend.yaml holds exactly the S3 bucket, key, region, encryption and lockfile from the form', () => {
      expect(yaml('backend.yaml')).toEqual(expectedStagingBackend(r().params));
    });
  }

  if (environment === 'production') {
    it('backend.yaml.tmpl holds the state key and vals references of the chosen provider for everything else', () => {
      expect(yaml('backend.yaml.tmpl')).toEqual(
        expectedProductionBackendTemplate(r().params),
      );
    });

    it('secrets.vals.yaml holds exactly the Cloudflare token and the UniFi credentials of the auth mode, as vals references', () => {
      expect(yaml('secrets.vals.yaml')).toEqual(
        expectedSecretsTemplate(r().params),
      );
    });

    it('the backend.yaml that vals eval renders parses and holds resolved values only', async () => {
      const result = await run('vals', ['eval', '-f', 'backend.yaml.tmpl'], {
        cwd: r().dir,
        env: stubs.env(StubbedRunner.vaultAccess(r())),
      });
      expect(result.code).toBe(0);
      const backendYaml = parse(result.stdout);
      const template = expectedProductionBackendTemplate(r().params);
      expect(Object.keys(backendYaml).sort()).toEqual(
        Object.keys(template).sort(),
      );
      // A vals reference becomes the stub's value for its field; anything else stays as it is.
      const resolved = Object.fromEntries(
        Object.entries(template).map(([key, value]) => [
          key,
          typeof value === 'string' && value.startsWith('ref+')
            ? valsFake(value.split('/').pop()!)
            : value,
        ]),
      );
      expect(backendYaml).toEqual(resolved);
      expect(
        result.stdout
          .split('\n')
          .filter(l => !l.trimStart().startsWith('#'))
          .join('\n'),
      ).not.toContain('ref+');
    });

    it('.env.example names no secret variable (secrets come from 1Password)', () => {
      expect(r().files.get('.env.example')).not.toMatch(
        /^\s*(export\s+)?(CF_TOKEN|UNIFI_[A-Z_]+|AWS_[A-Z_]+|OP_SERVICE_ACCOUNT_TOKEN|OP_CONNECT_TOKEN)\s*=/m,
      );
    });
  }

  it('git check-ignore: .env and plan-output/ are ignored, every rendered file is tracked (also case-insensitively)', async () => {
    const files = [...r().files.keys()];
    const extra = [
      '.env',
      '.env.local',
      'plan-output/x',
      'backend.yaml',
      'backend.rendered.yaml',
    ];
    for (const ignoreCase of [false, true]) {
      const ignored = await ignoredPaths(
        r().dir,
        [...files, ...extra.filter(f => !files.includes(f))],
        ignoreCase,
      );
      for (const file of files)
        expect({ file, ignoreCase, ignored: ignored.has(file) }).toEqual({
          file,
          ignoreCase,
          ignored: false,
        });
      expect({
        ignoreCase,
        env: ignored.has('.env'),
        envLocal: ignored.has('.env.local'),
        plan: ignored.has('plan-output/x'),
      }).toEqual({
        ignoreCase,
        env: true,
        envLocal: true,
        plan: true,
      });
      // The files that hold the state's secrets for one run: production's backend.yaml, staging's backend.rendered.yaml.
      expect({
        ignoreCase,
        backendYaml: ignored.has('backend.yaml'),
        rendered: ignored.has('backend.rendered.yaml'),
      }).toEqual({
        ignoreCase,
        backendYaml: environment === 'production',
        rendered: environment === 'staging',
      });
    }
  });

  it('kcl/main.k passes the structural checker', () => {
    const { problems, schemasUsed } = checkKclMain(
      r().files.get('kcl/main.k')!,
      {
        zoneName: r().params.zoneName,
        internalDomain: r().params.internalDomain,
      },
    );
    expect(problems).toEqual([]);
    const tunnel = tunnelDevices(r().params).length > 0;
    expect({
      CloudflareTunnel: schemasUsed.has('CloudflareTunnel'),
      TunnelService: schemasUsed.has('TunnelService'),
    }).toEqual({
      CloudflareTunnel: tunnel,
      TunnelService: tunnel,
    });
  });

  it('kcl/main.k holds the form: one UniFiEntity per device with an endpoint per MAC, its aliases and services; the controller', () => {
    const p = r().params;
    const { values } = checkKclMain(r().files.get('kcl/main.k')!);
    const deref = (x: any) =>
      x && typeof x === 'object' && '__ref' in x ? values[x.__ref] : x;
    const unifi = values.unifi_config as any;
    expect(unifi).toMatchObject({
      __schema: 'UniFiConfig',
      default_domain: p.internalDomain,
    });
    // devices = [_nas, ...] or devices = _devices (a list of instances): either reads the same.
    const entities = (deref(unifi.devices) as unknown[]).map(deref);
    expect(entities.map((e: any) => e?.friendly_hostname)).toEqual(
      p.devices.map(d => d.hostname),
    );
    p.devices.forEach((d, i) => {
      const aliases = (d.aliases ?? []).map(a => `${a}.${p.internalDomain}`);
      // Exactly these attributes: a stray service_cnames = [] or a lost alias both show.
      expect({ device: d.hostname, entity: entities[i] }).toEqual({
        device: d.hostname,
        entity: {
          __schema: 'UniFiEntity',
          friendly_hostname: d.hostname,
          domain: p.internalDomain,
          unifi_site: p.unifiSite,
          endpoints: d.macAddresses.map(mac => ({
            __schema: 'UniFiEndpoint',
            mac_address: normaliseMac(mac),
            query_unifi: true,
          })),
          ...(aliases.length > 0 ? { service_cnames: aliases } : {}),
          services: d.services.map(s => ({
            __schema: 'Service',
            name: s.name,
            port: s.port,
            protocol: s.protocol,
            distribution: s.distribution,
            internal_hostname: `${s.name}.${p.internalDomain}`,
            ...(s.distribution === 'unifi_only'
              ? {}
              : { public_hostname: s.publicHostname }),
          })),
        },
      });
    });
    // Every MAC once in the whole file, normalised: the upstream generator keys NICs by it.
    const endpointMacs = entities.flatMap((e: any) =>
      e.endpoints.map((x: any) => x.mac_address),
    );
    expect(new Set(endpointMacs).size).toBe(endpointMacs.length);
    expect(endpointMacs.every((m: string) => NORMALISED_MAC.test(m))).toBe(
      true,
    );
    expect(unifi.unifi_controller).toMatchObject({
      __schema: 'UniFiController',
      host: p.unifiHost,
      port: p.unifiPort,
    });
  });

  it('kcl/main.k holds one tunnel per device that publishes a service, keyed by its first MAC, with the TLS check each service chose', () => {
    const p = r().params;
    const { values } = checkKclMain(r().files.get('kcl/main.k')!);
    const deref = (x: any) =>
      x && typeof x === 'object' && '__ref' in x ? values[x.__ref] : x;
    const cloudflare = values.cloudflare_config as any;
    expect(cloudflare).toMatchObject({
      __schema: 'CloudflareConfig',
      zone_name: p.zoneName,
      account_id: p.cloudflareAccountId,
    });
    const devices = tunnelDevices(p);
    // A device with local services only gets no tunnel.
    expect(Object.keys(cloudflare.tunnels)).toEqual(devices.map(tunnelMacOf));
    for (const d of devices) {
      const tunnel = deref(cloudflare.tunnels[tunnelMacOf(d)]);
      expect({ device: d.hostname, tunnel: tunnel.tunnel_name }).toEqual({
        device: d.hostname,
        tunnel: tunnelNameOf(p.name, d.hostname),
      });
      expect(tunnel.mac_address).toBe(tunnelMacOf(d));
      expect(tunnel.tunnel_name).toMatch(
        /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
      );
      expect({
        device: d.hostname,
        services: tunnel.services.map((t: any) => ({
          ...t,
          no_tls_verify: t.no_tls_verify ?? false,
        })),
      }).toEqual({
        device: d.hostname,
        services: d.services
          .filter(s => s.distribution !== 'unifi_only')
          .map(s => ({
            __schema: 'TunnelService',
            public_hostname: s.publicHostname,
            // cloudflare_only services have no local name of their own: through the device.
            local_service_url: `${s.protocol}://${s.distribution === 'cloudflare_only' ? d.hostname : s.name}.${p.internalDomain}:${s.port}`,
            // Development may skip every origin's check (skipTlsVerify); otherwise only the
            // services that chose it skip theirs.
            no_tls_verify: s.noTlsVerify || p.skipTlsVerify,
          })),
      });
    }
    const names = devices.map(d => tunnelNameOf(p.name, d.hostname));
    expect(new Set(names).size).toBe(names.length);
  });

  it('kcl/kcl.mod sits in kcl/ beside main.k and pins glueVersion', () => {
    expect(r().files.has('kcl/kcl.mod') && r().files.has('kcl/main.k')).toBe(
      true,
    );
    expect(r().files.has('kcl.mod')).toBe(false);
    expect(
      checkKclMod(r().files.get('kcl/kcl.mod')!, r().params.glueVersion),
    ).toEqual([]);
  });
});

describe('descriptions that YAML would retype stay strings, byte for byte', () => {
  it.each(TRICKY_DESCRIPTIONS.map(d => [JSON.stringify(d), d] as const))(
    '%s',
    async (_label, description) => {
      const files = await dryRunFiles(backend, 'development', {
        ...canonicalValues.development,
        description,
      });
      const answers = parse(
        files.get('.environment-answers.yaml')!.toString('utf8'),
      );
      const entity = parse(files.get('catalog-info.yaml')!.toString('utf8'));
      expect(answers.values.description).toBe(description);
      expect(entity.metadata.description).toBe(description);
      await expect(policy.enforce(entity)).resolves.toBeDefined();
    },
  );
});

describe('template identity', () => {
  // The dry-run API reports every template as "template:default/dry-run"; the render action
  // names the template from its entity metadata instead.
  it('catalog-info.yaml names the template that rendered it, also in a dry-run', () => {
    for (const r of rendered.values()) {
      const entity = parse(r.files.get('catalog-info.yaml')!);
      expect(
        entity.metadata.annotations['unifi-cloudflare-glue.io/template'],
      ).toBe(`template:default/${r.params.environment}-environment`);
    }
  });
});

describe('devices in kcl/main.k, as written', () => {
  const count = (text: string, pattern: RegExp) =>
    (text.match(pattern) ?? []).length;

  it('the matrix has three devices, the maximum of devices and a device without a tunnel', () => {
    const all = [...rendered.values()].map(r => r.params);
    expect({
      three: all.some(p => p.devices.length === 3),
      max: all.some(p => p.devices.length === MAX_DEVICES),
      withoutTunnel: all.some(
        p =>
          tunnelDevices(p).length > 0 &&
          tunnelDevices(p).length < p.devices.length,
      ),
      severalMacs: all.some(p =>
        p.devices.some(d => d.macAddresses.length > 1),
      ),
      aliases: all.some(p => p.devices.some(d => (d.aliases ?? []).length > 0)),
    }).toEqual({
      three: true,
      max: true,
      withoutTunnel: true,
      severalMacs: true,
      aliases: true,
    });
  });

  it('one UniFiEntity per device, one UniFiEndpoint per MAC, one CloudflareTunnel per device with a public service', () => {
    for (const r of rendered.values()) {
      const text = r.files.get('kcl/main.k')!;
      const p = r.params;
      expect({
        id: r.case.id,
        entities: count(text, /\.UniFiEntity\s*\{/g),
        endpoints: count(text, /\.UniFiEndpoint\s*\{/g),
        tunnels: count(text, /\.CloudflareTunnel\s*\{/g),
      }).toEqual({
        id: r.case.id,
        entities: p.devices.length,
        endpoints: p.devices.flatMap(d => d.macAddresses).length,
        tunnels: tunnelDevices(p).length,
      });
    }
  });

  it('no_tls_verify = True exactly as often as services chose it, where origins are verified by default', () => {
    const verified = [...rendered.values()].filter(
      r => !r.params.skipTlsVerify,
    );
    for (const r of verified) {
      const chosen = r.params.devices
        .flatMap(d => d.services)
        .filter(s => s.noTlsVerify).length;
      expect({
        id: r.case.id,
        written: count(
          r.files.get('kcl/main.k')!,
          /^\s*no_tls_verify = True$/gm,
        ),
      }).toEqual({ id: r.case.id, written: chosen });
    }
    // Not vacuous: renders in every tier where some services chose it and others did not.
    expect(
      new Set(
        verified
          .filter(r =>
            /^\s*no_tls_verify = True$/m.test(r.files.get('kcl/main.k')!),
          )
          .map(r => r.params.environment),
      ),
    ).toEqual(new Set(['development', 'staging', 'production']));
  });
});

describe('internal domains the module accepts', () => {
  // The upstream KCL checks want a last label of two or more characters; the rule says so too.
  it('an internal domain is either rejected by the form or renders a main.k the module accepts', async () => {
    const input = { ...canonicalValues.development, internalDomain: 'home.x' };
    const outcome = await dryRunFiles(backend, 'development', input).then(
      files => {
        const { problems } = checkKclMain(
          files.get('kcl/main.k')!.toString('utf8'),
        );
        return problems.length === 0
          ? 'rendered a main.k the module accepts'
          : `main.k problems: ${problems.join('; ')}`;
      },
      error =>
        /internalDomain|answered 400/.test(String(error))
          ? 'rejected by the form'
          : `failed: ${error}`,
    );
    expect([
      'rejected by the form',
      'rendered a main.k the module accepts',
    ]).toContain(outcome);
  });
});
