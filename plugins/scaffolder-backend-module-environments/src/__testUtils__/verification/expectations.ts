import { UPSTREAM_MODULE } from '../../kits/context';
import { normaliseMac } from '../../parameters/fieldRules';
import {
  EnvironmentParameters,
  ParameterInput,
  parseParameters,
} from '../../parameters/model';
import { secretReferences } from '../../secrets/references';
import { GLUE_FUNCTIONS } from '../standIns/glueModule';

/** The cache buster flag as {@link splitDaggerArgv} normalises it. */
export const CACHE_BUSTER = '--cache-buster=<digits>';

/**
 * What a rendered environment must contain, derived independently of the kits from the
 * parameter model: the dagger calls, the answers, the backend and secrets documents.
 */

/** Parses a matrix input the way the render action does; throws if the input is invalid. */
export function parametersOf(input: ParameterInput): EnvironmentParameters {
  const result = parseParameters(input);
  if (!result.success)
    throw new Error(`invalid matrix input: ${JSON.stringify(result.problems)}`);
  return result.parameters;
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/**
 * The `values` of `.environment-answers.yaml`: every form value, defaults filled in, no
 * secrets. skipTlsVerify is a development field and locking a production one; the other
 * environments fix them and have no such form field. A device records its aliases only when it
 * has any.
 */
export function expectedAnswers(
  p: EnvironmentParameters,
): Record<string, unknown> {
  const { targetPath: _targetPath, skipTlsVerify, locking, ...rest } = p;
  return withoutUndefined({
    ...rest,
    devices: p.devices.map(({ aliases, ...d }) => ({
      ...d,
      ...(aliases.length > 0 ? { aliases } : {}),
    })),
    ...(p.environment === 'development' ? { skipTlsVerify } : {}),
    ...(p.environment === 'production' ? { locking } : {}),
  });
}

export type DaggerFunction = 'deploy' | 'plan' | 'destroy';

/**
 * What a deploy, plan or destroy covers: everything, or one side through the module's
 * `--unifi-only` / `--cloudflare-only` flags (main.py: mutually exclusive; each side then runs
 * its own Terraform root module, unifi-dns or cloudflare-tunnel, instead of glue).
 */
export type Scope = 'full' | 'unifi' | 'cloudflare';

/** The two partial scopes every tier offers. */
export const PARTIAL_SCOPES = ['unifi', 'cloudflare'] as const;

/** The module flags of a scope: none for a full run, exactly one for a partial run. */
export function scopeFlags(scope: Scope): string[] {
  return scope === 'full' ? [] : [`--${scope}-only`];
}

/**
 * The S3 state key a run of `scope` must use: a partial run keeps its own state beside the full
 * one (`<stateKey minus .tfstate>.<scope>-only.tfstate`), because its root module's resource
 * addresses differ from glue's. Undefined in development (ephemeral state).
 */
export function stateKeyOf(
  p: EnvironmentParameters,
  scope: Scope,
): string | undefined {
  if (p.stateKey === undefined || scope === 'full') return p.stateKey;
  return `${p.stateKey.replace(/\.tfstate$/, '')}.${scope}-only.tfstate`;
}

/** A device of the parsed parameters. */
export type DeviceParameters = EnvironmentParameters['devices'][number];

/** The devices that get a Cloudflare Tunnel: those with a service published through it. */
export function tunnelDevices(p: EnvironmentParameters): DeviceParameters[] {
  return p.devices.filter(d =>
    d.services.some(s => s.distribution !== 'unifi_only'),
  );
}

/** The MAC address that keys a device's tunnel: its first, lower-case with colons. */
export function tunnelMacOf(d: DeviceParameters): string {
  return normaliseMac(d.macAddresses[0]);
}

/**
 * The flags every deploy, plan and destroy of unifi-cloudflare-glue v0.12.2 accepts
 * (src/main/main.py: the parameters of deploy(), plan() and destroy(), in kebab case).
 */
export const GLUE_FUNCTION_FLAGS = GLUE_FUNCTIONS.deploy;

/** The committed-or-rendered file each tier passes as --backend-config-file (none in development). */
export function backendConfigFile(
  p: EnvironmentParameters,
): string | undefined {
  if (p.environment === 'staging') return './backend.rendered.yaml';
  if (p.environment === 'production') return './backend.yaml';
  return undefined;
}

/** The state flags of every call of a tier: deploy and get-tunnel-secrets must use the same. */
export function stateFlags(p: EnvironmentParameters): string[] {
  const file = backendConfigFile(p);
  return file ? ['--backend-type=s3', `--backend-config-file=${file}`] : [];
}

/** The exact get-tunnel-secrets call a kit must make: same state flags as deploy, Terraform pinned. */
export function expectedTunnelCall(p: EnvironmentParameters): DaggerCall {
  return {
    head: [
      'call',
      '-m',
      `${UPSTREAM_MODULE}@${p.glueVersion}`,
      'get-tunnel-secrets',
    ],
    flags: [
      '--source=./kcl',
      '--cloudflare-token=env:CF_TOKEN',
      `--cloudflare-account-id=${p.cloudflareAccountId}`,
      `--zone-name=${p.zoneName}`,
      `--terraform-version=${p.terraformVersion}`,
      ...stateFlags(p),
      CACHE_BUSTER,
    ].sort(),
    tail: [],
  };
}

/** A dagger argv split into the call head, the function's flags and the chained tail. */
export interface DaggerCall {
  head: string[];
  /** Sorted; the cache buster's value is replaced by `<digits>` when it is all digits. */
  flags: string[];
  tail: string[];
}

/** Splits a recorded `dagger` argv (for comparison with {@link expectedDaggerCall}). */
export function splitDaggerArgv(argv: string[]): DaggerCall {
  const head = argv.slice(0, 4);
  const rest = argv.slice(4);
  const exportAt = rest.indexOf('export');
  const flags = exportAt === -1 ? rest : rest.slice(0, exportAt);
  const tail = exportAt === -1 ? [] : rest.slice(exportAt);
  return {
    head,
    flags: flags
      .map(f => (/^--cache-buster=[0-9]+$/.test(f) ? CACHE_BUSTER : f))
      .sort(),
    tail,
  };
}

/** The exact dagger call a kit must make for `fn` over `scope`. */
export function expectedDaggerCall(
  p: EnvironmentParameters,
  fn: DaggerFunction,
  scope: Scope = 'full',
): DaggerCall {
  const auth =
    p.unifiAuth === 'apiKey'
      ? ['--unifi-api-key=env:UNIFI_API_KEY']
      : [
          '--unifi-username=env:UNIFI_USERNAME',
          '--unifi-password=env:UNIFI_PASSWORD',
        ];
  // A partial run passes only its own side's URL and credentials (main.py checks only those),
  // so a Cloudflare-only run needs no UniFi credentials and a UniFi-only run no Cloudflare token.
  const unifi =
    scope === 'cloudflare'
      ? []
      : [`--unifi-url=https://${p.unifiHost}:${p.unifiPort}`, ...auth];
  // Development's TLS choice for the UniFi controller goes with every run that talks to UniFi.
  const insecure =
    p.environment === 'development' && p.skipTlsVerify && scope !== 'cloudflare'
      ? ['--unifi-insecure']
      : [];
  const cloudflare =
    scope === 'unifi'
      ? []
      : [
          '--cloudflare-token=env:CF_TOKEN',
          `--cloudflare-account-id=${p.cloudflareAccountId}`,
          `--zone-name=${p.zoneName}`,
        ];
  const flags = [
    '--kcl-source=./kcl',
    ...unifi,
    ...cloudflare,
    ...insecure,
    `--terraform-version=${p.terraformVersion}`,
    `--kcl-version=${p.kclVersion}`,
    ...scopeFlags(scope),
    ...stateFlags(p),
    CACHE_BUSTER,
  ];
  return {
    head: ['call', '-m', `${UPSTREAM_MODULE}@${p.glueVersion}`, fn],
    flags: flags.sort(),
    tail: fn === 'plan' ? ['export', '--path=./plan-output'] : [],
  };
}

/**
 * The environment variables dagger must receive: the Cloudflare token and the UniFi credentials
 * of the auth mode, or for a partial run those of its side only.
 */
export function secretVariables(
  p: EnvironmentParameters,
  scope: Scope = 'full',
): string[] {
  const unifi =
    p.unifiAuth === 'apiKey'
      ? ['UNIFI_API_KEY']
      : ['UNIFI_USERNAME', 'UNIFI_PASSWORD'];
  return [
    ...(scope === 'unifi' ? [] : ['CF_TOKEN']),
    ...(scope === 'cloudflare' ? [] : unifi),
  ];
}

/** The variables a developer's .env must set (development, staging): the secrets, and staging's AWS keys. */
export function requiredDotEnv(p: EnvironmentParameters): string[] {
  return [
    ...secretVariables(p),
    ...(p.environment === 'staging'
      ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']
      : []),
  ];
}

/** staging backend.yaml, parsed. */
export function expectedStagingBackend(
  p: EnvironmentParameters,
): Record<string, unknown> {
  return {
    bucket: p.stateBucket,
    key: p.stateKey,
    region: p.stateRegion,
    encrypt: true,
    use_lockfile: true,
  };
}

/** production backend.yaml.tmpl, parsed: vals references for everything but the key. */
export function expectedProductionBackendTemplate(
  p: EnvironmentParameters,
): Record<string, unknown> {
  const refs = Object.fromEntries(
    secretReferences(p)
      .filter(r => r.file === 'backend.yaml.tmpl')
      .map(r => [r.key, r.ref]),
  );
  return withoutUndefined({
    bucket: refs.bucket,
    key: p.stateKey,
    region: refs.region,
    encrypt: true,
    kms_key_id: refs.kms_key_id,
    dynamodb_table: p.locking === 'dynamodb' ? refs.dynamodb_table : undefined,
    use_lockfile: p.locking === 'lockfile' ? true : undefined,
    access_key: refs.access_key,
    secret_key: refs.secret_key,
  });
}

/** production secrets.vals.yaml, parsed. */
export function expectedSecretsTemplate(
  p: EnvironmentParameters,
): Record<string, string> {
  return Object.fromEntries(
    secretReferences(p)
      .filter(r => r.file === 'secrets.vals.yaml')
      .map(r => [r.key, r.ref]),
  );
}

/** The state backend annotation's value. */
function stateBackend(p: EnvironmentParameters): string {
  if (p.environment === 'development') return 'ephemeral';
  return p.locking === 'dynamodb' ? 's3-dynamodb' : 's3-lockfile';
}

/** The catalog annotations the form determines. */
export function expectedAnnotations(
  p: EnvironmentParameters,
  template: { name: string; version: string },
): Record<string, string> {
  return {
    'backstage.io/techdocs-ref': 'dir:.',
    'unifi-cloudflare-glue.io/environment-tier': p.environment,
    'unifi-cloudflare-glue.io/state-backend': stateBackend(p),
    'unifi-cloudflare-glue.io/secrets-model':
      p.environment === 'production' ? '1password-vals' : 'env-file',
    'unifi-cloudflare-glue.io/zone': p.zoneName,
    'unifi-cloudflare-glue.io/glue-version': p.glueVersion,
    'unifi-cloudflare-glue.io/template': template.name,
    'unifi-cloudflare-glue.io/template-version': template.version,
    // Lineage, as Backstage's scaffolder relation processor reads it.
    'backstage.io/template-version': template.version,
  };
}
