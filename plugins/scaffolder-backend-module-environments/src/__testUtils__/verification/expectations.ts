import { UPSTREAM_MODULE } from '../../kits/context';
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
 * environments fix them and have no such form field.
 */
export function expectedAnswers(
  p: EnvironmentParameters,
): Record<string, unknown> {
  const { targetPath: _targetPath, skipTlsVerify, locking, ...rest } = p;
  return withoutUndefined({
    ...rest,
    ...(p.environment === 'development' ? { skipTlsVerify } : {}),
    ...(p.environment === 'production' ? { locking } : {}),
  });
}

export type DaggerFunction = 'deploy' | 'plan' | 'destroy';

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

/** The exact dagger call a kit must make for `fn`. */
export function expectedDaggerCall(
  p: EnvironmentParameters,
  fn: DaggerFunction,
): DaggerCall {
  const auth =
    p.unifiAuth === 'apiKey'
      ? ['--unifi-api-key=env:UNIFI_API_KEY']
      : [
          '--unifi-username=env:UNIFI_USERNAME',
          '--unifi-password=env:UNIFI_PASSWORD',
        ];
  const flags = [
    '--kcl-source=./kcl',
    `--unifi-url=https://${p.unifiHost}:${p.unifiPort}`,
    ...auth,
    '--cloudflare-token=env:CF_TOKEN',
    `--cloudflare-account-id=${p.cloudflareAccountId}`,
    `--zone-name=${p.zoneName}`,
    ...(p.environment === 'development' && p.skipTlsVerify
      ? ['--unifi-insecure']
      : []),
    `--terraform-version=${p.terraformVersion}`,
    `--kcl-version=${p.kclVersion}`,
    ...stateFlags(p),
    CACHE_BUSTER,
  ];
  return {
    head: ['call', '-m', `${UPSTREAM_MODULE}@${p.glueVersion}`, fn],
    flags: flags.sort(),
    tail: fn === 'plan' ? ['export', '--path=./plan-output'] : [],
  };
}

/** The environment variables dagger must receive: the Cloudflare token and the UniFi credentials. */
export function secretVariables(p: EnvironmentParameters): string[] {
  return [
    'CF_TOKEN',
    ...(p.unifiAuth === 'apiKey'
      ? ['UNIFI_API_KEY']
      : ['UNIFI_USERNAME', 'UNIFI_PASSWORD']),
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
