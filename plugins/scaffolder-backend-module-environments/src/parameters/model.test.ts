import { canonicalValues } from '../__testUtils__/values';
import {
  describeProblems,
  EnvironmentParameters,
  fieldPath,
  MAX_SERVICES,
  ParameterProblem,
  parameterShape,
  parseParameters,
} from './model';
import {
  BLANK_ALLOWANCE,
  lengthMessage,
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

describe('parseParameters', () => {
  describe('accepts a complete parameter set and fills defaults', () => {
    const minimal = (env: 'development' | 'staging' | 'production'): Input => ({
      environment: env,
      name: 'homelab-dns',
      owner: 'group:default/platform-team',
      zoneName: 'example.com',
      cloudflareAccountId: '0123456789abcdef0123456789abcdef',
      unifiHost: 'unifi.internal.lan',
      deviceHostname: 'media-server',
      deviceMac: 'aa:bb:cc:dd:ee:ff',
      services: [
        { name: 'jellyfin', port: 8096, publicHostname: 'media.example.com' },
      ],
      ...(env === 'development'
        ? {}
        : { stateBucket: 'acme-terraform-state', stateRegion: 'eu-central-1' }),
      ...(env === 'production'
        ? { vault: 'Infrastructure', dynamodbTable: 'terraform-state-locks' }
        : {}),
    });

    it.each(['development', 'staging', 'production'] as const)(
      'the canonical %s values',
      env => {
        const p = accepted(canonicalValues[env]);
        expect(p.environment).toBe(env);
        expect(p.name).toBe(canonicalValues[env].name);
        expect(p.deviceMac).toBe('aa:bb:cc:dd:ee:ff');
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
        expect(p.services).toEqual([
          {
            name: 'jellyfin',
            port: 8096,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'media.example.com',
            noTlsVerify: false,
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
      expect(accepted(productionWith({ deviceMac: mac })).deviceMac).toBe(
        'aa:bb:cc:dd:ee:ff',
      );
    });

    it('accepts 20 services and a publicHostname equal to the zone apex', () => {
      const services = Array.from({ length: MAX_SERVICES }, (_, i) =>
        service(`svc-${i}`),
      );
      expect(accepted(productionWith({ services })).services).toHaveLength(20);
      expect(
        accepted(
          productionWith({
            services: [service('apex', { publicHostname: 'example.com' })],
          }),
        ).services,
      ).toHaveLength(1);
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
            productionWith({
              services: [service('media', { publicHostname: host })],
            }),
          ),
        ).toEqual([
          {
            field: 'services[0].publicHostname',
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
            productionWith({
              services: [
                service('a'),
                { name: 'media', port: 80, distribution },
              ],
            }),
          ),
        ).toEqual([
          {
            field: 'services[1].publicHostname',
            message: `is required when distribution is ${distribution}, for example "media.example.com"`,
          },
        ]);
      },
    );

    it('publicHostname missing with the default distribution (both)', () => {
      expect(
        problems(productionWith({ services: [{ name: 'media', port: 80 }] })),
      ).toEqual([
        {
          field: 'services[0].publicHostname',
          message:
            'is required when distribution is both, for example "media.example.com"',
        },
      ]);
    });

    it('publicHostname on a unifi_only service', () => {
      expect(
        problems(
          productionWith({
            services: [service('media', { distribution: 'unifi_only' })],
          }),
        ),
      ).toEqual([
        {
          field: 'services[0].publicHostname',
          message:
            'is only used when distribution is both or cloudflare_only; remove it',
        },
      ]);
    });

    it('duplicate service names', () => {
      expect(
        problems(
          productionWith({
            services: [
              service('a'),
              service('media'),
              service('media', { publicHostname: 'm2.example.com' }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'services[2].name',
          message:
            'repeats the name of service 2; service names must be unique',
        },
      ]);
    });

    it('duplicate public hostnames', () => {
      expect(
        problems(
          productionWith({
            services: [
              service('a', { publicHostname: 'x.example.com' }),
              service('b', { publicHostname: 'x.example.com' }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'services[1].publicHostname',
          message:
            'repeats the public hostname of service 1; public hostnames must be unique',
        },
      ]);
    });

    it('service name equal to deviceHostname', () => {
      expect(
        problems(productionWith({ services: [service('media-server')] })),
      ).toEqual([
        {
          field: 'services[0].name',
          message:
            'must differ from deviceHostname: both become names in the internal domain',
        },
      ]);
    });

    it('internal hostname longer than 253 characters', () => {
      const label = (c: string) => c.repeat(63);
      const internalDomain = `${label('a')}.${label('b')}.${label('c')}.${'d'.repeat(61)}`; // 253 characters
      expect(internalDomain).toHaveLength(253);
      expect(
        problems(
          productionWith({ internalDomain, services: [service('media')] }),
        ),
      ).toEqual([
        {
          field: 'services[0].name',
          message:
            'makes the internal hostname 259 characters long; the limit is 253',
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

    it('unknown keys at the top level and in a service', () => {
      const top = problems(productionWith({ colour: 'blue', extra: 1 }));
      expect(top).toEqual([
        {
          field: '(input)',
          message: `has unknown field(s) colour, extra; the accepted fields are ${Object.keys(parameterShape).join(', ')}`,
        },
      ]);
      expect(top[0].message).toContain('deviceMac');
      expect(
        problems(
          productionWith({ services: [service('media', { weight: 1 })] }),
        ),
      ).toEqual([
        expect.objectContaining({
          field: 'services[0]',
          message: expect.stringMatching(/^has unknown field\(s\) weight;/),
        }),
      ]);
    });

    // Genuine defect: parseParameters rewrites every unrecognized_keys issue with the top-level
    // field list, so an unknown key in a service is answered with "the accepted fields are
    // environment, targetPath, name, ..." instead of the service's own fields.
    it('an unknown key in a service lists the fields a service accepts', () => {
      const [found] = problems(
        productionWith({ services: [service('media', { weight: 1 })] }),
      );
      expect(found.message).toBe(
        'has unknown field(s) weight; the accepted fields are name, port, protocol, distribution, publicHostname, noTlsVerify',
      );
    });

    it('0 services', () => {
      expect(problems(productionWith({ services: [] }))).toEqual([
        {
          field: 'services',
          message:
            'must hold at least one service, for example {name: "media", port: 8096}',
        },
      ]);
    });

    it('21 services', () => {
      const services = Array.from({ length: MAX_SERVICES + 1 }, (_, i) =>
        service(`svc-${i}`),
      );
      expect(problems(productionWith({ services }))).toEqual([
        {
          field: 'services',
          message:
            'must hold at most 20 services; for example, put the others in a second environment',
        },
      ]);
    });

    it('reports every problem of an input at once', () => {
      const found = problems({
        ...staging(),
        name: 'Bad_Name',
        deviceMac: 'not-a-mac',
        skipTlsVerify: true,
        stateBucket: undefined,
        vault: 'Infrastructure',
        services: [
          service('media', { publicHostname: 'media.example.org' }),
          service('media', { publicHostname: 'm.staging.example.com' }),
        ],
      });
      expect(found).toEqual([
        {
          field: 'name',
          message: `must be ${rules.name.rule}, for example "homelab-dns-dev"`,
        },
        {
          field: 'deviceMac',
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
          field: 'services[0].publicHostname',
          message:
            'must lie inside the zone staging.example.com, for example "media.staging.example.com"',
        },
        {
          field: 'services[1].name',
          message:
            'repeats the name of service 1; service names must be unique',
        },
      ]);
      const text = describeProblems(found);
      expect(text.split('\n')[0]).toBe(
        'The environment parameters have 7 problem(s):',
      );
      expect(text).toContain(
        '\n- services[1].name repeats the name of service 1; service names must be unique',
      );
    });

    it('reports type errors and rule errors together', () => {
      const found = problems({
        ...production(),
        environment: 'qa',
        unifiPort: 70000,
        name: 'x y',
        services: 'media',
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
          { field: 'services', message: 'must be a list of 1 to 20 services' },
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
          ['deviceHostname', 'hostnameLabel'],
          ['deviceMac', 'macAddress'],
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
        field: 'services[0].name',
        rule: 'hostnameLabel',
        // A device name that cannot clash with the hostnameLabel example "media-server".
        place: v =>
          productionWith({
            deviceHostname: 'nas-box',
            services: [{ name: v, port: 80, distribution: 'unifi_only' }],
          }),
      },
      {
        field: 'services[0].publicHostname',
        rule: 'publicHostname',
        place: v =>
          productionWith({
            services: [{ name: 'media', port: 80, publicHostname: v }],
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
        const at = (p: EnvironmentParameters) =>
          field.startsWith('services[0].')
            ? (p.services[0] as Record<string, unknown>)[
                field.slice('services[0].'.length)
              ]
            : (p as unknown as Record<string, unknown>)[field];
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
      'name',
      'owner',
      'zoneName',
      'cloudflareAccountId',
      'unifiHost',
      'deviceHostname',
      'deviceMac',
    ])('a missing required %s names an example', field => {
      const found = problems(productionWith({ [field]: undefined }));
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
          productionWith({ services: [service('media', { protocol: 'udp' })] }),
        ),
      ).toEqual([
        {
          field: 'services[0].protocol',
          message: 'must be one of http, https, tcp, for example "http"',
        },
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
    ])('the MAC address %j is stored lower-case with colons', deviceMac => {
      expect(accepted(productionWith({ deviceMac })).deviceMac).toBe(
        'aa:bb:cc:dd:ee:ff',
      );
    });

    it('trims blanks in every text field, services included, and judges cross-field rules on the trimmed values', () => {
      const p = accepted(
        productionWith({
          name: ' homelab-dns ',
          zoneName: '\texample.com ',
          deviceHostname: ' media-server',
          vault: 'Infrastructure\t',
          stateBucket: ' acme-terraform-state ',
          services: [
            {
              name: ' media ',
              port: 80,
              publicHostname: ' media.example.com\t',
            },
          ],
        }),
      );
      expect({
        name: p.name,
        zoneName: p.zoneName,
        deviceHostname: p.deviceHostname,
        vault: p.vault,
        stateBucket: p.stateBucket,
      }).toEqual({
        name: 'homelab-dns',
        zoneName: 'example.com',
        deviceHostname: 'media-server',
        vault: 'Infrastructure',
        stateBucket: 'acme-terraform-state',
      });
      expect(p.services[0]).toMatchObject({
        name: 'media',
        publicHostname: 'media.example.com',
      });
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
          deviceMac: 'aa:bb:cc:dd:ee',
          unifiHost: 'http://x',
          stateRegion: 'eu',
          dynamodbTable: 'a/b',
        }),
      );
      expect(found.map(p => p.field).sort()).toEqual([
        'deviceMac',
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
        input.services = [
          {
            name: 'admin',
            port: 5001,
            protocol: 'https',
            publicHostname: `admin.${input.zoneName}`,
            noTlsVerify: true,
          },
        ];
        expect(accepted(input).services[0]).toMatchObject({
          name: 'admin',
          noTlsVerify: true,
        });
      },
    );

    it('refuses it on an http service and on a local-only one, saying why', () => {
      expect(
        problems(
          productionWith({
            services: [service('media', { noTlsVerify: true })],
          }),
        ),
      ).toEqual([
        {
          field: 'services[0].noTlsVerify',
          message: expect.stringMatching(
            /^applies only to https services \(this one speaks http\).*for example/,
          ),
        },
      ]);
      expect(
        problems(
          productionWith({
            services: [
              service('admin', {
                protocol: 'https',
                distribution: 'unifi_only',
                publicHostname: undefined,
                noTlsVerify: true,
              }),
            ],
          }),
        ),
      ).toEqual([
        {
          field: 'services[0].noTlsVerify',
          message: expect.stringMatching(
            /^applies only to services published through the Cloudflare Tunnel.*for example/,
          ),
        },
      ]);
    });

    it('refuses a noTlsVerify that is not a boolean', () => {
      expect(
        problems(
          productionWith({
            services: [
              service('admin', { protocol: 'https', noTlsVerify: 'yes' }),
            ],
          }),
        ),
      ).toEqual([
        { field: 'services[0].noTlsVerify', message: 'must be true or false' },
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
        'deviceHostname',
        'deviceMac',
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
        'services[0].name',
        v =>
          productionWith({
            services: [{ name: v, port: 80, distribution: 'unifi_only' }],
          }),
      ],
      [
        'services[0].publicHostname',
        v =>
          productionWith({
            services: [{ name: 'media', port: 80, publicHostname: v }],
          }),
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
    [['services', 1, 'publicHostname'], 'services[1].publicHostname'],
    [['services', 0], 'services[0]'],
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
          field: 'services[0].port',
          message: 'must be a whole number from 1 to 65535, for example 443',
        },
      ]),
    ).toBe(
      'The environment parameters have 2 problem(s):\n- name is required, for example "homelab-dns-dev"\n- services[0].port must be a whole number from 1 to 65535, for example 443',
    );
  });
});
