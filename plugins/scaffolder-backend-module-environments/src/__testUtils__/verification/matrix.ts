import {
  DISTRIBUTIONS,
  Environment,
  MAX_SERVICES,
  ParameterInput,
  PROTOCOLS,
} from '../../parameters/model';
import { canonicalValues } from '../values';

/** One render of the verification matrix. */
export interface MatrixCase {
  /** Stable, readable id; also the render's directory name. */
  id: string;
  environment: Environment;
  /** The render action's input (the form values plus `environment`). */
  input: ParameterInput;
}

type Service = ParameterInput['services'][number];

/**
 * YAML scalars that a careless writer turns into booleans, numbers, null or mappings; each
 * matrix case carries one as its description, and the answers file must keep it a string.
 */
export const TRICKY_DESCRIPTIONS = [
  'no',
  'on',
  '1e3',
  '0o17',
  '~',
  'null',
  'yes: no',
  'yes',
  'true',
  '0x1F',
  '.inf',
  '- item',
  '#hash',
  "'single quoted'",
  '"double quoted"',
  '@at *star &anchor !tag %percent',
  '[1, 2]',
  '{a: 1}',
  '2001-01-01',
  '08',
  'café ☕ ünïcödé',
  ' leading and trailing spaces ',
  `it's "quoted" $(id) \`id\` {{ 7*7 }} \${{ parameters.name }} # not a comment`,
] as const;

/** A DNS label of exactly 63 characters starting with `prefix`. */
export function label63(prefix: string): string {
  const label = `${prefix}-${'x'.repeat(63)}`.slice(0, 63);
  return label;
}

/**
 * Seven services: every distribution with every protocol it can carry (tcp only in local DNS:
 * the module's tunnel origins are http and https only), ports from 1 to 65535.
 */
export function everyDistributionAndProtocol(zone: string): Service[] {
  const ports = [1, 80, 443, 8080, 8443, 9000, 65535];
  const services: Service[] = [];
  for (const distribution of DISTRIBUTIONS) {
    for (const protocol of PROTOCOLS) {
      if (protocol === 'tcp' && distribution !== 'unifi_only') continue;
      const name = `${distribution.replace(/_/g, '-')}-${protocol}`;
      services.push({
        name,
        port: ports[services.length],
        protocol,
        distribution,
        ...(distribution === 'unifi_only'
          ? {}
          : { publicHostname: `${name}.${zone}` }),
      });
    }
  }
  return services;
}

/** The maximum number of services, cycling through distributions and protocols. */
export function maxServices(zone: string): Service[] {
  return Array.from({ length: MAX_SERVICES }, (_, i) => {
    const name = `svc-${String(i + 1).padStart(2, '0')}`;
    const distribution = DISTRIBUTIONS[i % DISTRIBUTIONS.length];
    return {
      name,
      port: 10000 + i,
      protocol: PROTOCOLS[(i + 1) % PROTOCOLS.length],
      distribution,
      ...(distribution === 'unifi_only'
        ? {}
        : { publicHostname: `${name}.${zone}` }),
    };
  });
}

/** 63-character service names; the first is published at the zone apex. */
export function longLabelServices(zone: string): Service[] {
  return [
    {
      name: label63('apex-service'),
      port: 443,
      protocol: 'https',
      distribution: 'both',
      publicHostname: zone,
    },
    {
      name: label63('long-service'),
      port: 8080,
      protocol: 'http',
      distribution: 'cloudflare_only',
      publicHostname: `${label63('public')}.${zone}`,
    },
    {
      name: label63('local-service'),
      port: 22,
      protocol: 'tcp',
      distribution: 'unifi_only',
    },
  ];
}

const ACCOUNT = 'fedcba9876543210fedcba9876543210';

function common(
  name: string,
  zone: string,
  description: string | undefined,
): Partial<ParameterInput> {
  return {
    name,
    owner: 'group:default/platform-team',
    ...(description === undefined ? {} : { description }),
    repoUrl: `github.com?owner=acme&repo=${name}`,
    publishTarget: 'github',
    zoneName: zone,
    cloudflareAccountId: ACCOUNT,
    unifiHost: 'unifi.home.example',
  } as Partial<ParameterInput>;
}

/**
 * The verification matrix: environment x UniFi auth x locking x secrets provider x service
 * mixes (one service, every distribution and protocol, the maximum of 20, 63-character labels
 * with a publicHostname at the zone apex, only local services), KMS key present and absent,
 * plus the canonical value sets: 20 renders (7 development, 6 staging, 7 production).
 */
export function buildMatrix(): MatrixCase[] {
  const d = [...TRICKY_DESCRIPTIONS];
  const next = () => d.shift()!;
  const cases: MatrixCase[] = [
    // development
    {
      id: 'development-canonical',
      environment: 'development',
      input: canonicalValues.development,
    },
    {
      id: 'development-password-verify-tls-one-service',
      environment: 'development',
      input: {
        ...common('dev-one', 'example.org', next()),
        environment: 'development',
        glueVersion: 'v0.13.0',
        terraformVersion: '1.9.8',
        kclVersion: 'v0.12.3',
        unifiHost: '10.0.0.1',
        unifiPort: 8443,
        unifiAuth: 'usernamePassword',
        skipTlsVerify: false,
        deviceHostname: 'nas',
        deviceMac: 'AABBCCDDEEFF',
        services: [
          {
            name: 'web',
            port: 80,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'www.example.org',
          },
        ],
      } as ParameterInput,
    },
    {
      id: 'development-every-distribution-protocol',
      environment: 'development',
      input: {
        ...common('dev-mix', 'dev.example.net', next()),
        environment: 'development',
        internalDomain: 'home.arpa',
        deviceHostname: 'box',
        deviceMac: '02-00-5E-10-00-01',
        services: everyDistributionAndProtocol('dev.example.net'),
      } as ParameterInput,
    },
    {
      id: 'development-max-services',
      environment: 'development',
      input: {
        ...common('dev-max', 'example.net', next()),
        environment: 'development',
        unifiAuth: 'usernamePassword',
        deviceHostname: 'rack',
        deviceMac: '02:00:5e:10:00:02',
        services: maxServices('example.net'),
      } as ParameterInput,
    },
    {
      id: 'development-long-labels-apex',
      environment: 'development',
      input: {
        ...common(label63('dev-long'), 'example.io', next()),
        environment: 'development',
        deviceHostname: label63('device'),
        deviceMac: '02:00:5e:10:00:03',
        services: longLabelServices('example.io'),
      } as ParameterInput,
    },
    {
      id: 'development-local-only',
      environment: 'development',
      input: {
        ...common('dev-local', 'example.com', next()),
        environment: 'development',
        deviceHostname: 'printer-host',
        deviceMac: '02:00:5e:10:00:04',
        services: [
          {
            name: 'cups',
            port: 631,
            protocol: 'http',
            distribution: 'unifi_only',
          },
        ],
      } as ParameterInput,
    },
    {
      id: 'development-hostile-description',
      environment: 'development',
      input: {
        ...canonicalValues.development,
        description: TRICKY_DESCRIPTIONS[TRICKY_DESCRIPTIONS.length - 1],
      },
    },

    // staging: always the S3 lockfile
    {
      id: 'staging-canonical',
      environment: 'staging',
      input: canonicalValues.staging,
    },
    {
      id: 'staging-api-key-custom-state-key',
      environment: 'staging',
      input: {
        ...common('stg-key', 'stg.example.com', next()),
        environment: 'staging',
        deviceHostname: 'edge',
        deviceMac: '02:00:5e:20:00:01',
        services: [
          {
            name: 'status',
            port: 8443,
            protocol: 'https',
            distribution: 'cloudflare_only',
            publicHostname: 'status.stg.example.com',
          },
        ],
        stateBucket: 'acme.state.bucket',
        stateRegion: 'us-gov-west-1',
        stateKey: 'envs/staging/dns_v2.tfstate',
        terraformVersion: '1.10.5',
        kclVersion: 'v0.11.0',
      } as ParameterInput,
    },
    {
      id: 'staging-every-distribution-protocol',
      environment: 'staging',
      input: {
        ...common('stg-mix', 'example.dev', next()),
        environment: 'staging',
        unifiAuth: 'usernamePassword',
        unifiPort: 1,
        deviceHostname: 'box',
        deviceMac: '02:00:5e:20:00:02',
        services: everyDistributionAndProtocol('example.dev'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-west-1',
      } as ParameterInput,
    },
    {
      id: 'staging-max-services',
      environment: 'staging',
      input: {
        ...common('stg-max', 'example.net', next()),
        environment: 'staging',
        unifiPort: 65535,
        deviceHostname: 'rack',
        deviceMac: '02:00:5e:20:00:03',
        services: maxServices('example.net'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'ap-southeast-2',
      } as ParameterInput,
    },
    {
      id: 'staging-long-labels-apex',
      environment: 'staging',
      input: {
        ...common(label63('stg-long'), 'example.io', next()),
        environment: 'staging',
        unifiAuth: 'usernamePassword',
        deviceHostname: label63('device'),
        deviceMac: '02:00:5e:20:00:04',
        services: longLabelServices('example.io'),
        stateBucket: 'abc',
        stateRegion: 'eu-central-1',
      } as ParameterInput,
    },
    {
      id: 'staging-minimal-no-description',
      environment: 'staging',
      input: {
        ...common('stg-min', 'example.com', undefined),
        environment: 'staging',
        deviceHostname: 'edge',
        deviceMac: '02:00:5e:20:00:05',
        services: [
          {
            name: 'api',
            port: 3000,
            distribution: 'both',
            publicHostname: 'api.example.com',
          },
        ],
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
      } as ParameterInput,
    },

    // production: dynamodb or lockfile, op or onepasswordconnect, KMS key or none
    {
      id: 'production-canonical',
      environment: 'production',
      input: canonicalValues.production,
    },
    {
      id: 'production-lockfile-password-no-kms-op',
      environment: 'production',
      input: {
        ...common('prod-lock', 'example.org', next()),
        environment: 'production',
        unifiAuth: 'usernamePassword',
        deviceHostname: 'nas',
        deviceMac: '02:00:5e:30:00:01',
        services: [
          {
            name: 'web',
            port: 80,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'web.example.org',
          },
        ],
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'lockfile',
        secretsProvider: 'op',
        vault: 'Infra',
      } as ParameterInput,
    },
    {
      id: 'production-connect-dynamodb-no-kms-password',
      environment: 'production',
      input: {
        ...common('prod-connect', 'example.org', next()),
        environment: 'production',
        unifiAuth: 'usernamePassword',
        deviceHostname: 'nas',
        deviceMac: '02-00-5E-30-00-02',
        services: [
          {
            name: 'web',
            port: 443,
            protocol: 'https',
            distribution: 'cloudflare_only',
            publicHostname: 'web.example.org',
          },
        ],
        stateBucket: 'acme-terraform-state',
        stateRegion: 'us-east-1',
        locking: 'dynamodb',
        dynamodbTable: 'tf_locks.v2',
        terraformVersion: '1.12.1',
        kclVersion: 'v0.12.3',
        secretsProvider: 'onepasswordconnect',
        vault: 'Prod-Vault-1',
      } as ParameterInput,
    },
    {
      id: 'production-connect-lockfile-kms-alias-api-key-custom-items',
      environment: 'production',
      input: {
        ...common('prod-items', 'example.org', next()),
        environment: 'production',
        deviceHostname: 'nas',
        deviceMac: '020000000003',
        services: [
          {
            name: 'web',
            port: 8080,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'example.org',
          },
        ],
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'lockfile',
        kmsKeyId: 'arn:aws:kms:eu-central-1:123456789012:alias/terraform/state',
        secretsProvider: 'onepasswordconnect',
        vault: 'Infrastructure',
        cloudflareItem: 'cf.api-token',
        unifiItem: 'unifi_controller',
        stateItem: 'tf-state',
      } as ParameterInput,
    },
    {
      id: 'production-every-distribution-protocol',
      environment: 'production',
      input: {
        ...common('prod-mix', 'prod.example.com', next()),
        environment: 'production',
        unifiAuth: 'usernamePassword',
        internalDomain: 'lan.example.com',
        deviceHostname: 'box',
        deviceMac: '02:00:5e:30:00:04',
        services: everyDistributionAndProtocol('prod.example.com'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'dynamodb',
        dynamodbTable: 'terraform-state-locks',
        kmsKeyId:
          'arn:aws:kms:eu-central-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef',
        vault: 'Infrastructure',
      } as ParameterInput,
    },
    {
      id: 'production-max-services',
      environment: 'production',
      input: {
        ...common('prod-max', 'example.net', next()),
        environment: 'production',
        deviceHostname: 'rack',
        deviceMac: '02:00:5e:30:00:05',
        services: maxServices('example.net'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'lockfile',
        secretsProvider: 'onepasswordconnect',
        vault: 'Infrastructure',
      } as ParameterInput,
    },
    {
      id: 'production-long-labels-apex',
      environment: 'production',
      input: {
        ...common(label63('prod-long'), 'example.io', next()),
        environment: 'production',
        unifiAuth: 'usernamePassword',
        deviceHostname: label63('device'),
        deviceMac: '02:00:5e:30:00:06',
        services: longLabelServices('example.io'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'dynamodb',
        dynamodbTable: 'terraform-state-locks',
        kmsKeyId:
          'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-14cd-b6ef-1234567890ab',
        vault: label63('Vault'),
      } as ParameterInput,
    },
  ];
  return cases;
}

/** The matrix cases of one environment. */
export function casesOf(
  cases: MatrixCase[],
  environment: Environment,
): MatrixCase[] {
  return cases.filter(c => c.environment === environment);
}
