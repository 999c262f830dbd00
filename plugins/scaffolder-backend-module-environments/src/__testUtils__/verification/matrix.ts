import {
  DISTRIBUTIONS,
  Environment,
  MAX_DEVICES,
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

type Device = ParameterInput['devices'][number];
type Service = Device['services'][number];

/** One device of a render input; `extra` adds aliases. */
export function device(
  hostname: string,
  macAddresses: string[],
  services: Service[],
  extra: Pick<Device, 'aliases'> = {},
): Device {
  return { hostname, macAddresses, ...extra, services };
}

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

/**
 * Three devices: several MACs each in every notation (one with blanks around it), aliases on two
 * of them, https origins with noTlsVerify on, off and unset, a tcp service kept local, and one
 * device whose tunnel carries only cloudflare_only services.
 */
export function threeDevices(zone: string): Device[] {
  return [
    device(
      'nas',
      ['AA-BB-CC-00-00-01', 'aabb.cc00.0002', ' aa:bb:cc:00:00:03 '],
      [
        {
          name: 'files',
          port: 5001,
          protocol: 'https',
          distribution: 'both',
          publicHostname: `files.${zone}`,
          noTlsVerify: true,
        },
        { name: 'smb', port: 445, protocol: 'tcp', distribution: 'unifi_only' },
      ],
      { aliases: ['storage', 'backup'] },
    ),
    device(
      'media-server',
      ['02:00:5E:40:00:01', '02005e400002'],
      [
        {
          name: 'jellyfin',
          port: 8096,
          protocol: 'http',
          distribution: 'both',
          publicHostname: `media.${zone}`,
        },
        {
          name: 'photos',
          port: 2283,
          protocol: 'https',
          distribution: 'cloudflare_only',
          publicHostname: `photos.${zone}`,
        },
        {
          name: 'admin',
          port: 8443,
          protocol: 'https',
          distribution: 'cloudflare_only',
          publicHostname: `admin.${zone}`,
          noTlsVerify: true,
        },
      ],
      { aliases: ['tv'] },
    ),
    device(
      'pi',
      ['b8:27:eb:00:00:01', 'B8-27-EB-00-00-02'],
      [
        {
          name: 'grafana',
          port: 3000,
          protocol: 'http',
          distribution: 'unifi_only',
        },
        {
          name: 'pihole',
          port: 443,
          protocol: 'https',
          distribution: 'both',
          publicHostname: `dns.${zone}`,
          noTlsVerify: false,
        },
      ],
    ),
  ];
}

/**
 * Two devices, the first with local services only (so it gets no tunnel) and an alias, the
 * second published through the tunnel: a tunnel for devices[0] would be the wrong one.
 */
export function deviceWithoutTunnel(zone: string): Device[] {
  return [
    device(
      'printer',
      ['02:00:5e:60:00:02', '02-00-5e-60-00-03'],
      [
        {
          name: 'cups',
          port: 631,
          protocol: 'http',
          distribution: 'unifi_only',
        },
        { name: 'scan', port: 22, protocol: 'tcp', distribution: 'unifi_only' },
      ],
      { aliases: ['print'] },
    ),
    device(
      'gateway',
      ['02:00:5e:60:00:01'],
      [
        {
          name: 'web',
          port: 443,
          protocol: 'https',
          distribution: 'both',
          publicHostname: `www.${zone}`,
        },
      ],
    ),
  ];
}

/**
 * The maximum number of devices, two MACs each (colons, and upper-case hyphens); every fifth
 * device is local only (no tunnel), every third has an alias, and every other admin origin
 * skips its TLS check.
 */
export function maxDevices(zone: string): Device[] {
  return Array.from({ length: MAX_DEVICES }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    const hex = (i + 1).toString(16).padStart(2, '0');
    const services: Service[] =
      i % 5 === 4
        ? [
            {
              name: `local-${n}`,
              port: 8000 + i,
              protocol: 'http',
              distribution: 'unifi_only',
            },
          ]
        : [
            {
              name: `app-${n}`,
              port: 8000 + i,
              protocol: 'http',
              distribution: 'both',
              publicHostname: `app-${n}.${zone}`,
            },
            {
              name: `admin-${n}`,
              port: 9000 + i,
              protocol: 'https',
              distribution: 'cloudflare_only',
              publicHostname: `admin-${n}.${zone}`,
              noTlsVerify: i % 2 === 0,
            },
          ];
    return device(
      `host-${n}`,
      [`02:00:5e:70:00:${hex}`, `02-00-5E-71-00-${hex.toUpperCase()}`],
      services,
      i % 3 === 0 ? { aliases: [`alias-${n}`] } : {},
    );
  });
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
 * with a publicHostname at the zone apex, only local services) x devices (one; three with
 * several MACs, aliases and per-service TLS checks; one without a tunnel beside one with; the
 * maximum of 50), KMS key present and absent, plus the canonical value sets: 25 renders
 * (9 development, 7 staging, 9 production).
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
        devices: [
          device(
            'nas',
            ['AABBCCDDEEFF'],
            [
              {
                name: 'web',
                port: 80,
                protocol: 'http',
                distribution: 'both',
                publicHostname: 'www.example.org',
              },
            ],
          ),
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
        devices: [
          device(
            'box',
            ['02-00-5E-10-00-01'],
            everyDistributionAndProtocol('dev.example.net'),
          ),
        ],
      } as ParameterInput,
    },
    {
      id: 'development-max-services',
      environment: 'development',
      input: {
        ...common('dev-max', 'example.net', next()),
        environment: 'development',
        unifiAuth: 'usernamePassword',
        devices: [
          device('rack', ['02:00:5e:10:00:02'], maxServices('example.net')),
        ],
      } as ParameterInput,
    },
    {
      id: 'development-long-labels-apex',
      environment: 'development',
      input: {
        ...common(label63('dev-long'), 'example.io', next()),
        environment: 'development',
        devices: [
          device(
            label63('device'),
            ['02:00:5e:10:00:03'],
            longLabelServices('example.io'),
          ),
        ],
      } as ParameterInput,
    },
    {
      id: 'development-local-only',
      environment: 'development',
      input: {
        ...common('dev-local', 'example.com', next()),
        environment: 'development',
        devices: [
          device(
            'printer-host',
            ['02:00:5e:10:00:04'],
            [
              {
                name: 'cups',
                port: 631,
                protocol: 'http',
                distribution: 'unifi_only',
              },
            ],
          ),
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

    {
      id: 'development-three-devices',
      environment: 'development',
      input: {
        ...common('dev-fleet', 'fleet.example.com', next()),
        environment: 'development',
        // Verified origins by default, so only the services that chose it skip the check.
        skipTlsVerify: false,
        internalDomain: 'home.arpa',
        devices: threeDevices('fleet.example.com'),
      } as ParameterInput,
    },
    {
      id: 'development-device-without-tunnel',
      environment: 'development',
      input: {
        ...common('dev-split', 'example.com', next()),
        environment: 'development',
        devices: deviceWithoutTunnel('example.com'),
      } as ParameterInput,
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
        devices: [
          device(
            'edge',
            ['02:00:5e:20:00:01'],
            [
              {
                name: 'status',
                port: 8443,
                protocol: 'https',
                distribution: 'cloudflare_only',
                publicHostname: 'status.stg.example.com',
              },
            ],
          ),
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
        devices: [
          device(
            'box',
            ['02:00:5e:20:00:02'],
            everyDistributionAndProtocol('example.dev'),
          ),
        ],
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
        devices: [
          device('rack', ['02:00:5e:20:00:03'], maxServices('example.net')),
        ],
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
        devices: [
          device(
            label63('device'),
            ['02:00:5e:20:00:04'],
            longLabelServices('example.io'),
          ),
        ],
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
        devices: [
          device(
            'edge',
            ['02:00:5e:20:00:05'],
            [
              {
                name: 'api',
                port: 3000,
                distribution: 'both',
                publicHostname: 'api.example.com',
              },
            ],
          ),
        ],
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
      } as ParameterInput,
    },

    {
      id: 'staging-three-devices-state-key-without-suffix',
      environment: 'staging',
      input: {
        ...common('stg-fleet', 'stg.example.com', next()),
        environment: 'staging',
        unifiAuth: 'usernamePassword',
        devices: threeDevices('stg.example.com'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        // The partial runs' state keys are derived from it: no .tfstate to take off.
        stateKey: 'homelab/stg-fleet-state',
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
        devices: [
          device(
            'nas',
            ['02:00:5e:30:00:01'],
            [
              {
                name: 'web',
                port: 80,
                protocol: 'http',
                distribution: 'both',
                publicHostname: 'web.example.org',
              },
            ],
          ),
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
        devices: [
          device(
            'nas',
            ['02-00-5E-30-00-02'],
            [
              {
                name: 'web',
                port: 443,
                protocol: 'https',
                distribution: 'cloudflare_only',
                publicHostname: 'web.example.org',
              },
            ],
          ),
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
        devices: [
          device(
            'nas',
            ['020000000003'],
            [
              {
                name: 'web',
                port: 8080,
                protocol: 'http',
                distribution: 'both',
                publicHostname: 'example.org',
              },
            ],
          ),
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
        devices: [
          device(
            'box',
            ['02:00:5e:30:00:04'],
            everyDistributionAndProtocol('prod.example.com'),
          ),
        ],
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
        devices: [
          device('rack', ['02:00:5e:30:00:05'], maxServices('example.net')),
        ],
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
        devices: [
          device(
            label63('device'),
            ['02:00:5e:30:00:06'],
            longLabelServices('example.io'),
          ),
        ],
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'dynamodb',
        dynamodbTable: 'terraform-state-locks',
        kmsKeyId:
          'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-14cd-b6ef-1234567890ab',
        vault: label63('Vault'),
      } as ParameterInput,
    },
    {
      id: 'production-three-devices',
      environment: 'production',
      input: {
        ...common('prod-fleet', 'example.com', next()),
        environment: 'production',
        devices: threeDevices('example.com'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'dynamodb',
        dynamodbTable: 'terraform-state-locks',
        vault: 'Infrastructure',
      } as ParameterInput,
    },
    {
      id: 'production-max-devices',
      environment: 'production',
      input: {
        ...common('prod-many', 'example.net', next()),
        environment: 'production',
        unifiAuth: 'usernamePassword',
        devices: maxDevices('example.net'),
        stateBucket: 'acme-terraform-state',
        stateRegion: 'eu-central-1',
        locking: 'lockfile',
        secretsProvider: 'onepasswordconnect',
        vault: 'Infrastructure',
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
