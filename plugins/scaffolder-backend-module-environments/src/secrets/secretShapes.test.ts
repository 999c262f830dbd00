import fc from 'fast-check';
import { buildContext } from '../kits/context';
import {
  DISTRIBUTIONS,
  ENVIRONMENTS,
  Environment,
  parseParameters,
} from '../parameters/model';
import { repositorySlug } from '../parameters/repoUrl';
import { matchesRule, RuleName } from '../parameters/fieldRules';
import { loadTestKits } from '../__testUtils__/kits';
import { canonicalValues } from '../__testUtils__/values';
import { secretProblem } from './formValues';
import { plaintextSecrets } from './rules/plaintextSecrets';
import { inputFromFiles } from './validationInput';
import { findSecrets, formValueSecret } from './secretShapes';

/*
 * Finding 3 of issue 18: valid names such as homelab-k8s made production's secrets check flag
 * the kit's own default state key as "a high-entropy string". The claim here: no parameter set
 * the model accepts, in any environment, renders a file in which the plaintext-secrets detector
 * finds anything; and the model refuses, in every environment, what the detector would flag.
 */

// Fake secrets assembled at run time, so this file does not itself look like a leak to scanners.
const AWS_KEY_ID = ['AKIA', 'Z7QW3KXNP5LMR2TV'].join('');
const GITHUB_TOKEN = ['ghp_', 'R8kz2LqW9mXv4TnB7cYd3FhJ6pQs1GaE5uKx'].join('');
const CF_TOKEN = [
  'Yh3kR9pL',
  'x2Vn7QwT',
  '5mBz_8cJ',
  'd4Fs-6gH',
  'a1Ke0uWy',
].join('');
const AWS_EXAMPLE_SECRET = [
  'wJalrXUtnFEMI',
  'K7MDENG',
  'bPxRfiCYEXAMPLEKEY',
].join('/');

/** Values of a rule: generated from a pattern without lookarounds, or any listed generator, kept only when the rule accepts them. */
function ruled(
  rule: RuleName,
  ...arbitraries: fc.Arbitrary<string>[]
): fc.Arbitrary<string> {
  return fc.oneof(...arbitraries).filter(v => matchesRule(rule, v));
}

/** Words joined by hyphens, optionally numbered: how people name things (homelab-k8s, lab-k3s, dns2b). */
const word = fc.stringMatching(/^[a-z]{1,9}[0-9]{0,3}[a-z]{0,3}$/);
const wordy = (separator: string, max = 4) =>
  fc.array(word, { minLength: 1, maxLength: max }).map(w => w.join(separator));
const label = ruled(
  'hostnameLabel',
  wordy('-'),
  fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/),
  fc.constantFrom('0x10', 'k8s', 'k3s-2', 'x1'),
);
const name = ruled(
  'name',
  wordy('-'),
  fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/),
  fc.constantFrom('homelab-k8s', 'home-k8s', 'lab-k3s', 'homelab-dns2b'),
);
const mixedWord = fc.stringMatching(/^[A-Za-z][a-z]{0,8}[0-9]{0,4}$/);
const entityName = ruled(
  'entityRef',
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}[A-Za-z0-9]$/),
  fc.array(mixedWord, { minLength: 1, maxLength: 3 }).map(w => w.join('-')),
);
const domain = ruled(
  'zoneName',
  fc
    .array(label, { minLength: 1, maxLength: 3 })
    .map(l => `${l.join('.')}.example`),
);
/** A MAC address in each notation the model accepts, either case. */
const mac = fc.oneof(
  fc.stringMatching(/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/),
  fc.stringMatching(/^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}$/),
  fc.stringMatching(/^[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2}$/),
  fc.stringMatching(/^[0-9A-Fa-f]{12}$/),
);
/**
 * A device's shape: its MAC addresses, how many aliases it has and the distribution of each of
 * its services. The names come from one list of unique labels (see `localNames`), because a name
 * used twice in the local domain is refused for that reason alone.
 */
const device = fc.record({
  macAddresses: fc.array(mac, { minLength: 1, maxLength: 3 }),
  aliases: fc.nat({ max: 2 }),
  services: fc.array(fc.constantFrom(...DISTRIBUTIONS), {
    minLength: 1,
    maxLength: 2,
  }),
});
const MAX_GENERATED_DEVICES = 3;
/** Enough names for every hostname, alias and service name of the generated devices. */
const LOCAL_NAMES = MAX_GENERATED_DEVICES * (1 + 2 + 2);
const printable = fc.string({
  unit: fc.constantFrom(
    ...' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@#!?()[]*`~<>|&"\'+=%$'.split(
      '',
    ),
  ),
  maxLength: 120,
});

const production = fc.record({
  name,
  owner: entityName
    .map(n => `group:default/${n}`)
    .filter(v => matchesRule('entityRef', v)),
  system: fc.option(entityName, { nil: undefined }),
  description: fc.option(
    ruled(
      'description',
      printable,
      fc.array(word, { maxLength: 12 }).map(w => w.join(' ')),
    ),
    { nil: undefined },
  ),
  zoneName: domain,
  cloudflareAccountId: fc.stringMatching(/^[0-9a-f]{32}$/),
  unifiHost: ruled(
    'unifiHost',
    domain,
    fc.constantFrom('192.168.1.1', 'unifi'),
  ),
  internalDomain: ruled('internalDomain', fc.constant('internal.lan'), domain),
  devices: fc.array(device, {
    minLength: 1,
    maxLength: MAX_GENERATED_DEVICES,
  }),
  localNames: fc.uniqueArray(label, {
    minLength: LOCAL_NAMES,
    maxLength: LOCAL_NAMES,
  }),
  stateBucket: ruled(
    'stateBucket',
    wordy('-', 3),
    fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,30}[a-z0-9]$/),
  ),
  stateKey: fc.option(
    ruled(
      'stateKey',
      fc
        .array(
          fc.oneof(
            wordy('-', 3),
            mixedWord,
            fc.stringMatching(/^[A-Za-z0-9._-]{1,24}$/),
          ),
          { minLength: 1, maxLength: 5 },
        )
        .map(p => p.join('/')),
    ),
    { nil: undefined },
  ),
  dynamodbTable: ruled(
    'dynamodbTable',
    wordy('-', 3),
    wordy('_', 3),
    fc.stringMatching(/^[A-Za-z0-9_.-]{3,40}$/),
  ),
  vault: ruled(
    'vault',
    mixedWord,
    fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,20}[A-Za-z0-9])?$/),
  ),
  cloudflareItem: ruled(
    'itemName',
    wordy('-', 2),
    fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,20}[A-Za-z0-9])?$/),
  ),
  repoOwner: fc.oneof(
    mixedWord,
    fc.array(mixedWord, { minLength: 1, maxLength: 3 }).map(w => w.join('')),
  ),
  repoName: fc.oneof(
    name,
    fc.array(mixedWord, { minLength: 1, maxLength: 4 }).map(w => w.join('')),
  ),
});

type Generated = typeof production extends fc.Arbitrary<infer T> ? T : never;

/** The generated devices, named from the unique labels in turn; aliases only when there are any. */
function devicesFor(v: Generated) {
  const names = [...v.localNames];
  const take = () => names.shift()!;
  return v.devices.map(d => ({
    hostname: take(),
    macAddresses: d.macAddresses,
    ...(d.aliases > 0
      ? { aliases: Array.from({ length: d.aliases }, take) }
      : {}),
    services: d.services.map(distribution => {
      const serviceName = take();
      return {
        name: serviceName,
        port: 8096,
        protocol: 'http',
        distribution,
        ...(distribution === 'unifi_only'
          ? {}
          : { publicHostname: `${serviceName}.${v.zoneName}` }),
      };
    }),
  }));
}

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

function inputFor(environment: Environment, v: Generated) {
  const base: Record<string, unknown> = { ...canonicalValues[environment] };
  Object.assign(base, {
    name: v.name,
    owner: v.owner,
    zoneName: v.zoneName,
    cloudflareAccountId: v.cloudflareAccountId,
    unifiHost: v.unifiHost,
    internalDomain: v.internalDomain,
    devices: devicesFor(v),
    repoUrl: `github.com?owner=${v.repoOwner}&repo=${v.repoName}`,
  });
  if (v.system !== undefined) base.system = v.system;
  if (v.description !== undefined) base.description = v.description;
  if (environment !== 'development') {
    base.stateBucket = v.stateBucket;
    if (v.stateKey !== undefined) base.stateKey = v.stateKey;
  }
  if (environment === 'production') {
    Object.assign(base, {
      dynamodbTable: v.dynamodbTable,
      vault: v.vault,
      cloudflareItem: v.cloudflareItem,
    });
  }
  return base;
}

describe('secret shapes', () => {
  it('finds real secret shapes in a line, and the model refuses them in every field', () => {
    for (const secret of [
      AWS_KEY_ID,
      GITHUB_TOKEN,
      CF_TOKEN,
      AWS_EXAMPLE_SECRET,
    ]) {
      expect(findSecrets(`x ${secret} y`)).toHaveLength(1);
      expect(formValueSecret(secret)).toBeDefined();
      expect(secretProblem(secret)).not.toContain(secret.slice(0, 5));
    }
  });

  it('does not flag the names of issue 18 inside the default state key', () => {
    for (const n of ['homelab-k8s', 'home-k8s', 'lab-k3s', 'homelab-dns2b']) {
      expect(
        findSecrets(
          `key: "unifi-cloudflare-glue/production/${n}/terraform.tfstate"`,
        ),
      ).toEqual([]);
      expect(formValueSecret(n)).toBeUndefined();
    }
  });

  it('judges the owner/repo slug the kits write on its own (a counterexample CI found)', () => {
    const input = {
      ...canonicalValues.development,
      repoUrl: 'github.com?owner=A6adaje6601&repo=Bcarofaro233C04Ag257hosbsrki',
    };
    expect(
      findSecrets(
        'github.com/project-slug: "A6adaje6601/Bcarofaro233C04Ag257hosbsrki"',
      ),
    ).toHaveLength(1);
    expect(parseParameters(input)).toMatchObject({
      success: false,
      problems: [{ field: 'repoUrl' }],
    });
    expect(
      parseParameters({
        ...input,
        repoUrl: 'github.com?owner=acme&repo=homelab-dns',
      }).success,
    ).toBe(true);
  });

  /**
   * What the property checks for one generated parameter set: a refusal for a secret-looking
   * value names a value the detector does flag; an accepted set renders files the detector and
   * (in production) the plaintext-secrets rule find nothing in.
   */
  async function judge(
    kits: Awaited<ReturnType<typeof loadTestKits>>,
    environment: Environment,
    values: Generated,
  ) {
    const parsed = parseParameters(inputFor(environment, values));
    if (!parsed.success) {
      const input = inputFor(environment, values);
      const unflaggedRefusals = parsed.problems
        .filter(p => /looks like it holds/.test(p.message))
        .filter(problem => {
          const value = valueAt(input, problem.field);
          // repoUrl is judged as given and as the owner/repo slug the kits write on its own.
          const judged =
            problem.field === 'repoUrl'
              ? [value, repositorySlug(value as string)]
              : [value];
          return !judged.some(
            v => typeof v === 'string' && formValueSecret(v) !== undefined,
          );
        })
        .map(p => `${p.field}: ${p.message}`);
      return {
        accepted: false,
        problems: { unflaggedRefusals, findings: [], violations: [] },
      };
    }
    const files = kits.render(
      environment,
      buildContext(parsed.parameters, {
        name: `template:default/${environment}-environment`,
        version: '0.0.0',
      }),
    );
    const findings = files.flatMap(f =>
      f.content
        .split('\n')
        .flatMap((line, i) =>
          findSecrets(line).map(
            x => `${f.path}:${i + 1} ${x.what}: ${line.slice(0, 160)}`,
          ),
        ),
    );
    const violations =
      environment === 'production'
        ? await plaintextSecrets(
            inputFromFiles(
              Object.fromEntries(files.map(f => [f.path, f.content])),
              {
                vault: parsed.parameters.vault!,
                provider: parsed.parameters.secretsProvider!,
                items: {
                  cloudflare: parsed.parameters.cloudflareItem!,
                  unifi: parsed.parameters.unifiItem!,
                  state: parsed.parameters.stateItem!,
                },
              },
            ),
          )
        : [];
    return {
      accepted: true,
      problems: { unflaggedRefusals: [] as string[], findings, violations },
    };
  }

  it('property: no value the model accepts makes any rendered file trip the detector, in any environment', async () => {
    const kits = await loadTestKits();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        production,
        fc.constantFrom(...ENVIRONMENTS),
        async (values, environment) => {
          const verdict = await judge(kits, environment, values);
          if (verdict.accepted) accepted++;
          expect(verdict.problems).toEqual({
            unflaggedRefusals: [],
            findings: [],
            violations: [],
          });
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 400), examples: [] },
    );
    // Not vacuous: most generated parameter sets are valid.
    expect(accepted).toBeGreaterThan(
      Number(process.env.PROPERTY_RUNS ?? 400) / 2,
    );
  });
});
