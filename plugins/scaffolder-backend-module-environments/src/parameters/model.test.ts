import { canonicalValues } from '../__testUtils__/values';
import { secretProblem } from '../secrets/formValues';
import {
  ALIASES_MAX_MESSAGE,
  describeProblems,
  DEVICES_MAX_MESSAGE,
  DEVICES_MIN_MESSAGE,
  EnvironmentParameters,
  fieldPath,
  MACS_MAX_MESSAGE,
  MACS_MIN_MESSAGE,
  MAX_ALIASES,
  MAX_DEVICES,
  MAX_MACS,
  MAX_SERVICES,
  ParameterProblem,
  parameterShape,
  parseParameters,
  SERVICES_MAX_MESSAGE,
  SERVICES_MIN_MESSAGE,
  tunnelNameOf,
} from './model';
import {
  BLANK_ALLOWANCE,
  lengthMessage,
  PORT_MESSAGE,
  RuleName,
  ruleMessage,
  rules,
} from './fieldRules';

type Input = Record<string, unknown>;

const ENVIRONMENTS_FOR_TLS = ['development', 'staging', 'production'] as const;

const development = (): Input =>
  structuredClone(canonicalValues.development) as Input;
const staging = (): Input => structuredClone(canonicalValues.staging) as Input;
const production = (): Input =>
  structuredClone(canonicalValues.production) as Input;

function accepted(input: unknown): EnvironmentParameters {
  const result = parseParameters(input);
  if (!result.success)
    throw new Error(
      `expected the input to be accepted:\n${describeProblems(result.problems)}`,
    );
  return result.parameters;
}

function problems(input: unknown): ParameterProblem[] {
  const result = parseParameters(input);
  if (result.success) throw new Error('expected the input to be rejected');
  return result.problems;
}

/** A production input with the named fields replaced (or removed with undefined). */
function productionWith(changes: Input): Input {
  return { ...production(), ...changes };
}

function service(name: string, extra: Input = {}): Input {
  return { name, port: 8080, publicHostname: `${name}.example.com`, ...extra };
}

/** A device running the given services: media-server with one MAC unless `extra` says otherwise. */
function device(services: unknown, extra: Input = {}): Input {
  return {
    hostname: 'media-server',
    macAddresses: ['aa:bb:cc:dd:ee:ff'],
    services,
    ...extra,
  };
}

/** A production input with one device (media-server) running the given services. */
function productionWithServices(services: unknown, extra: Input = {}): Input {
  return productionWith({ devices: [device(services, extra)] });
}

/** Two devices that clash in nothing: nas (service media) and nvr (service camera). */
const nas = (extra: Input = {}) =>
  device([service('media')], {
    hostname: 'nas',
    macAddresses: ['00:11:32:aa:bb:cc'],
    ...extra,
  });
const nvr = (extra: Input = {}) =>
  device([service('camera')], {
    hostname: 'nvr',
    macAddresses: ['00:11:32:aa:bb:dd'],
    ...extra,
  });

/** A unifi_only service: published in local DNS only, so its device needs no tunnel. */
const localService = (name: string) =>
  service(name, { distribution: 'unifi_only', publicHostname: undefined });

/** The value at a field path such as `devices[0].services[1].name`. */
function valueAt(root: unknown, field: string): unknown {
  return field
    .split(/[.[\]]+/)
    .filter(Boolean)
    .reduce<unknown>(
      (value, key) => (value as Record<string, unknown> | undefined)?.[key],
      root,
    );
}

/** What the model says after a name that is used twice in UniFi local DNS. */
const LOCAL_NAME_CLASH =
  'device hostnames, aliases and service names all become names in the local domain, so each must be unique in the environment';
const MAC_CLASH =
  'a network interface belongs to one device, and each MAC may be listed once';
const PUBLIC_CLASH =
  'a public hostname routes to one service, so each must be unique in the environment';
const TUNNEL_CLASH =
  '(tunnel names are <name>-<hostname> cut to 63 characters); shorten the environment name or choose a hostname that differs in its first characters';

describe('parseParameters', () => {
  describe('accepts a complete parameter set and fills defaults', () => {
    const minimal = (env: 'development' | 'staging' | 'production'): Input => ({
      environment: env,
      name: 'homelab-dns',
      owner: 'group:default/platform-team',
      zoneName: 'example.com',
      cloudflareAccountId: '0123456789abcdef0123456789abcdef',
      unifiHost: 'unifi.internal.lan',
      devices: [
        {
          hostname: 'media-server',
          macAddresses: ['aa:bb:cc:dd:ee:ff'],
          services: [
            {
              name: 'jellyfin',
              port: 8096,
              publicHostname: 'media.example.com',
            },
          ],
        },
      ],
      ...(env === 'development'
        ? {}
        : { stateBucket: 'acme-terraform-state', stateRegion: 'eu-central-1' }),
      ...(env === 'production'
        ? { vault: 'Infrastructure', dynamodbTable: 'terraform-state-locks' }
        : {}),
    });

    const canonicalMacs = {
      development: [['aa:bb:cc:dd:ee:ff']],
      staging: [['aa:bb:cc:dd:ee:ff'], ['dc:a6:32:01:02:03']],
      production: [
        ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:01'],
        ['00:11:32:aa:bb:cc', '00:11:32:aa:bb:cd'],
        ['b8:27:eb:12:34:56'],
      ],
    };

    it.each(['development', 'staging', 'production'] as const)(
      'the canonical %s values',
      env => {
        const p = accepted(canonicalValues[env]);
        expect(p.environment).toBe(env);
        expect(p.name).toBe(canonicalValues[env].name);
        expect(p.devices.map(d => d.macAddresses)).toEqual(canonicalMacs[env]);
        expect(p.devices.map(d => d.hostname)).toEqual(
          canonicalValues[env].devices.map(d => d.hostname),
        );
        expect(p.targetPath).toBe('.');
      },
    );

    it.each(['development', 'staging', 'production'] as const)(
      'shared defaults for %s',
      env => {
        const p = accepted(minimal(env));
        expect(p).toMatchObject({
          glueVersion: 'v0.12.2',
          unifiPort: 443,
          unifiAuth: 'apiKey',
          unifiSite: 'default',
          internalDomain: 'internal.lan',
          targetPath: '.',
        });
        expect(p.devices).toEqual([
          {
            hostname: 'media-server',
            macAddresses: ['aa:bb:cc:dd:ee:ff'],
            aliases: [],
            services: [
              {
                name: 'jellyfin',
                port: 8096,
                protocol: 'http',
                distribution: 'both',
                publicHostname: 'media.example.com',
                noTlsVerify: false,
              },
            ],
          },
        ]);
      },
    );

    it('development: TLS verification skipped by default, no state settings', () => {
      const p = accepted(minimal('development'));
      expect(p.skipTlsVerify).toBe(true);
      expect(p.stateKey).toBeUndefined();
      expect(p.locking).toBeUndefined();
      expect(p.secretsProvider).toBeUndefined();
      expect(
        accepted({ ...minimal('development'), skipTlsVerify: false })
          .skipTlsVerify,
      ).toBe(false);
    });

    it('staging: verifies TLS, lockfile locking, default state key', () => {
      const p = accepted(minimal('staging'));
      expect(p).toMatchObject({
        skipTlsVerify: false,
        locking: 'lockfile',
        stateKey: 'unifi-cloudflare-glue/staging/homelab-dns/terraform.tfstate',
      });
      expect(p.cloudflareItem).toBeUndefined();
      expect(
        accepted({ ...minimal('staging'), skipTlsVerify: false }).skipTlsVerify,
      ).toBe(false);
    });

    it('production: verifies TLS, dynamodb locking, op provider, default items and state key', () => {
      const p = accepted(minimal('production'));
      expect(p).toMatchObject({
        skipTlsVerify: false,
        locking: 'dynamodb',
        dynamodbTable: 'terraform-state-locks',
        secretsProvider: 'op',
        cloudflareItem: 'cloudflare',
        unifiItem: 'unifi',
        stateItem: 'terraform-state',
        stateKey:
          'unifi-cloudflare-glue/production/homelab-dns/terraform.tfstate',
      });
    });

    it('keeps explicit values over defaults', () => {
      const p = accepted({
        ...minimal('production'),
        glueVersion: 'v1.2.3',
        unifiPort: 8443,
        unifiAuth: 'usernamePassword',
        internalDomain: 'home.arpa',
        stateKey: 'custom/path/state.tfstate',
        locking: 'lockfile',
        dynamodbTable: undefined,
        secretsProvider: 'onepasswordconnect',
        cloudflareItem: 'cf',
        unifiItem: 'controller',
        stateItem: 'state',
        targetPath: 'env',
      });
      expect(p).toMatchObject({
        glueVersion: 'v1.2.3',
        unifiPort: 8443,
        unifiAuth: 'usernamePassword',
        internalDomain: 'home.arpa',
        stateKey: 'custom/path/state.tfstate',
        locking: 'lockfile',
        secretsProvider: 'onepasswordconnect',
        cloudflareItem: 'cf',
        unifiItem: 'controller',
        stateItem: 'state',
        targetPath: 'env',
      });
    });

    it.each([
      'aa:bb:cc:dd:ee:ff',
      'AA:BB:CC:DD:EE:FF',
      'aa-bb-cc-dd-ee-ff',
      'AA-bb-CC-dd-EE-ff',
      'aabbccddeeff',
      'AABBCCDDEEFF',
    ])('normalises the MAC %s to lower case with colons', mac => {
      expect(
        accepted(
          productionWithServices([service('media')], { macAddresses: [mac] }),
        ).devices[0].macAddresses,
      ).toEqual(['aa:bb:cc:dd:ee:ff']);
    });

    it('accepts 20 services on a device and a publicHostname equal to the zone apex', () => {
      const services = Array.from({ length: MAX_SERVICES }, (_, i) =>
        service(`svc-${i}`),
      );
      expect(
        accepted(productionWithServices(services)).devices[0].services,
      ).toHaveLength(20);
      expect(
        accepted(
          productionWithServices([
            service('apex', { publicHostname: 'example.com' }),
          ]),
        ).devices[0].services,
      ).toHaveLength(1);
    });

    it('accepts 20 services on each of two devices', () => {
      const services = (prefix: string) =>
        Array.from({ length: MAX_SERVICES }, (_, i) =>
          service(`${prefix}-${i}`),
        );
      expect(
        accepted(
          productionWith({
            devices: [
              nas({ services: services('nas') }),
              nvr({ services: services('nvr') }),
            ],
          }),
        ).devices.map(d => d.services.length),
      ).toEqual([20, 20]);
    });
  });

  describe('cross-field rules', () => {
    it('publicHostname outside the zone', () => {
      for (const host of [
        'media.example.org',
        'media.notexample.com',
        'example.com.evil.net',
      ]) {
        expect(
          problems(
            productionWithServices([
              service('media', { publicHostname: host }),
            ]),
          ),
        ).toEqual([
          {
            field: 'devices[0].services[0].publicHostname',
            message:
              'must lie inside the zone example.com, for example "media.example.com"',
          },
        ]);
      }
    });

    it.each(['both', 'cloudflare_only'])(
      'publicHostname missing when distribution is %s',
      distribution => {
        expect(
          problems(
            productionWithServices([
              service('a'),
              { name: 'media', port: 80, distribution },
            ]),
          ),
        ).toEqual([
          {
            field: 'devices[0].services[1].publicHostname',
            message: `is required when distribution is ${distribution}, for example "media.example.com"`,
          },
        ]);
      },
    );

    it('publicHostname missing with the default distribution (both)', () => {
      expect(
        problems(productionWithServices([{ name: 'media', port: 80 }])),
      ).toEqual([
        {
          field: 'devices[0].services[0].publicHostname',
          message:
            'is required when distribution is both, for example "media.example.com"',
        },
      ]);
    });

    it('publicHostname on a unifi_only service', () => {
      expect(
        problems(
          productionWithServices([
            service('media', { distribution: 'unifi_only' }),
          ]),
        ),
      ).toEqual([
        {
          field: 'devices[0].services[0].publicHostname',
          message:
            'is only used when distribution is both or cloudflare_only; remove it',
        },
      ]);
    });

    it('duplicate service names on one device', () => {
      expect(
        problems(
          productionWithServices([
            service('a'),
            service('media'),
            service('media', { publicHostname: 'm2.example.com' }),
          ]),
        ),
      ).toEqual([
        {
          field: 'devices[0].services[2].name',
          message: `repeats the name "media" of device 1 (media-server), service 2 (media); ${LOCAL_NAME_CLASH}`,
        },
      ]);
    });

    it('duplicate public hostnames on one device', () => {
      expect(
        problems(
          productionWithServices([
            service('a', { publicHostname: 'x.example.com' }),
            service('b', { publicHostname: 'x.example.com' }),
          ]),
        ),
      ).toEqual([
        {
          field: 'devices[0].services[1].publicHostname',
          message: `repeats the public hostname x.example.com of device 1 (media-server), service 1 (a); ${PUBLIC_CLASH}`,
        },
      ]);
    });

    it('service name equal to its own device hostname', () => {
      expect(
        problems(productionWithServices([service('media-server')])),
      ).toEqual([
        {
          field: 'devices[0].services[0].name',
          message: `repeats the name "media-server" of the hostname of device 1 (media-server); ${LOCAL_NAME_CLASH}`,
        },
      ]);
    });

    it('local hostnames longer than 253 characters: the device hostname, its aliases and its services', () => {
      const label = (c: string) => c.repeat(63);
      const internalDomain = `${label('a')}.${label('b')}.${label('c')}.${'d'.repeat(61)}`; // 253 characters
      expect(internalDomain).toHaveLength(253);
      expect(
        problems(
          productionWith({
            internalDomain,
            devices: [
              device([service('media')], { hostname: 'nas', aliases: ['x'] }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[0].hostname',
          message:
            'makes the local hostname 257 characters long; the limit is 253',
        },
        {
          field: 'devices[0].aliases[0]',
          message:
            'makes the local hostname 255 characters long; the limit is 253',
        },
        {
          field: 'devices[0].services[0].name',
          message:
            'makes the local hostname 259 characters long; the limit is 253',
        },
      ]);
    });

    const productionOnly = {
      locking: 'lockfile',
      kmsKeyId: rules.kmsKeyId.example,
      secretsProvider: 'op',
      vault: 'Infrastructure',
      cloudflareItem: 'cf',
      unifiItem: 'unifi-controller',
      stateItem: 'state',
    };

    it.each(Object.entries(productionOnly))(
      'production field %s on staging',
      (field, value) => {
        expect(problems({ ...staging(), [field]: value })).toEqual([
          {
            field,
            message: 'is only used by the production environment; remove it',
          },
        ]);
      },
    );

    it('dynamodbTable on staging', () => {
      expect(problems({ ...staging(), dynamodbTable: 'locks' })).toEqual([
        {
          field: 'dynamodbTable',
          message: 'is only used by the production environment; remove it',
        },
      ]);
    });

    const stateFields = {
      stateBucket: 'acme-terraform-state',
      stateRegion: 'eu-central-1',
      stateKey: 'a/b.tfstate',
    };
    it.each(
      Object.entries({
        ...stateFields,
        ...productionOnly,
        dynamodbTable: 'locks',
      }),
    )('state or production field %s on development', (field, value) => {
      expect(problems({ ...development(), [field]: value })).toEqual([
        {
          field,
          message:
            'is not used by the development environment (its state is ephemeral); remove it',
        },
      ]);
    });

    it.each([
      ['staging', staging],
      ['production', production],
    ] as const)('skipTlsVerify true on %s', (env, input) => {
      expect(problems({ ...input(), skipTlsVerify: true })).toEqual([
        {
          field: 'skipTlsVerify',
          message: `must be false: ${env} always verifies TLS certificates`,
        },
      ]);
    });

    it.each([
      ['staging', staging],
      ['production', production],
    ] as const)('missing stateBucket and stateRegion on %s', (env, input) => {
      expect(
        problems({
          ...input(),
          stateBucket: undefined,
          stateRegion: undefined,
        }),
      ).toEqual([
        {
          field: 'stateBucket',
          message: `is required for ${env}, for example "acme-terraform-state"`,
        },
        {
          field: 'stateRegion',
          message: `is required for ${env}, for example "eu-central-1"`,
        },
      ]);
    });

    it('missing vault on production', () => {
      expect(problems(productionWith({ vault: undefined }))).toEqual([
        {
          field: 'vault',
          message: 'is required for production, for example "Infrastructure"',
        },
      ]);
    });

    it.each([{ locking: 'dynamodb' }, {}])(
      'missing dynamodbTable with locking %j',
      locking => {
        expect(
          problems(
            productionWith({
              locking: undefined,
              ...locking,
              dynamodbTable: undefined,
            }),
          ),
        ).toEqual([
          {
            field: 'dynamodbTable',
            message:
              'is required when locking is dynamodb, for example "terraform-state-locks"',
          },
        ]);
      },
    );

    it('dynamodbTable with lockfile locking', () => {
      expect(problems(productionWith({ locking: 'lockfile' }))).toEqual([
        {
          field: 'dynamodbTable',
          message:
            'is only used when locking is dynamodb; remove it or choose dynamodb locking',
        },
      ]);
    });

    it.each([
      { cloudflareItem: 'same', unifiItem: 'same' },
      { cloudflareItem: 'unifi' },
      { stateItem: 'cloudflare' },
      { unifiItem: 'terraform-state' },
    ])(
      'the same 1Password item twice: %j, blamed on the field(s) set, never on a default',
      items => {
        const found = problems(productionWith(items));
        // Each field the user set that collides is named; a field left at its default never is.
        expect(found.map(p => p.field).sort()).toEqual(
          Object.keys(items).sort(),
        );
        for (const p of found)
          expect(p.message).toMatch(
            /^names the same 1Password item as \w+Item( \(by default\))?(?: and \w+Item( \(by default\))?)?; cloudflareItem, unifiItem and stateItem must name three different items/,
          );
      },
    );

    it('unknown keys at the top level, in a device and in a service', () => {
      const top = problems(productionWith({ colour: 'blue', extra: 1 }));
      expect(top).toEqual([
        {
          field: '(input)',
          message: `has unknown field(s) colour, extra; the accepted fields are ${Object.keys(parameterShape).join(', ')}`,
        },
      ]);
      expect(top[0].message).toContain('devices');
      expect(top[0].message).not.toContain('deviceMac');
      expect(
        problems(productionWithServices([service('media', { weight: 1 })])),
      ).toEqual([
        expect.objectContaining({
          field: 'devices[0].services[0]',
          message: expect.stringMatching(/^has unknown field\(s\) weight;/),
        }),
      ]);
    });

    it('an unknown key in a service lists the fields a service accepts', () => {
      const [found] = problems(
        productionWithServices([service('media', { weight: 1 })]),
      );
      expect(found.message).toBe(
        'has unknown field(s) weight; the accepted fields are name, port, protocol, distribution, publicHostname, noTlsVerify',
      );
    });

    it('0 services on a device', () => {
      expect(problems(productionWithServices([]))).toEqual([
        {
          field: 'devices[0].services',
          message:
            'must hold at least one service, for example {name: "media", port: 8096}',
        },
      ]);
      expect(SERVICES_MIN_MESSAGE).toBe(
        'must hold at least one service, for example {name: "media", port: 8096}',
      );
    });

    it('21 services on a device', () => {
      const services = Array.from({ length: MAX_SERVICES + 1 }, (_, i) =>
        service(`svc-${i}`),
      );
      expect(
        problems(productionWith({ devices: [nas(), nvr({ services })] })),
      ).toEqual([
        {
          field: 'devices[1].services',
          message:
            'must hold at most 20 services per device; for example, put the others in a second environment',
        },
      ]);
      expect(SERVICES_MAX_MESSAGE).toBe(
        'must hold at most 20 services per device; for example, put the others in a second environment',
      );
    });

    it('reports every problem of an input at once', () => {
      const found = problems({
        ...staging(),
        name: 'Bad_Name',
        skipTlsVerify: true,
        stateBucket: undefined,
        vault: 'Infrastructure',
        devices: [
          device(
            [
              service('media', { publicHostname: 'media.example.org' }),
              service('media', { publicHostname: 'm.staging.example.com' }),
            ],
            { macAddresses: ['not-a-mac'] },
          ),
        ],
      });
      expect(found).toEqual([
        {
          field: 'name',
          message: `must be ${rules.name.rule}, for example "homelab-dns-dev"`,
        },
        {
          field: 'devices[0].macAddresses[0]',
          message: `must be ${rules.macAddress.rule}, for example "aa:bb:cc:dd:ee:ff"`,
        },
        {
          field: 'vault',
          message: 'is only used by the production environment; remove it',
        },
        {
          field: 'skipTlsVerify',
          message: 'must be false: staging always verifies TLS certificates',
        },
        {
          field: 'stateBucket',
          message:
            'is required for staging, for example "acme-terraform-state"',
        },
        {
          field: 'devices[0].services[0].publicHostname',
          message:
            'must lie inside the zone staging.example.com, for example "media.staging.example.com"',
        },
        {
          field: 'devices[0].services[1].name',
          message: `repeats the name "media" of device 1 (media-server), service 1 (media); ${LOCAL_NAME_CLASH}`,
        },
      ]);
      const text = describeProblems(found);
      expect(text.split('\n')[0]).toBe(
        'The environment parameters have 7 problem(s):',
      );
      expect(text).toContain(
        `\n- devices[0].services[1].name repeats the name "media" of device 1 (media-server), service 1 (media); ${LOCAL_NAME_CLASH}`,
      );
    });

    it('reports type errors and rule errors together', () => {
      const found = problems({
        ...production(),
        environment: 'qa',
        unifiPort: 70000,
        name: 'x y',
        devices: [nas(), nvr({ services: 'camera' })],
      });
      expect(found).toEqual(
        expect.arrayContaining([
          {
            field: 'environment',
            message:
              'must be one of development, staging, production, for example "development"',
          },
          {
            field: 'name',
            message: `must be ${rules.name.rule}, for example "homelab-dns-dev"`,
          },
          {
            field: 'unifiPort',
            message: 'must be a whole number from 1 to 65535, for example 443',
          },
          {
            field: 'devices[1].services',
            message: 'must be a list of 1 to 20 services',
          },
        ]),
      );
    });

    it('rejects something that is not an object', () => {
      for (const input of [null, 'x', 42, []]) {
        expect(problems(input)).toEqual([
          expect.objectContaining({ field: '(input)' }),
        ]);
      }
    });
  });

  describe('devices', () => {
    const DEVICE_EXAMPLE =
      '{hostname: "nas", macAddresses: ["aa:bb:cc:dd:ee:ff"], services: [{name: "media", port: 8096}]}';
    /** A locally administered MAC address made from a number. */
    const macOf = (i: number) =>
      `02:00:00:00:${[i >> 8, i & 255].map(b => b.toString(16).padStart(2, '0')).join(':')}`;
    /** n devices that clash in nothing: own hostname, MAC, service and public hostname. */
    const devices = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        device([service(`svc-${i}`)], {
          hostname: `host-${i}`,
          macAddresses: [macOf(i)],
        }),
      );

    describe('how many', () => {
      it(`accepts ${MAX_DEVICES} devices`, () => {
        const p = accepted(productionWith({ devices: devices(MAX_DEVICES) }));
        expect(p.devices).toHaveLength(50);
        expect(p.devices[49]).toMatchObject({
          hostname: 'host-49',
          macAddresses: ['02:00:00:00:00:31'],
        });
      });

      it('0 devices', () => {
        expect(problems(productionWith({ devices: [] }))).toEqual([
          {
            field: 'devices',
            message: `must hold at least one device, for example ${DEVICE_EXAMPLE}`,
          },
        ]);
        expect(DEVICES_MIN_MESSAGE).toBe(
          `must hold at least one device, for example ${DEVICE_EXAMPLE}`,
        );
      });

      it(`${MAX_DEVICES + 1} devices`, () => {
        expect(
          problems(productionWith({ devices: devices(MAX_DEVICES + 1) })),
        ).toEqual([
          {
            field: 'devices',
            message:
              'must hold at most 50 devices; for example, put the others in a second environment',
          },
        ]);
        expect(DEVICES_MAX_MESSAGE).toBe(
          'must hold at most 50 devices; for example, put the others in a second environment',
        );
      });

      it('devices that are not a list, or missing', () => {
        expect(problems(productionWith({ devices: nas() }))).toEqual([
          {
            field: 'devices',
            message: `must be a list of 1 to 50 devices, for example ${DEVICE_EXAMPLE}`,
          },
        ]);
        expect(problems(productionWith({ devices: undefined }))).toEqual([
          {
            field: 'devices',
            message: `is required: 1 to 50 devices, for example ${DEVICE_EXAMPLE}`,
          },
        ]);
      });

      it(`accepts 1 to ${MAX_MACS} MAC addresses`, () => {
        const macAddresses = Array.from({ length: MAX_MACS }, (_, i) =>
          macOf(i),
        );
        expect(
          accepted(productionWith({ devices: [nas({ macAddresses })] }))
            .devices[0].macAddresses,
        ).toEqual(macAddresses);
      });

      it('0 MAC addresses', () => {
        expect(
          problems(
            productionWith({ devices: [nas(), nvr({ macAddresses: [] })] }),
          ),
        ).toEqual([
          {
            field: 'devices[1].macAddresses',
            message:
              'must hold at least one MAC address, for example "aa:bb:cc:dd:ee:ff"',
          },
        ]);
        expect(MACS_MIN_MESSAGE).toBe(
          'must hold at least one MAC address, for example "aa:bb:cc:dd:ee:ff"',
        );
      });

      it(`${MAX_MACS + 1} MAC addresses`, () => {
        const macAddresses = Array.from({ length: MAX_MACS + 1 }, (_, i) =>
          macOf(i),
        );
        expect(
          problems(productionWith({ devices: [nas({ macAddresses })] })),
        ).toEqual([
          {
            field: 'devices[0].macAddresses',
            message:
              'must hold at most 8 MAC addresses, one per network interface of the device; for example the wired and the wireless one: ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"]',
          },
        ]);
        expect(MACS_MAX_MESSAGE).toBe(
          'must hold at most 8 MAC addresses, one per network interface of the device; for example the wired and the wireless one: ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"]',
        );
      });

      it('MAC addresses that are not a list, or missing', () => {
        expect(
          problems(
            productionWith({
              devices: [nas({ macAddresses: 'aa:bb:cc:dd:ee:ff' })],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].macAddresses',
            message:
              'must be a list of 1 to 8 MAC addresses, for example ["aa:bb:cc:dd:ee:ff"]',
          },
        ]);
        expect(
          problems(
            productionWith({ devices: [nas({ macAddresses: undefined })] }),
          ),
        ).toEqual([
          {
            field: 'devices[0].macAddresses',
            message:
              'is required: 1 to 8 MAC addresses, for example ["aa:bb:cc:dd:ee:ff"]',
          },
        ]);
      });

      it(`accepts 0 to ${MAX_ALIASES} aliases`, () => {
        const aliases = Array.from(
          { length: MAX_ALIASES },
          (_, i) => `alias-${i}`,
        );
        expect(
          accepted(productionWith({ devices: [nas({ aliases })] })).devices[0]
            .aliases,
        ).toEqual(aliases);
        expect(
          accepted(productionWith({ devices: [nas({ aliases: [] })] }))
            .devices[0].aliases,
        ).toEqual([]);
      });

      it(`${MAX_ALIASES + 1} aliases`, () => {
        const aliases = Array.from(
          { length: MAX_ALIASES + 1 },
          (_, i) => `alias-${i}`,
        );
        expect(
          problems(productionWith({ devices: [nas({ aliases })] })),
        ).toEqual([
          {
            field: 'devices[0].aliases',
            message: 'must hold at most 10 aliases, for example ["storage"]',
          },
        ]);
        expect(ALIASES_MAX_MESSAGE).toBe(
          'must hold at most 10 aliases, for example ["storage"]',
        );
      });

      it('aliases that are not a list', () => {
        expect(
          problems(productionWith({ devices: [nas({ aliases: 'storage' })] })),
        ).toEqual([
          {
            field: 'devices[0].aliases',
            message:
              'must be a list of at most 10 names, for example ["storage"]',
          },
        ]);
      });

      it('services missing on a device', () => {
        expect(
          problems(productionWith({ devices: [nas({ services: undefined })] })),
        ).toEqual([
          {
            field: 'devices[0].services',
            message: 'is required: 1 to 20 services',
          },
        ]);
      });
    });

    it("an unknown field in a device names the device's accepted fields", () => {
      expect(
        problems(
          productionWith({
            devices: [nas(), nvr({ ip: '10.0.0.2', mac: 'aa:bb:cc:dd:ee:ff' })],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[1]',
          message:
            'has unknown field(s) ip, mac; the accepted fields are hostname, macAddresses, aliases, services',
        },
      ]);
    });

    it('the old one-device fields are unknown now, and devices is required', () => {
      expect(
        problems({
          ...production(),
          devices: undefined,
          deviceHostname: 'media-server',
          deviceMac: 'aa:bb:cc:dd:ee:ff',
          services: [service('media')],
        }),
      ).toEqual([
        {
          field: 'devices',
          message: `is required: 1 to 50 devices, for example ${DEVICE_EXAMPLE}`,
        },
        {
          field: '(input)',
          message: `has unknown field(s) deviceHostname, deviceMac, services; the accepted fields are ${Object.keys(parameterShape).join(', ')}`,
        },
      ]);
    });

    describe('MAC addresses', () => {
      it.each([
        'aa:bb:cc:dd:ee:ff',
        'AA:BB:CC:DD:EE:FF',
        'aa-bb-cc-dd-ee-ff',
        'AA-BB-CC-DD-EE-FF',
        'aabb.ccdd.eeff',
        'AABB.CCDD.EEFF',
        'aabbccddeeff',
        'AABBCCDDEEFF',
        ' aa-bb-cc-dd-ee-ff',
        'AABB.CCDD.EEFF\t',
        ' \taabbccddeeff \t',
      ])('%j in macAddresses is stored as aa:bb:cc:dd:ee:ff', mac => {
        expect(
          accepted(
            productionWith({ devices: [nvr(), nas({ macAddresses: [mac] })] }),
          ).devices[1].macAddresses,
        ).toEqual(['aa:bb:cc:dd:ee:ff']);
      });

      it('normalises every MAC of a device, each in its own notation, in order', () => {
        expect(
          accepted(
            productionWith({
              devices: [
                nas({
                  macAddresses: [
                    'AA-BB-CC-DD-EE-01',
                    ' aabb.ccdd.ee02',
                    'AABBCCDDEE03\t',
                    'aa:bb:cc:dd:ee:04',
                  ],
                }),
              ],
            }),
          ).devices[0].macAddresses,
        ).toEqual([
          'aa:bb:cc:dd:ee:01',
          'aa:bb:cc:dd:ee:02',
          'aa:bb:cc:dd:ee:03',
          'aa:bb:cc:dd:ee:04',
        ]);
      });

      it('a MAC repeated on a second device in another notation is refused there, naming the first device and the normalised MAC', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({ macAddresses: ['aa:bb:cc:dd:ee:ff'] }),
                nvr({ macAddresses: ['AABB.CCDD.EEFF'] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].macAddresses[0]',
            message: `repeats the MAC address aa:bb:cc:dd:ee:ff of device 1 (nas), MAC 1; ${MAC_CLASH}`,
          },
        ]);
      });

      it('names which MAC of the first device it repeats', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({
                  macAddresses: ['00:11:32:aa:bb:cc', 'aa-bb-cc-dd-ee-ff'],
                }),
                nvr({ macAddresses: ['00:11:32:aa:bb:dd', ' aabbccddeeff '] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].macAddresses[1]',
            message: `repeats the MAC address aa:bb:cc:dd:ee:ff of device 1 (nas), MAC 2; ${MAC_CLASH}`,
          },
        ]);
      });

      it('a MAC listed twice on one device', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({
                  macAddresses: ['aa:bb:cc:dd:ee:ff', 'AA-BB-CC-DD-EE-FF'],
                }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].macAddresses[1]',
            message: `repeats the MAC address aa:bb:cc:dd:ee:ff of device 1 (nas), MAC 1; ${MAC_CLASH}`,
          },
        ]);
      });
    });

    describe('names in UniFi local DNS', () => {
      it('a device hostname used twice is reported once, as the repeated name', () => {
        // Both devices publish through a tunnel, so their tunnel names are equal too; the one
        // cause is named once.
        expect(
          problems(
            productionWith({ devices: [nas(), nvr({ hostname: 'nas' })] }),
          ),
        ).toEqual([
          {
            field: 'devices[1].hostname',
            message: `repeats the name "nas" of the hostname of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it('a service name used on two devices names the device and service of the first', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas(),
                nvr({
                  services: [
                    service('media', { publicHostname: 'm2.example.com' }),
                  ],
                }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].services[0].name',
            message: `repeats the name "media" of device 1 (nas), service 1 (media); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it("a service name equal to another device's hostname names both", () => {
        expect(
          problems(
            productionWith({
              devices: [nas(), nvr({ services: [service('nas')] })],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].services[0].name',
            message: `repeats the name "nas" of the hostname of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it("a service name equal to another device's alias names both", () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({ aliases: ['files', 'storage'] }),
                nvr({ services: [service('storage')] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].services[0].name',
            message: `repeats the name "storage" of alias 2 of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it("a device hostname equal to an earlier device's service name names both", () => {
        expect(
          problems(
            productionWith({ devices: [nas(), nvr({ hostname: 'media' })] }),
          ),
        ).toEqual([
          {
            field: 'devices[1].hostname',
            message: `repeats the name "media" of device 1 (nas), service 1 (media); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it("an alias equal to another device's hostname", () => {
        expect(
          problems(
            productionWith({
              devices: [nas(), nvr({ aliases: ['cams', 'nas'] })],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].aliases[1]',
            message: `repeats the name "nas" of the hostname of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
        expect(
          problems(
            productionWith({ devices: [nas({ aliases: ['nvr'] }), nvr()] }),
          ),
        ).toEqual([
          {
            field: 'devices[1].hostname',
            message: `repeats the name "nvr" of alias 1 of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it("an alias equal to its own device's hostname", () => {
        expect(
          problems(productionWith({ devices: [nas({ aliases: ['nas'] })] })),
        ).toEqual([
          {
            field: 'devices[0].aliases[0]',
            message: `repeats the name "nas" of the hostname of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it('duplicated aliases, on one device and across devices', () => {
        expect(
          problems(
            productionWith({
              devices: [nas({ aliases: ['storage', 'backup', 'storage'] })],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].aliases[2]',
            message: `repeats the name "storage" of alias 1 of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
        expect(
          problems(
            productionWith({
              devices: [
                nas({ aliases: ['storage'] }),
                nvr({ aliases: ['cams', 'storage'] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].aliases[1]',
            message: `repeats the name "storage" of alias 1 of device 1 (nas); ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });
    });

    it('a public hostname used on two devices names the device and service of the first', () => {
      expect(
        problems(
          productionWith({
            devices: [
              nas(),
              nvr({
                services: [
                  service('camera', { publicHostname: 'media.example.com' }),
                ],
              }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[1].services[0].publicHostname',
          message: `repeats the public hostname media.example.com of device 1 (nas), service 1 (media); ${PUBLIC_CLASH}`,
        },
      ]);
    });

    it('the per-service rules apply on every device, with its own path', () => {
      expect(
        problems(
          productionWith({
            devices: [
              nas(),
              nvr({
                services: [
                  service('camera'),
                  service('rtsp', { protocol: 'tcp', port: 554 }),
                ],
              }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[1].services[1].protocol',
          message:
            'cannot be tcp when distribution is both: unifi-cloudflare-glue publishes only http and https services through the tunnel; choose distribution unifi_only for a tcp service, or protocol http or https',
        },
      ]);
    });

    describe('tunnel names', () => {
      // 60 characters: <name>-<hostname> keeps two characters of the hostname.
      const longName = `homelab-dns-${'x'.repeat(48)}`;

      it('two devices whose tunnel names are equal after the cut to 63 characters: refused on the second hostname', () => {
        expect(longName).toHaveLength(60);
        expect(
          problems(
            productionWith({
              name: longName,
              devices: [nas(), nvr({ hostname: 'nas2' })],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[1].hostname',
            message: `gives the tunnel name ${longName}-na, the same as device 1 (nas) ${TUNNEL_CLASH}`,
          },
        ]);
      });

      it('the same hostnames are accepted when the devices publish nothing through a tunnel', () => {
        const p = accepted(
          productionWith({
            name: longName,
            devices: [
              nas({ services: [localService('media')] }),
              nvr({
                hostname: 'nas2',
                services: [localService('camera'), localService('rtsp')],
              }),
            ],
          }),
        );
        expect(p.devices.map(d => d.hostname)).toEqual(['nas', 'nas2']);
      });

      it('and when only one of them has a tunnel', () => {
        expect(
          accepted(
            productionWith({
              name: longName,
              devices: [
                nas({ services: [localService('media')] }),
                nvr({ hostname: 'nas2' }),
              ],
            }),
          ).devices,
        ).toHaveLength(2);
      });

      it('tunnelNameOf: <name>-<hostname>, cut to 63 characters, without a trailing hyphen', () => {
        expect(tunnelNameOf('homelab-dns', 'nas')).toBe('homelab-dns-nas');
        expect(tunnelNameOf(longName, 'nas')).toBe(`${longName}-na`);
        expect(tunnelNameOf(longName, 'nas')).toHaveLength(63);
        // The cut falls right after a hyphen: the hyphen goes too.
        expect(tunnelNameOf(longName, 'a-b')).toBe(`${longName}-a`);
        expect(tunnelNameOf(`${longName}yy`, 'nas')).toBe(`${longName}yy`);
        expect(tunnelNameOf('x'.repeat(63), 'nas')).toBe('x'.repeat(63));
      });
    });

    describe('cross-field messages never quote a value that failed its own rule', () => {
      it('a hostname with a newline is left out of the MAC clash it causes', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({ hostname: 'nas\n', macAddresses: ['aa:bb:cc:dd:ee:ff'] }),
                nvr({ macAddresses: ['aa-bb-cc-dd-ee-ff'] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].hostname',
            message: ruleMessage('hostnameLabel'),
          },
          {
            field: 'devices[1].macAddresses[0]',
            message: `repeats the MAC address aa:bb:cc:dd:ee:ff of device 1, MAC 1; ${MAC_CLASH}`,
          },
        ]);
      });

      it('a bad hostname and service name are left out of the public hostname clash', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({
                  hostname: 'NAS',
                  services: [
                    service('Media\u001b[31m', {
                      publicHostname: 'media.example.com',
                    }),
                  ],
                }),
                nvr({
                  services: [
                    service('camera', { publicHostname: 'media.example.com' }),
                  ],
                }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].hostname',
            message: ruleMessage('hostnameLabel'),
          },
          {
            field: 'devices[0].services[0].name',
            message: ruleMessage('hostnameLabel'),
          },
          {
            field: 'devices[1].services[0].publicHostname',
            message: `repeats the public hostname media.example.com of device 1, service 1; ${PUBLIC_CLASH}`,
          },
        ]);
      });

      it('a bad hostname is left out of the local name clash with its alias', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({ hostname: 'nas"; id', aliases: ['storage'] }),
                nvr({ services: [service('storage')] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].hostname',
            message: ruleMessage('hostnameLabel'),
          },
          {
            field: 'devices[1].services[0].name',
            message: `repeats the name "storage" of alias 1 of device 1; ${LOCAL_NAME_CLASH}`,
          },
        ]);
      });

      it('bad values that are equal clash with nothing: each is told its own rule only', () => {
        expect(
          problems(
            productionWith({
              devices: [
                nas({ hostname: 'nas\n', macAddresses: ['aa:bb:cc:dd:ee'] }),
                nvr({ hostname: 'nas\n', macAddresses: ['aa:bb:cc:dd:ee'] }),
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'devices[0].hostname',
            message: ruleMessage('hostnameLabel'),
          },
          {
            field: 'devices[0].macAddresses[0]',
            message: ruleMessage('macAddress'),
          },
          {
            field: 'devices[1].hostname',
            message: ruleMessage('hostnameLabel'),
          },
          {
            field: 'devices[1].macAddresses[0]',
            message: ruleMessage('macAddress'),
          },
        ]);
      });

      it('a bad environment name is left out of the tunnel check', () => {
        const badName = `homelab-dns-${'x'.repeat(48)}\n`;
        expect(
          problems(
            productionWith({
              name: badName,
              devices: [nas(), nvr({ hostname: 'nas2' })],
            }),
          ),
        ).toEqual([{ field: 'name', message: ruleMessage('name') }]);
      });

      // A secret-looking hostname is a DNS label, so it matches the hostnameLabel pattern; the
      // model refuses it as a pasted secret and shows only its first characters. A clash with
      // another device must not print it in full.
      it('a secret-looking hostname, refused as such, is left out of the MAC clash it causes', () => {
        const secretLike = 'k3j9x8q2m4n7p1r5t6w0z';
        expect(secretProblem(secretLike)).toBeDefined();
        const found = problems(
          productionWith({
            devices: [
              nas({
                hostname: secretLike,
                macAddresses: ['aa:bb:cc:dd:ee:ff'],
              }),
              nvr({ macAddresses: ['aabbccddeeff'] }),
            ],
          }),
        );
        expect(found).toEqual([
          {
            field: 'devices[0].hostname',
            message: `${secretProblem(secretLike)}; for example "media-server"`,
          },
          {
            field: 'devices[1].macAddresses[0]',
            message: `repeats the MAC address aa:bb:cc:dd:ee:ff of device 1, MAC 1; ${MAC_CLASH}`,
          },
        ]);
        expect(found.map(p => p.message).join('\n')).not.toContain(secretLike);
      });

      // The same value twice is two refusals, not a clash (as with "nas\n" above), and a
      // secret-looking service name is no example for its public hostname.
      const secretLike = 'k3j9x8q2m4n7p1r5t6w0z';
      const publicSecretLike = `${secretLike}.example.com`;
      const ownRefusal = (value: string, example: string) =>
        `${secretProblem(value)}; for example "${example}"`;
      it.each([
        {
          what: 'an alias used on two devices',
          input: productionWith({
            devices: [
              nas({ aliases: [secretLike] }),
              nvr({ aliases: [secretLike] }),
            ],
          }),
          expected: [
            {
              field: 'devices[0].aliases[0]',
              message: ownRefusal(secretLike, 'media-server'),
            },
            {
              field: 'devices[1].aliases[0]',
              message: ownRefusal(secretLike, 'media-server'),
            },
          ],
        },
        {
          what: 'a public hostname used on two devices',
          input: productionWith({
            devices: [
              nas({
                services: [
                  service('media', { publicHostname: publicSecretLike }),
                ],
              }),
              nvr({
                services: [
                  service('camera', { publicHostname: publicSecretLike }),
                ],
              }),
            ],
          }),
          expected: [
            {
              field: 'devices[0].services[0].publicHostname',
              message: ownRefusal(publicSecretLike, 'media.example.com'),
            },
            {
              field: 'devices[1].services[0].publicHostname',
              message: ownRefusal(publicSecretLike, 'media.example.com'),
            },
          ],
        },
        {
          what: 'a service name, as the example of its missing public hostname',
          input: productionWithServices([{ name: secretLike, port: 80 }]),
          expected: [
            {
              field: 'devices[0].services[0].name',
              message: ownRefusal(secretLike, 'media-server'),
            },
            {
              field: 'devices[0].services[0].publicHostname',
              message:
                'is required when distribution is both, for example "media.example.com"',
            },
          ],
        },
      ])(
        'a secret-looking value, refused as such, is not quoted elsewhere: $what',
        ({ input, expected }) => {
          expect(secretProblem(secretLike)).toBeDefined();
          expect(secretProblem(publicSecretLike)).toBeDefined();
          const found = problems(input);
          expect(found).toEqual(expected);
        },
      );
    });

    describe('what parseParameters returns for each device', () => {
      it('aliases default to an empty list, given aliases are kept in order', () => {
        const p = accepted(
          productionWith({
            devices: [nas({ aliases: [' storage', 'backup\t'] }), nvr()],
          }),
        );
        expect(p.devices.map(d => d.aliases)).toEqual([
          ['storage', 'backup'],
          [],
        ]);
      });

      it('every device comes back whole: hostname, normalised MACs, aliases, services with defaults', () => {
        const p = accepted(
          productionWith({
            devices: [
              nas({
                hostname: ' nas ',
                macAddresses: ['00-11-32-AA-BB-CC', '0011.32AA.BBCD'],
              }),
              nvr({ services: [localService('rtsp')] }),
            ],
          }),
        );
        expect(p.devices).toEqual([
          {
            hostname: 'nas',
            macAddresses: ['00:11:32:aa:bb:cc', '00:11:32:aa:bb:cd'],
            aliases: [],
            services: [
              {
                name: 'media',
                port: 8080,
                protocol: 'http',
                distribution: 'both',
                publicHostname: 'media.example.com',
                noTlsVerify: false,
              },
            ],
          },
          {
            hostname: 'nvr',
            macAddresses: ['00:11:32:aa:bb:dd'],
            aliases: [],
            services: [
              {
                name: 'rtsp',
                port: 8080,
                protocol: 'http',
                distribution: 'unifi_only',
                noTlsVerify: false,
              },
            ],
          },
        ]);
      });
    });
  });

  describe('value rules: every message names the rule and a good example', () => {
    /** Every field checked by a value rule, with a way to put a value there. */
    const ruledFields: {
      field: string;
      rule: RuleName;
      place: (v: unknown) => Input;
    }[] = [
      ...(
        [
          ['name', 'name'],
          ['owner', 'entityRef'],
          ['system', 'entityRef'],
          ['description', 'description'],
          ['glueVersion', 'glueVersion'],
          ['zoneName', 'zoneName'],
          ['cloudflareAccountId', 'cloudflareAccountId'],
          ['unifiHost', 'unifiAddress'],
          ['internalDomain', 'internalDomain'],
          ['stateBucket', 'stateBucket'],
          ['stateRegion', 'stateRegion'],
          ['stateKey', 'stateKey'],
          ['dynamodbTable', 'dynamodbTable'],
          ['kmsKeyId', 'kmsKeyId'],
          ['vault', 'vault'],
          ['cloudflareItem', 'itemName'],
          ['unifiItem', 'itemName'],
          ['stateItem', 'itemName'],
        ] as const
      ).map(([field, rule]) => ({
        field,
        rule,
        place: (v: unknown) => productionWith({ [field]: v }),
      })),
      {
        field: 'devices[0].hostname',
        rule: 'hostnameLabel',
        place: v => productionWithServices([service('media')], { hostname: v }),
      },
      {
        field: 'devices[0].macAddresses[0]',
        rule: 'macAddress',
        place: v =>
          productionWithServices([service('media')], { macAddresses: [v] }),
      },
      {
        field: 'devices[1].macAddresses[1]',
        rule: 'macAddress',
        place: v =>
          productionWith({
            devices: [nas(), nvr({ macAddresses: ['00:11:32:aa:bb:01', v] })],
          }),
      },
      {
        field: 'devices[0].aliases[0]',
        rule: 'hostnameLabel',
        // A device name that cannot clash with the hostnameLabel example "media-server".
        place: v =>
          productionWithServices([service('media')], {
            hostname: 'nas-box',
            aliases: [v],
          }),
      },
      {
        field: 'devices[0].services[0].name',
        rule: 'hostnameLabel',
        place: v =>
          productionWithServices(
            [{ name: v, port: 80, distribution: 'unifi_only' }],
            { hostname: 'nas-box' },
          ),
      },
      {
        field: 'devices[0].services[0].publicHostname',
        rule: 'publicHostname',
        place: v =>
          productionWithServices([
            { name: 'media', port: 80, publicHostname: v },
          ]),
      },
      {
        field: 'devices[1].services[1].publicHostname',
        rule: 'publicHostname',
        place: v =>
          productionWith({
            devices: [
              nas({ services: [service('files')] }),
              nvr({
                services: [
                  service('camera'),
                  { name: 'rtsp', port: 80, publicHostname: v },
                ],
              }),
            ],
          }),
      },
    ];

    it.each(ruledFields)(
      '$field: a value against the rule',
      ({ field, rule, place }) => {
        const found = problems(place('bad\u0000value'));
        expect(found).toContainEqual({
          field,
          message: `must be ${rules[rule].rule}, for example "${rules[rule].example}"`,
        });
        // The very sentence the form's errorMessage carries (forms.test.ts checks the forms' side).
        expect(found).toContainEqual({ field, message: ruleMessage(rule) });
      },
    );

    it.each(ruledFields)(
      '$field: a value over the length limit',
      ({ field, rule, place }) => {
        const long = 'a'.repeat(rules[rule].maxLength + 1);
        expect(problems(place(long))).toContainEqual({
          field,
          message: `is ${long.length} characters long, but must be at most ${rules[rule].maxLength} characters: ${rules[rule].rule}, for example "${rules[rule].example}"`,
        });
      },
    );

    it.each(ruledFields)(
      '$field: a value of the wrong type',
      ({ field, rule, place }) => {
        expect(problems(place(42))).toContainEqual({
          field,
          message: `must be a string, for example "${rules[rule].example}"`,
        });
      },
    );

    it.each(ruledFields)(
      '$field: the rule example is accepted',
      ({ rule, place }) => {
        expect(parseParameters(place(rules[rule].example))).toMatchObject({
          success: true,
        });
      },
    );

    it('the description is kept as typed, blanks included (prose, rendered inert)', () => {
      expect(
        accepted(productionWith({ description: '  spaced  out  ' }))
          .description,
      ).toBe('  spaced  out  ');
      expect(
        problems(productionWith({ description: '\tDNS' })).map(p => p.field),
      ).toEqual(['description']);
    });

    it.each(ruledFields.filter(f => f.field !== 'description'))(
      '$field: blanks around the example are trimmed, and the length counts them',
      ({ field, rule, place }) => {
        const at = (p: EnvironmentParameters) => valueAt(p, field);
        const example = rules[rule].example;
        const kept = accepted(place(example));
        const trimmed = accepted(place(` \t${example}\t `));
        expect(at(trimmed)).toEqual(at(kept));
        expect(String(at(trimmed))).not.toMatch(/^[ \t]|[ \t]$/);
        // Up to BLANK_ALLOWANCE blanks beyond the limit are trimmed; one more is refused, as the
        // form's maxLength refuses it.
        const room = rules[rule].maxLength - example.length + BLANK_ALLOWANCE;
        expect(at(accepted(place(`${' '.repeat(room)}${example}`)))).toEqual(
          at(kept),
        );
        expect(
          problems(place(`${' '.repeat(room + 1)}${example}`)),
        ).toContainEqual({
          field,
          message: expect.stringContaining(lengthMessage(rule)),
        });
        // Inner blanks are no surrounding blanks: the rule judges them.
        expect(
          problems(place(`${example.slice(0, 1)} ${example.slice(1)}`)).map(
            p => p.field,
          ),
        ).toContain(field);
      },
    );

    it.each([
      ...['name', 'owner', 'zoneName', 'cloudflareAccountId', 'unifiHost'].map(
        field => [field, productionWith({ [field]: undefined })] as const,
      ),
      [
        'devices[0].hostname',
        productionWithServices([service('media')], { hostname: undefined }),
      ] as const,
      [
        'devices[1].macAddresses[0]',
        productionWith({
          devices: [nas(), nvr({ macAddresses: [undefined] })],
        }),
      ] as const,
      [
        'devices[0].services[0].name',
        productionWithServices([{ port: 80, distribution: 'unifi_only' }]),
      ] as const,
    ])('a missing required %s names an example', (field, input) => {
      const found = problems(input);
      expect(found).toEqual([
        {
          field,
          message: expect.stringMatching(/^is required, for example ".+"$/),
        },
      ]);
    });

    it('enum and port messages name a good value', () => {
      expect(problems(productionWith({ unifiAuth: 'token' }))).toEqual([
        {
          field: 'unifiAuth',
          message:
            'must be one of apiKey, usernamePassword, for example "apiKey"',
        },
      ]);
      expect(
        problems(
          productionWithServices([service('media', { protocol: 'udp' })]),
        ),
      ).toEqual([
        {
          field: 'devices[0].services[0].protocol',
          message: 'must be one of http, https, tcp, for example "http"',
        },
      ]);
      expect(
        problems(
          productionWith({
            devices: [
              nas(),
              nvr({ services: [service('camera', { port: 0 })] }),
            ],
          }),
        ),
      ).toEqual([
        { field: 'devices[1].services[0].port', message: PORT_MESSAGE },
      ]);
      for (const port of [0, 65536, 1.5, '443']) {
        expect(problems(productionWith({ unifiPort: port }))).toEqual([
          {
            field: 'unifiPort',
            message: expect.stringMatching(
              /whole number from 1 to 65535, for example 443$/,
            ),
          },
        ]);
      }
    });
  });

  describe('values as people paste them', () => {
    it.each([
      ['https://10.20.0.1:8443', '10.20.0.1', 8443],
      ['https://10.20.0.1:8443/', '10.20.0.1', 8443],
      ['  https://unifi.example.com:9443/ ', 'unifi.example.com', 9443],
      ['10.20.0.1:8443', '10.20.0.1', 8443],
      ['https://unifi.example.com', 'unifi.example.com', 443],
      ['unifi.internal.lan', 'unifi.internal.lan', 443],
    ])(
      'a controller address %j fills host %s and port %d',
      (unifiHost, host, port) => {
        const p = accepted(productionWith({ unifiHost }));
        expect({ unifiHost: p.unifiHost, unifiPort: p.unifiPort }).toEqual({
          unifiHost: host,
          unifiPort: port,
        });
      },
    );

    it('a controller URL without a port keeps the port field', () => {
      const p = accepted(
        productionWith({
          unifiHost: 'https://unifi.example.com',
          unifiPort: 8443,
        }),
      );
      expect({ unifiHost: p.unifiHost, unifiPort: p.unifiPort }).toEqual({
        unifiHost: 'unifi.example.com',
        unifiPort: 8443,
      });
    });

    it('a controller URL whose port differs from a chosen port field is refused, naming both', () => {
      expect(
        problems(
          productionWith({
            unifiHost: 'https://10.20.0.1:8443',
            unifiPort: 9443,
          }),
        ),
      ).toEqual([
        {
          field: 'unifiHost',
          message:
            'names port 8443, but unifiPort is 9443; keep one of them, for example "10.20.0.1" with unifiPort 9443',
        },
      ]);
      // The same port twice is no conflict.
      expect(
        accepted(
          productionWith({
            unifiHost: 'https://10.20.0.1:8443',
            unifiPort: 8443,
          }),
        ).unifiPort,
      ).toBe(8443);
    });

    it.each([
      'http://10.20.0.1:8443',
      'https://10.20.0.1:8443/manage',
      'https://admin@10.20.0.1',
      'https://10.20.0.1:0',
      'https://Unifi.lan',
    ])(
      'a controller address that is not plainly https://host:port is refused in words: %s',
      unifiHost => {
        expect(problems(productionWith({ unifiHost }))).toEqual([
          { field: 'unifiHost', message: ruleMessage('unifiAddress') },
        ]);
      },
    );

    it.each([
      'AA:BB:CC:DD:EE:FF',
      'aa-bb-cc-dd-ee-ff',
      'AABB.CCDD.EEFF',
      'aabbccddeeff',
      ' aabb.ccdd.eeff\t',
    ])('the MAC address %j is stored lower-case with colons', mac => {
      expect(
        accepted(
          productionWithServices([service('media')], { macAddresses: [mac] }),
        ).devices[0].macAddresses,
      ).toEqual(['aa:bb:cc:dd:ee:ff']);
    });

    it('trims blanks in every text field, devices included, and judges cross-field rules on the trimmed values', () => {
      const p = accepted(
        productionWith({
          name: ' homelab-dns ',
          zoneName: '\texample.com ',
          vault: 'Infrastructure\t',
          stateBucket: ' acme-terraform-state ',
          devices: [
            {
              hostname: ' media-server',
              macAddresses: ['\tAA-BB-CC-DD-EE-FF '],
              aliases: [' jellyfin\t'],
              services: [
                {
                  name: ' media ',
                  port: 80,
                  publicHostname: ' media.example.com\t',
                },
              ],
            },
          ],
        }),
      );
      expect({
        name: p.name,
        zoneName: p.zoneName,
        vault: p.vault,
        stateBucket: p.stateBucket,
      }).toEqual({
        name: 'homelab-dns',
        zoneName: 'example.com',
        vault: 'Infrastructure',
        stateBucket: 'acme-terraform-state',
      });
      expect(p.devices[0]).toMatchObject({
        hostname: 'media-server',
        macAddresses: ['aa:bb:cc:dd:ee:ff'],
        aliases: ['jellyfin'],
      });
      expect(p.devices[0].services[0]).toMatchObject({
        name: 'media',
        publicHostname: 'media.example.com',
      });
      // The clashes are judged on the trimmed values too.
      expect(
        problems(
          productionWith({
            devices: [
              nas({
                aliases: [' storage'],
                macAddresses: ['aa:bb:cc:dd:ee:ff'],
              }),
              nvr({
                macAddresses: ['aa:bb:cc:dd:ee:ff\t'],
                services: [
                  service('storage ', {
                    publicHostname: '\tmedia.example.com',
                  }),
                ],
              }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[1].macAddresses[0]',
          message: `repeats the MAC address aa:bb:cc:dd:ee:ff of device 1 (nas), MAC 1; ${MAC_CLASH}`,
        },
        {
          field: 'devices[1].services[0].name',
          message: `repeats the name "storage" of alias 1 of device 1 (nas); ${LOCAL_NAME_CLASH}`,
        },
        {
          field: 'devices[1].services[0].publicHostname',
          message: `repeats the public hostname media.example.com of device 1 (nas), service 1 (media); ${PUBLIC_CLASH}`,
        },
      ]);
      // The default state key is built from the trimmed name.
      expect(p.stateKey).toBe(
        'unifi-cloudflare-glue/production/homelab-dns/terraform.tfstate',
      );
    });

    it('trims spaces and tabs only: a newline, NBSP or ideographic space at either end is refused', () => {
      for (const zoneName of [
        'example.com\n',
        '\u00a0example.com',
        'example.com\u3000',
        '\r\nexample.com',
      ]) {
        expect(
          problems(productionWith({ zoneName })).map(p => p.field),
        ).toContain('zoneName');
      }
    });

    it('messages quote no pattern', () => {
      const found = problems(
        productionWith({
          zoneName: 'Example.com',
          devices: [nas({ macAddresses: ['aa:bb:cc:dd:ee'] })],
          unifiHost: 'http://x',
          stateRegion: 'eu',
          dynamodbTable: 'a/b',
        }),
      );
      expect(found.map(p => p.field).sort()).toEqual([
        'devices[0].macAddresses[0]',
        'dynamodbTable',
        'stateRegion',
        'unifiHost',
        'zoneName',
      ]);
      for (const { message } of found) {
        expect(message).toMatch(/, for example "/);
        expect(message).not.toMatch(/[\^$\\]|\(\?|\{\d|must match/);
      }
    });
  });

  describe('UniFi site and per-service TLS verification', () => {
    it('keeps a chosen UniFi site, trimmed', () => {
      expect(
        accepted(productionWith({ unifiSite: ' x1y2z3w4 ' })).unifiSite,
      ).toBe('x1y2z3w4');
    });

    it('refuses a site name that is no short name, in words', () => {
      expect(problems(productionWith({ unifiSite: 'My Site' }))).toEqual([
        { field: 'unifiSite', message: ruleMessage('unifiSite') },
      ]);
    });

    it.each(ENVIRONMENTS_FOR_TLS)(
      "%s: an https service through the tunnel may skip its origin's TLS check",
      env => {
        const input = structuredClone(canonicalValues[env]) as Input;
        (input.devices as Input[])[0].services = [
          {
            name: 'admin',
            port: 5001,
            protocol: 'https',
            publicHostname: `admin.${input.zoneName}`,
            noTlsVerify: true,
          },
        ];
        expect(accepted(input).devices[0].services[0]).toMatchObject({
          name: 'admin',
          noTlsVerify: true,
        });
      },
    );

    it('refuses it on an http service and on a local-only one, saying why', () => {
      expect(
        problems(
          productionWith({
            devices: [
              nas({ services: [service('media', { noTlsVerify: true })] }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[0].services[0].noTlsVerify',
          message: expect.stringMatching(
            /^applies only to https services \(this one speaks http\).*for example/,
          ),
        },
      ]);
      expect(
        problems(
          productionWith({
            devices: [
              nas(),
              nvr({
                services: [
                  service('admin', {
                    protocol: 'https',
                    distribution: 'unifi_only',
                    publicHostname: undefined,
                    noTlsVerify: true,
                  }),
                ],
              }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'devices[1].services[0].noTlsVerify',
          message: expect.stringMatching(
            /^applies only to services published through the Cloudflare Tunnel.*for example/,
          ),
        },
      ]);
    });

    it('refuses a noTlsVerify that is not a boolean', () => {
      expect(
        problems(
          productionWithServices([
            service('admin', { protocol: 'https', noTlsVerify: 'yes' }),
          ]),
        ),
      ).toEqual([
        {
          field: 'devices[0].services[0].noTlsVerify',
          message: 'must be true or false',
        },
      ]);
    });
  });

  describe('hostile values', () => {
    const hostile = [
      '"',
      "'",
      'a"b',
      "a'b",
      '$(id)',
      '`id`',
      'a$(id)',
      'a`id`',
      'a\nb',
      'media\n',
      '\nmedia',
      'a\rb',
      'a\u0000',
      '{{ 7*7 }}',
      '${{ secrets.TOKEN }}',
      '${x}',
      '%{x}',
      '"; rm -rf / #',
      '; rm -rf /',
      'a b',
      'a\\b',
      '\u202emedia',
      'media\u2028',
    ];
    // Values that are bad only on their own (prefixed with a good value they can become valid, e.g. "x../x").
    const standalone = ['', ' ', '../x', 'a/../b', '/etc/passwd'];

    const fields: [string, (v: string) => Input][] = [
      ...[
        'name',
        'owner',
        'system',
        'glueVersion',
        'zoneName',
        'cloudflareAccountId',
        'unifiHost',
        'internalDomain',
        'stateBucket',
        'stateRegion',
        'stateKey',
        'dynamodbTable',
        'kmsKeyId',
        'vault',
        'cloudflareItem',
        'unifiItem',
        'stateItem',
      ].map(
        field =>
          [field, (v: string) => productionWith({ [field]: v })] as [
            string,
            (v: string) => Input,
          ],
      ),
      [
        'devices[0].hostname',
        v => productionWithServices([service('media')], { hostname: v }),
      ],
      [
        'devices[0].macAddresses[0]',
        v => productionWithServices([service('media')], { macAddresses: [v] }),
      ],
      [
        'devices[0].aliases[0]',
        v => productionWithServices([service('media')], { aliases: [v] }),
      ],
      [
        'devices[1].hostname',
        v => productionWith({ devices: [nas(), nvr({ hostname: v })] }),
      ],
      [
        'devices[0].services[0].name',
        v =>
          productionWithServices([
            { name: v, port: 80, distribution: 'unifi_only' },
          ]),
      ],
      [
        'devices[0].services[0].publicHostname',
        v =>
          productionWithServices([
            { name: 'media', port: 80, publicHostname: v },
          ]),
      ],
    ];

    // Hostile text appended to or wrapped around a good value must not slip past an anchor.
    const around = (good: string) => [
      ...standalone,
      ...hostile.flatMap(h => [h, `${good}${h}`, `${h}${good}`]),
    ];

    it.each(fields)(
      '%s rejects every hostile value with a rule message',
      (field, place) => {
        const good = field.endsWith('publicHostname')
          ? 'media.example.com'
          : 'x';
        const leaks: string[] = [];
        for (const value of around(good)) {
          const result = parseParameters(place(value));
          const mine = result.success
            ? []
            : result.problems.filter(p => p.field === field);
          if (
            mine.length === 0 ||
            !mine.every(p => p.message.includes('for example "'))
          )
            leaks.push(JSON.stringify(value));
        }
        expect(leaks).toEqual([]);
      },
    );

    it.each([
      '"; rm -rf / #',
      '{{ 7*7 }}',
      '${{ secrets.TOKEN }}',
      '$(id) `id` ${x} %{x}',
      "it's <b>bold</b> & 'quoted'",
      'Ünïcödé 😀 中文',
    ])('description accepts printable text %j as is', description => {
      expect(accepted(productionWith({ description })).description).toBe(
        description,
      );
    });

    it.each([
      'a\nb',
      'a\rb',
      'a\u0000b',
      'a\tb',
      '\u001b[31mred',
      'a\u0085b',
      'abc\u202edef',
      'a\u2066b\u2069',
      'a\u200fb',
      'a\u2028b',
      'a\u2029b',
    ])('description rejects %j', description => {
      expect(problems(productionWith({ description }))).toEqual([
        {
          field: 'description',
          message: `must be ${rules.description.rule}, for example "${rules.description.example}"`,
        },
      ]);
    });
  });
});

describe('fieldPath', () => {
  it.each([
    [[], '(input)'],
    [['name'], 'name'],
    [
      ['devices', 0, 'services', 1, 'publicHostname'],
      'devices[0].services[1].publicHostname',
    ],
    [['devices', 0, 'macAddresses', 0], 'devices[0].macAddresses[0]'],
    [['devices', 2, 'aliases', 0], 'devices[2].aliases[0]'],
    [['devices', 1], 'devices[1]'],
    [[3], '[3]'],
  ] as [(string | number)[], string][])('%j is %s', (path, text) => {
    expect(fieldPath(path)).toBe(text);
  });
});

describe('describeProblems', () => {
  it('lists every problem on its own line', () => {
    expect(
      describeProblems([
        {
          field: 'name',
          message: 'is required, for example "homelab-dns-dev"',
        },
        {
          field: 'devices[0].services[0].port',
          message: 'must be a whole number from 1 to 65535, for example 443',
        },
      ]),
    ).toBe(
      'The environment parameters have 2 problem(s):\n- name is required, for example "homelab-dns-dev"\n- devices[0].services[0].port must be a whole number from 1 to 65535, for example 443',
    );
  });
});
