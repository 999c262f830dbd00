/**
 * Keeps the three template.yaml forms (and the upgrade form's services) and the parameter model
 * in step.
 *
 * The forms are checked by JSON Schema (in the browser, and by the scaffolder backend with
 * the `jsonschema` package when a task is created), the render action by the zod model. A
 * value the form accepts but the model rejects fails the task after the developer pressed
 * Create; a value the form rejects but the model accepts is a needless dead end. So every
 * field's verdict on a table of good and hostile values must be the same in both, and what the
 * Create page says about a refused value must be the model's sentence, never a regular expression.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Schema, validate } from 'jsonschema';
import { parse } from 'yaml';
import { canonicalValues } from '../__testUtils__/values';
import { mergeFormValues } from '../kits/render';
import {
  ALIASES_MAX_MESSAGE,
  DEVICES_MAX_MESSAGE,
  DEVICES_MIN_MESSAGE,
  ENVIRONMENTS,
  Environment,
  MACS_MAX_MESSAGE,
  MACS_MIN_MESSAGE,
  MAX_ALIASES,
  MAX_DEVICES,
  MAX_MACS,
  MAX_SERVICES,
  parameterShape,
  parseParameters,
  SERVICES_MAX_MESSAGE,
  SERVICES_MIN_MESSAGE,
} from './model';
import {
  BLANK_ALLOWANCE,
  formMaxLength,
  formPattern,
  lengthMessage,
  matchesRule,
  PORT_MESSAGE,
  RuleName,
  ruleMessage,
  rules,
  ValueRule,
} from './fieldRules';

type Json = Record<string, any>;
type Values = Record<string, any>;

const TEMPLATES_ROOT = path.resolve(__dirname, '../../../../templates');

function loadTemplate(name: string): Json {
  const file = path.join(TEMPLATES_ROOT, name, 'template.yaml');
  return parse(readFileSync(file, 'utf8'));
}

const templates = Object.fromEntries(
  ENVIRONMENTS.map(env => [env, loadTemplate(`${env}-environment`)]),
) as Record<Environment, Json>;
const upgradeTemplate = loadTemplate('upgrade-environment');

function pages(template: Json): Json[] {
  return template.spec.parameters;
}

/**
 * The top-level form fields of a template, by name: each page's properties plus the fields
 * that `dependencies` branches add (the branch copies of the field they depend on are only
 * discriminators and are skipped).
 */
function formFields(template: Json): Map<string, Json> {
  const fields = new Map<string, Json>();
  for (const page of pages(template)) {
    for (const [name, schema] of Object.entries<Json>(page.properties ?? {}))
      fields.set(name, schema);
  }
  for (const page of pages(template)) {
    for (const dependency of Object.values<Json>(page.dependencies ?? {})) {
      for (const branch of dependency.oneOf ?? []) {
        for (const [name, schema] of Object.entries<Json>(
          branch.properties ?? {},
        )) {
          if (!(name in (page.properties ?? {}))) fields.set(name, schema);
        }
      }
    }
  }
  return fields;
}

/**
 * A field's schema by its form path: `devices[].services[].name` reaches into the device items,
 * then into their service items; a trailing `[]` (`devices[].macAddresses[]`) is the schema of
 * one entry of a list.
 */
function fieldSchema(template: Json, field: string): Json | undefined {
  const [top, ...rest] = field.split('.');
  let schema = formFields(template).get(top.replace(/\[\]$/, ''));
  if (top.endsWith('[]')) schema = schema?.items;
  for (const part of rest) {
    schema = schema?.properties?.[part.replace(/\[\]$/, '')];
    if (part.endsWith('[]')) schema = schema?.items;
  }
  return schema;
}

/** The schema of one service of a device. */
function serviceItems(template: Json): Json {
  return fieldSchema(template, 'devices[].services[]')!;
}

/**
 * Every field of a form by its path, nested ones included: the fields of the objects in a list
 * (`devices[].hostname`) and the entries of a list of values (`devices[].macAddresses[]`).
 */
function allFields(template: Json): [string, Json][] {
  const all: [string, Json][] = [];
  const visit = (where: string, schema: Json) => {
    all.push([where, schema]);
    const items = schema.items;
    if (items?.type === 'object') {
      for (const [name, sub] of Object.entries<Json>(items.properties ?? {}))
        visit(`${where}[].${name}`, sub);
    } else if (items) {
      visit(`${where}[]`, items);
    }
  };
  for (const [name, schema] of formFields(template)) visit(name, schema);
  return all;
}

/** Validates form values as the scaffolder backend does on /v2/tasks: each page in turn. */
function formAccepts(template: Json, values: Values): boolean {
  return pages(template).every(page => validate(values, page as Schema).valid);
}

/** Form values: the render input without what the template fixes itself. */
function formValuesOf(input: Values): Values {
  const {
    environment: _environment,
    targetPath: _targetPath,
    ...values
  } = input;
  return values;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** The fields each template's form must hold, no more and no fewer. */
const COMMON_FIELDS = [
  'name',
  'description',
  'owner',
  'system',
  'zoneName',
  'cloudflareAccountId',
  'unifiHost',
  'unifiPort',
  'unifiAuth',
  'unifiSite',
  'internalDomain',
  'glueVersion',
  'terraformVersion',
  'kclVersion',
  'devices',
  'repoUrl',
  'publishTarget',
];
const STATE_FIELDS = ['stateBucket', 'stateRegion', 'stateKey'];
const PRODUCTION_ONLY_FIELDS = [
  'locking',
  'dynamodbTable',
  'kmsKeyId',
  'secretsProvider',
  'vault',
  'cloudflareItem',
  'unifiItem',
  'stateItem',
];
const EXPECTED_FIELDS: Record<Environment, string[]> = {
  development: [...COMMON_FIELDS, 'skipTlsVerify'],
  staging: [...COMMON_FIELDS, ...STATE_FIELDS],
  production: [...COMMON_FIELDS, ...STATE_FIELDS, ...PRODUCTION_ONLY_FIELDS],
};
const EXPECTED_PAGES: Record<Environment, string[]> = {
  development: [
    'About the environment',
    'UniFi and Cloudflare',
    'Devices and services',
    'Repository',
  ],
  staging: [
    'About the environment',
    'UniFi and Cloudflare',
    'Devices and services',
    'Terraform state',
    'Repository',
  ],
  production: [
    'About the environment',
    'UniFi and Cloudflare',
    'Devices and services',
    'Terraform state',
    'Secrets (1Password through vals)',
    'Repository',
  ],
};

/** Form field -> the rule in rules.ts its pattern and maxLength must equal. */
const RULED_FIELDS: Record<string, RuleName> = {
  name: 'name',
  description: 'description',
  glueVersion: 'glueVersion',
  terraformVersion: 'terraformVersion',
  kclVersion: 'kclVersion',
  zoneName: 'zoneName',
  cloudflareAccountId: 'cloudflareAccountId',
  unifiHost: 'unifiAddress',
  unifiSite: 'unifiSite',
  internalDomain: 'internalDomain',
  'devices[].hostname': 'hostnameLabel',
  'devices[].macAddresses[]': 'macAddress',
  'devices[].aliases[]': 'hostnameLabel',
  'devices[].services[].name': 'hostnameLabel',
  'devices[].services[].publicHostname': 'publicHostname',
  stateBucket: 'stateBucket',
  stateRegion: 'stateRegion',
  stateKey: 'stateKey',
  dynamodbTable: 'dynamodbTable',
  kmsKeyId: 'kmsKeyId',
  vault: 'vault',
  cloudflareItem: 'itemName',
  unifiItem: 'itemName',
  stateItem: 'itemName',
};

/** What a pattern or regex engine would print: anchors, groups, classes, quantifiers, escapes. */
const REGEX_TEXT =
  /[\^$\\]|\(\?|\[\^|[A-Za-z0-9]-[A-Za-z0-9]\]|\{\d|\]\*|\]\+|\)\?|\)\*|\)\+|must match|subschema|exactly one/;

/** The keywords that refuse a value, each of which needs a sentence in the field's errorMessage. */
const CONSTRAINING_KEYWORDS = [
  'pattern',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'if',
  'oneOf',
];

/**
 * Walks a form and checks that every schema with a constraining keyword has a sentence for it as
 * its errorMessage (ajv-errors, which the Create page runs), that every message is words with an
 * example and no regex text, and that no schema uses `not` (the scaffolder's server-side check
 * words it "is of prohibited type [object Object]"). Returns what it saw.
 */
function checkMessages(parameters: Json): {
  constrained: string[];
  messages: string[];
} {
  const constrained: string[] = [];
  const messages: string[] = [];
  const walk = (schema: Json, where: string) => {
    if (!schema || typeof schema !== 'object') return;
    if (Array.isArray(schema)) {
      schema.forEach((s, i) => walk(s, `${where}[${i}]`));
      return;
    }
    expect({ where, not: 'not' in schema }).toEqual({ where, not: false });
    const message = schema.errorMessage;
    const covers = (keyword: string) =>
      typeof message === 'string' || typeof message?.[keyword] === 'string';
    for (const keyword of CONSTRAINING_KEYWORDS) {
      if (!(keyword in schema)) continue;
      // A dependency branch's discriminator (locking: {enum: [dynamodb]}) has no keyword of these.
      constrained.push(`${where}.${keyword}`);
      expect({ where, keyword, errorMessage: covers(keyword) }).toEqual({
        where,
        keyword,
        errorMessage: true,
      });
    }
    if (typeof message === 'string') messages.push(message);
    else if (message) messages.push(...Object.values<string>(message));
    for (const [key, value] of Object.entries(schema)) {
      if (key !== 'errorMessage' && typeof value === 'object')
        walk(value, `${where}.${key}`);
    }
  };
  walk(parameters, 'parameters');
  expect(messages.length).toBeGreaterThan(0);
  for (const message of messages) {
    expect({ message, regex: REGEX_TEXT.test(message) }).toEqual({
      message,
      regex: false,
    });
    expect({ message, example: /for example/.test(message) }).toEqual({
      message,
      example: true,
    });
  }
  return { constrained, messages };
}

/**
 * ajv-errors replaces only the errors about the service itself with a rule's sentence; a const or
 * enum on one of its fields inside `then`/`else` would show "must be equal to constant" under that
 * field unless the field's schema there carries its own sentence. So a branch holds `required`
 * and `properties` whose every schema has a sentence.
 */
function checkServiceRules(items: Json) {
  expect(items.allOf.length).toBeGreaterThan(0);
  for (const rule of items.allOf) {
    expect(typeof rule.errorMessage).toBe('string');
    for (const branch of [rule.then, rule.else].filter(Boolean)) {
      const silent = Object.entries<Json>(branch.properties ?? {})
        .filter(([, schema]) => typeof schema.errorMessage !== 'string')
        .map(([field]) => field);
      expect({
        rule: rule.errorMessage.slice(0, 30),
        keys: Object.keys(branch).filter(
          k => k !== 'required' && k !== 'properties',
        ),
        silent,
      }).toEqual({
        rule: rule.errorMessage.slice(0, 30),
        keys: [],
        silent: [],
      });
    }
  }
}

/** Free-text fields the pickers fill: their widgets produce the value. */
const PICKER_FIELDS = ['owner', 'system', 'repoUrl'];
/** Picker fields that still carry a rule's pattern (the EntityPicker accepts typed text too). */
const RULED_PICKERS: Record<string, RuleName> = {
  owner: 'entityRef',
  system: 'entityRef',
};

/** A DNS name of exactly `length` characters whose labels all pass the label rule. */
function dnsName(length: number, suffix = ''): string {
  const labels: string[] = [];
  let remaining = length - suffix.length;
  while (remaining > 63) {
    labels.push('a'.repeat(49));
    remaining -= 50;
  }
  labels.push('b'.repeat(remaining));
  const name = labels.join('.') + suffix;
  if (name.length !== length)
    throw new Error(`dnsName(${length}) built ${name.length} characters`);
  return name;
}

/** Values no identifier field may take: each would break out of a quoted, shell or template context. */
const HOSTILE = [
  'a"b',
  "a'b",
  '$(id)',
  '`id`',
  'a\nb',
  'a\rb',
  '{{ x }}',
  '${{ x }}',
  'a b',
  'a;b',
];

interface FieldCases {
  good: unknown[];
  bad: unknown[];
  /** Puts a value into an otherwise good parameter set; defaults to replacing the field. */
  set?: (values: Values, value: unknown) => void;
}

/** Sets a value at a model path such as `devices[0].services[0].name`. */
function setAt(values: Values, where: string, value: unknown) {
  const parts = where
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .map(part => (/^\d+$/.test(part) ? Number(part) : part));
  let target: any = values;
  for (const part of parts.slice(0, -1)) target = target[part];
  target[parts[parts.length - 1]] = value;
}

/** The first service of the first device: the one the service cases replace. */
function setService(values: Values, service: Values) {
  values.devices[0].services[0] = service;
}

/** `count` MAC addresses no canonical device has. */
function macs(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `02:00:5e:10:00:${i.toString(16).padStart(2, '0')}`,
  );
}

/** `count` names no canonical device, alias or service has. */
function freshNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/** A device no canonical device collides with: its own hostname, MAC and local-DNS service. */
function extraDevice(i: number): Values {
  return {
    hostname: `extra-device-${i}`,
    macAddresses: [
      `02:00:5e:20:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    ],
    services: [
      { name: `extra-service-${i}`, port: 8080, distribution: 'unifi_only' },
    ],
  };
}

const CASES: Record<string, FieldCases> = {
  name: {
    good: ['homelab-dns', 'a', '0', 'dns-2', 'a'.repeat(63)],
    bad: [
      '',
      'Homelab',
      '-dns',
      'dns-',
      'a_b',
      'a.b',
      'a'.repeat(64),
      ...HOSTILE,
    ],
    // One device: a 63-character name cuts every device's tunnel name <name>-<hostname> to the
    // same 63 characters, which only the model sees (see "rules across devices").
    set: (values, value) => {
      values.name = value;
      values.devices = values.devices.slice(0, 1);
    },
  },
  description: {
    // Free text that is rendered inert everywhere: quotes, $, backticks and braces are allowed.
    good: [
      '',
      'DNS and tunnels for the home lab',
      `it's "quoted" $(id) \`id\` {{ 7*7 }} \${{ parameters.name }} # not a comment`,
      'Zürich café, ünïcödé',
      '-starts with a dash',
      'x'.repeat(200),
      // Lengths count code points, as JSON Schema does: 200 emoji are 400 UTF-16 units.
      '\u{1F600}'.repeat(200),
    ],
    bad: [
      '\u{1F600}'.repeat(201),
      'a\nb',
      'a\rb',
      'tab\there',
      'nul\u0000',
      'del\u007f',
      'line\u2028sep',
      'bidi \u202e override',
      'isolate \u2066',
      'x'.repeat(201),
    ],
  },
  glueVersion: {
    good: ['v0.12.2', 'v1.0.0', 'v10.20.30', 'v999999.999999.999999'],
    bad: [
      '',
      '0.12.2',
      'V0.12.2',
      'v0.12',
      'v01.2.3',
      'v0.12.2-rc1',
      '-v0.12.2',
      'v1000000.0.0',
      ...HOSTILE,
    ],
  },
  terraformVersion: {
    // Staging always uses the S3 lockfile (1.10 or later), so the good values are 1.10 or later.
    good: ['1.11.4', '1.10.0', '1.12.1', '2.0.0'],
    bad: ['', 'v1.11.4', '1.11', 'latest', '1.11.4-rc1', '01.11.4', ...HOSTILE],
  },
  kclVersion: {
    good: ['v0.11.2', 'v0.12.3', 'v1.0.0'],
    bad: ['', '0.11.2', 'v0.11', 'latest', 'V0.11.2', ...HOSTILE],
  },
  zoneName: {
    good: [
      'example.com',
      'home.example.co.uk',
      'a.io',
      'xn--bcher-kva.example',
      dnsName(253),
    ],
    bad: [
      '',
      'com',
      'Example.com',
      'example.com.',
      '.example.com',
      '-a.example.com',
      'example.123',
      'exa_mple.com',
      dnsName(254),
      ...HOSTILE,
    ],
    // Public hostnames must lie inside the zone; keep only local-DNS services.
    set: (values, value) => {
      values.zoneName = value;
      values.devices.forEach((device: Values, i: number) => {
        device.services = [
          { name: `local-only-${i}`, port: 3000, distribution: 'unifi_only' },
        ];
      });
    },
  },
  cloudflareAccountId: {
    good: ['0123456789abcdef0123456789abcdef', 'f'.repeat(32), '0'.repeat(32)],
    bad: [
      '',
      '0123456789ABCDEF0123456789ABCDEF',
      'f'.repeat(31),
      'f'.repeat(33),
      'g'.repeat(32),
      `-${'f'.repeat(31)}`,
      ...HOSTILE,
    ],
  },
  unifiHost: {
    // The controller's address as the browser shows it is taken apart into host and port.
    good: [
      'unifi.internal.lan',
      'unifi',
      '192.168.1.1',
      '10.0.0.254',
      'unifi-1.example.com',
      dnsName(253),
      'https://10.20.0.1:8443',
      'https://unifi.example.com',
      'https://unifi.example.com/',
      'unifi:8443',
      ' https://10.20.0.1:8443/\t',
    ],
    bad: [
      '',
      'Unifi.lan',
      'http://unifi',
      'https://unifi:0',
      'https://unifi:65536',
      'https://unifi/manage',
      'https://user@unifi',
      'https://unifi?x=1',
      '-unifi',
      '256.1.1.1',
      '192.168.1',
      'unifi.',
      dnsName(269),
      ...HOSTILE,
    ],
  },
  unifiSite: {
    good: ['default', 'x1y2z3w4', 'home_lab-2', 's'.repeat(64)],
    bad: [
      '',
      'Default',
      'my site',
      '-site',
      'site_',
      'site/x',
      's'.repeat(65),
      ...HOSTILE,
    ],
  },
  internalDomain: {
    // Not up to 253 characters: <service>.<internalDomain> must fit in 253 too (a cross-field rule).
    good: ['internal.lan', 'home.arpa', 'lan.example.org', 'a.bc'],
    bad: [
      '',
      'lan',
      'Internal.lan',
      'internal.lan.',
      '-x.lan',
      'internal.123',
      dnsName(254),
      ...HOSTILE,
    ],
  },
  devices: {
    // 1 to 50 devices; what the devices hold is checked field by field below.
    good: [
      [extraDevice(0)],
      Array.from({ length: MAX_DEVICES }, (_, i) => extraDevice(i)),
    ],
    bad: [
      [],
      Array.from({ length: MAX_DEVICES + 1 }, (_, i) => extraDevice(i)),
      extraDevice(0),
      'media-server',
      null,
    ],
  },
  'devices[].hostname': {
    // Not a name the canonical values use elsewhere: hostnames, aliases and services differ.
    good: ['media-box', 'nas01', '1', 'a'.repeat(63)],
    bad: [
      '',
      'Media',
      '-media',
      'media-',
      'media.server',
      'media_server',
      'a'.repeat(64),
      ...HOSTILE,
    ],
  },
  'devices[].macAddresses': {
    good: [macs(1), macs(MAX_MACS), [' 02-00-5E-10-00-01 ', '02005e100002']],
    bad: [
      [],
      macs(MAX_MACS + 1),
      // The same text twice; the form's uniqueItems and the model agree.
      ['02:00:5e:10:00:01', '02:00:5e:10:00:01'],
      '02:00:5e:10:00:01',
      [null],
    ],
  },
  'devices[].macAddresses[]': {
    good: [
      '02:00:5e:10:00:01',
      '02-00-5E-10-00-01',
      '02005e100001',
      '02005E100001',
      '0200.5e10.0001',
      '0200.5E10.0001',
      ' 0200.5e10.0001\t',
    ],
    bad: [
      '',
      'aa:bb:cc:dd:ee',
      'aa:bb-cc:dd:ee:ff',
      'gg:bb:cc:dd:ee:ff',
      'aa:bb:cc:dd:ee:ff:00',
      'aa.bb.cc.dd.ee.ff',
      'aabb.ccdd.eef',
      '-aabbccddeeff',
      ...HOSTILE,
    ],
    // One MAC address for the first device, none of the others has it.
    set: (values, value) => {
      values.devices[0].macAddresses = [value];
    },
  },
  'devices[].aliases': {
    good: [[], freshNames('alias', 1), freshNames('alias', MAX_ALIASES)],
    bad: [
      freshNames('alias', MAX_ALIASES + 1),
      ['alias-1', 'alias-1'],
      'alias-1',
      [null],
    ],
  },
  'devices[].aliases[]': {
    good: ['storage-x', 'a', '0', 'backup-2', 'a'.repeat(63)],
    bad: [
      '',
      'Storage',
      'storage_x',
      '-storage',
      'storage-',
      'a.b',
      'a'.repeat(64),
      ...HOSTILE,
    ],
    set: (values, value) => {
      values.devices[0].aliases = [value];
    },
  },
  'devices[].services': {
    good: [
      [{ name: 'only-one', port: 80, distribution: 'unifi_only' }],
      freshNames('svc', MAX_SERVICES).map(name => ({
        name,
        port: 80,
        distribution: 'unifi_only',
      })),
    ],
    bad: [
      [],
      freshNames('svc', MAX_SERVICES + 1).map(name => ({
        name,
        port: 80,
        distribution: 'unifi_only',
      })),
      { name: 'only-one', port: 80 },
      [null],
    ],
  },
  'devices[].services[].name': {
    good: ['web-x', 'a', '0', 'my-app-2', 'a'.repeat(63)],
    bad: [
      '',
      'Web',
      'my_app',
      '-web',
      'web-',
      'a.b',
      'a'.repeat(64),
      ...HOSTILE,
    ],
    set: (values, value) => {
      setService(values, {
        name: value,
        port: 8080,
        distribution: 'unifi_only',
      });
    },
  },
  'devices[].services[].publicHostname': {
    // Inside the zone example.com, unique among the services.
    good: [
      'checked.example.com',
      'a.b.example.com',
      'x-1.example.com',
      'example.com',
      dnsName(253, '.example.com'),
    ],
    bad: [
      '',
      'Media.example.com',
      'media_x.example.com',
      '-m.example.com',
      'media.example.com.',
      'media..example.com',
      dnsName(254, '.example.com'),
      ...HOSTILE,
    ],
    set: (values, value) => {
      // Only this service publishes: no other public hostname can clash or lie outside the zone.
      values.zoneName = 'example.com';
      values.devices.forEach((device: Values, i: number) => {
        device.services = [
          { name: `local-only-${i}`, port: 3000, distribution: 'unifi_only' },
        ];
      });
      setService(values, {
        name: 'checked',
        port: 8080,
        distribution: 'both',
        publicHostname: value,
      });
    },
  },
  stateBucket: {
    good: [
      'acme-terraform-state',
      'abc',
      'my.bucket.name',
      '123-state',
      'a'.repeat(63),
    ],
    bad: [
      '',
      'ab',
      'Acme-state',
      'acme_state',
      '-acme',
      'acme-',
      'xn--acme',
      'acme-s3alias',
      'a..b',
      'a.-b',
      '192.168.1.1',
      'a'.repeat(64),
      ...HOSTILE,
    ],
  },
  stateRegion: {
    good: [
      'eu-central-1',
      'us-east-1',
      'us-gov-west-1',
      'ap-southeast-2',
      'il-central-1',
    ],
    bad: [
      '',
      'EU-central-1',
      'eu-central',
      'eucentral1',
      'eu-central-0',
      '-eu-central-1',
      'eu-central-1a',
      `eu-${'x'.repeat(21)}-1`,
      ...HOSTILE,
    ],
  },
  stateKey: {
    // The S3 key rule allows a leading dash; the kits write the key only into YAML, escaped.
    good: [
      'unifi-cloudflare-glue/staging/homelab-dns/terraform.tfstate',
      'a',
      'env/state.tfstate',
      'A_b.c/d',
      '-x',
      'k'.repeat(rules.stateKey.maxLength),
    ],
    bad: [
      '',
      '/abs/key',
      'a//b',
      '../x',
      'a/./b',
      'a/..',
      '.',
      '...',
      'a/.../b',
      'a/',
      'k'.repeat(rules.stateKey.maxLength + 1),
      ...HOSTILE,
    ],
  },
  dynamodbTable: {
    // DynamoDB names may start with a dash or dot; the kits write the name only into YAML, escaped.
    good: [
      'terraform-state-locks',
      'abc',
      'Locks_Table.v1',
      '-locks',
      't'.repeat(255),
    ],
    bad: ['', 'ab', 'a/b', 'locks!', 'tab\tle', 't'.repeat(256), ...HOSTILE],
  },
  kmsKeyId: {
    good: [
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-86ef-1234567890ab',
      `arn:aws:kms:us-east-1:123456789012:key/mrk-${'0123456789abcdef'.repeat(2)}`,
      'arn:aws:kms:eu-west-1:123456789012:alias/terraform-state',
      'arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/state',
    ],
    bad: [
      '',
      'alias/terraform-state',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:eu-central-1:123456789012:key/1234ABCD-12AB-34CD-56EF-1234567890AB',
      // Terraform's S3 backend rejects a key UUID with another version digit or variant.
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-74cd-86ef-1234567890ab',
      'arn:aws:kms:eu-central-1:12345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:s3:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      `arn:aws:kms:eu-west-1:123456789012:alias/${'a'.repeat(251)}`,
      '-arn:aws:kms:eu-west-1:123456789012:alias/state',
      ...HOSTILE,
    ],
  },
  vault: {
    good: ['Infrastructure', 'prod-vault', 'A', 'v'.repeat(63)],
    bad: [
      '',
      'My Vault',
      '-vault',
      'vault-',
      'vault_1',
      'vault.x',
      'v'.repeat(64),
      'Vault+1',
      ...HOSTILE,
    ],
  },
  itemName: {
    // None equal the default names of the other two items (they must differ).
    good: ['op-item', 'My.Item_1', 'X', 'i'.repeat(64)],
    bad: [
      '',
      'my item',
      '-item',
      'item-',
      '.item',
      'item/x',
      'item#x',
      'i'.repeat(65),
      ...HOSTILE,
    ],
  },

  // Enum, integer and boolean fields.
  unifiPort: {
    good: [1, 443, 8443, 65535],
    bad: [0, -1, 65536, 1.5, '443', true],
  },
  unifiAuth: {
    good: ['apiKey', 'usernamePassword'],
    bad: ['', 'apikey', 'token', 'API key (recommended)', 1, ...HOSTILE],
  },
  'devices[].services[].port': {
    good: [1, 80, 65535],
    bad: [0, 65536, 80.5, '80', null],
  },
  'devices[].services[].protocol': {
    good: ['http', 'https', 'tcp'],
    bad: ['', 'udp', 'HTTP', 'http ', 1, ...HOSTILE],
    // Published in local DNS only: a tcp service never goes through the tunnel (below).
    set: (values, value) => {
      setService(values, {
        name: 'checked',
        port: 8080,
        protocol: value,
        distribution: 'unifi_only',
      });
    },
  },
  'devices[].services[].distribution': {
    good: ['both', 'unifi_only', 'cloudflare_only'],
    bad: ['', 'unifi', 'Local DNS only (UniFi)', 'BOTH', 1, ...HOSTILE],
    // A local-DNS-only service has no public hostname; the others need one.
    set: (values, value) => {
      setService(values, { name: 'checked', port: 8080, distribution: value });
      if (value !== 'unifi_only')
        values.devices[0].services[0].publicHostname = `checked.${values.zoneName}`;
    },
  },
  'devices[].services[].noTlsVerify': {
    good: [true, false],
    bad: ['true', 1, 0, 'yes', null],
    // An https service published through the tunnel: the only kind with a TLS origin to skip.
    set: (values, value) => {
      setService(values, {
        name: 'checked',
        port: 5001,
        protocol: 'https',
        distribution: 'both',
        publicHostname: `checked.${values.zoneName}`,
        noTlsVerify: value,
      });
    },
  },
  skipTlsVerify: {
    good: [true, false],
    bad: ['true', 1, 0, 'yes'],
  },
  locking: {
    good: ['dynamodb', 'lockfile'],
    bad: ['', 'none', 'DynamoDB', 's3', 1, ...HOSTILE],
    // The lockfile takes no table.
    set: (values, value) => {
      values.locking = value;
      if (value === 'lockfile') delete values.dynamodbTable;
    },
  },
  publishTarget: {
    good: ['github', 'local'],
    bad: ['', 'gitlab', 'GitHub', 'local ', 'file', 1, ...HOSTILE],
  },
  secretsProvider: {
    good: ['op', 'onepasswordconnect'],
    bad: ['', 'vault', '1password', 'OP', 'op ', ...HOSTILE],
  },
};

function casesFor(field: string): FieldCases {
  const rule = RULED_FIELDS[field];
  return CASES[field] ?? (rule === 'itemName' ? CASES.itemName : undefined)!;
}

/** A value as a failure shows it: long strings and lists cut short, with their length. */
function shortened(value: unknown): unknown {
  if (typeof value === 'string')
    return value.length > 40
      ? `${value.slice(0, 20)}...(${value.length})`
      : value;
  const text = JSON.stringify(value) ?? String(value);
  if (typeof value !== 'object' || value === null || text.length <= 80)
    return value;
  const size = Array.isArray(value)
    ? `${value.length} entries`
    : `${text.length} characters`;
  return `${text.slice(0, 40)}...(${size})`;
}

/** The model's field path for a form field, as parseParameters reports it (the first entries). */
function modelPath(field: string): string {
  return field.replace(/\[\]/g, '[0]');
}

/** True when a problem's path is the field itself or lies inside it (an entry of a list). */
function isAt(problemField: string, field: string): boolean {
  const at = modelPath(field);
  return (
    problemField === at ||
    problemField.startsWith(`${at}[`) ||
    problemField.startsWith(`${at}.`)
  );
}

describe('template forms', () => {
  describe.each(ENVIRONMENTS)('%s', environment => {
    const template = templates[environment];
    const fields = formFields(template);

    it('is a v1beta3 Template with the expected identity', () => {
      expect(template.apiVersion).toBe('scaffolder.backstage.io/v1beta3');
      expect(template.kind).toBe('Template');
      expect(template.metadata.name).toBe(`${environment}-environment`);
      expect(template.metadata.title).toBe(
        `UniFi/Cloudflare ${environment} environment`,
      );
      expect(template.metadata.description).toEqual(expect.any(String));
      expect(template.metadata.tags).toContain(environment);
      for (const tag of template.metadata.tags)
        expect(tag).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(template.spec.owner).toBe('group:default/platform-team');
      expect(template.spec.type).toBe('environment');
    });

    it('uses no deprecated keys', () => {
      const text = JSON.stringify(template);
      expect(text).not.toContain('copyWithoutRender');
      expect(text).not.toContain('allowedKinds');
    });

    it('has well-formed pages whose required lists name existing properties', () => {
      expect(Array.isArray(template.spec.parameters)).toBe(true);
      expect(pages(template).map(page => page.title)).toEqual(
        EXPECTED_PAGES[environment],
      );
      const seen = new Set<string>();
      for (const page of pages(template)) {
        const properties = Object.keys(page.properties ?? {});
        expect({ page: page.title, properties: properties.length > 0 }).toEqual(
          { page: page.title, properties: true },
        );
        for (const required of page.required ?? []) {
          expect({
            page: page.title,
            required,
            exists: properties.includes(required),
          }).toEqual({
            page: page.title,
            required,
            exists: true,
          });
        }
        for (const property of properties) {
          expect({ property, duplicate: seen.has(property) }).toEqual({
            property,
            duplicate: false,
          });
          seen.add(property);
        }
        for (const [on, dependency] of Object.entries<Json>(
          page.dependencies ?? {},
        )) {
          expect(properties).toContain(on);
          for (const branch of dependency.oneOf) {
            const known = [
              ...properties,
              ...Object.keys(branch.properties ?? {}),
            ];
            for (const required of branch.required ?? [])
              expect(known).toContain(required);
          }
        }
      }
      const device = fieldSchema(template, 'devices[]')!;
      for (const required of device.required)
        expect(Object.keys(device.properties)).toContain(required);
      expect(device.propertyNames.enum).toEqual(Object.keys(device.properties));
      expect(device.additionalProperties).toBe(false);
      const items = serviceItems(template);
      const itemProperties = Object.keys(items.properties);
      expect(items.propertyNames.enum).toEqual(itemProperties);
      const conditional = (items.allOf ?? []).flatMap((rule: Json) => [
        ...(rule.then?.required ?? []),
        ...(rule.else?.required ?? []),
      ]);
      expect(conditional).toEqual([
        'distribution',
        'publicHostname',
        'protocol',
      ]);
      for (const required of [...items.required, ...conditional]) {
        expect(itemProperties).toContain(required);
      }
    });

    it('holds exactly the fields this environment uses', () => {
      expect([...fields.keys()].sort()).toEqual(
        [...EXPECTED_FIELDS[environment]].sort(),
      );
      for (const field of fields.keys())
        expect(Object.keys(parameterShape)).toContain(field);
      // Production-only fields appear in production only; state fields outside development
      // only; skipTlsVerify in development only.
      const absent = [
        ...(environment === 'production' ? [] : PRODUCTION_ONLY_FIELDS),
        ...(environment === 'development' ? STATE_FIELDS : ['skipTlsVerify']),
      ];
      expect(absent.filter(field => fields.has(field))).toEqual([]);
    });

    it('gives every field a title, a description and help text', () => {
      const check = (where: string, schema: Json) => {
        for (const key of ['title', 'description', 'ui:help']) {
          expect({
            where,
            key,
            ok:
              typeof schema[key] === 'string' && schema[key].trim().length > 0,
          }).toEqual({
            where,
            key,
            ok: true,
          });
        }
      };
      for (const [field, schema] of allFields(template)) check(field, schema);
    });

    it('gives every enum plain-words names where the values are not words', () => {
      for (const field of [
        'unifiAuth',
        'devices[].services[].distribution',
        'locking',
        'secretsProvider',
        'publishTarget',
      ]) {
        const schema = fieldSchema(template, field);
        if (!schema) continue;
        expect(schema.enumNames).toHaveLength(schema.enum.length);
      }
    });

    it('derives pattern, maxLength and the messages of every ruled field from fieldRules.ts', () => {
      for (const [field, ruleName] of Object.entries({
        ...RULED_FIELDS,
        ...RULED_PICKERS,
      })) {
        const schema = fieldSchema(template, field);
        if (!schema) continue;
        expect({
          field,
          type: schema.type,
          pattern: schema.pattern,
          maxLength: schema.maxLength,
          errorMessage: schema.errorMessage,
        }).toEqual({
          field,
          type: 'string',
          pattern: formPattern(ruleName),
          maxLength: formMaxLength(ruleName),
          // ajv-errors, which the Create page runs: the model's sentences, per keyword.
          errorMessage: {
            pattern: ruleMessage(ruleName),
            maxLength: lengthMessage(ruleName),
          },
        });
      }
    });

    it('gives every constrained schema in the form a sentence as its errorMessage, and no message holds regex text', () => {
      const { constrained } = checkMessages(pages(template));
      // Every ruled field, both ports, the lists, the service rules, and each dependency's oneOf.
      expect(constrained.length).toBeGreaterThan(
        2 *
          Object.keys(RULED_FIELDS).filter(f => fieldSchema(template, f))
            .length,
      );
      expect(fieldSchema(template, 'unifiPort')!.errorMessage).toBe(
        PORT_MESSAGE,
      );
      expect(
        fieldSchema(template, 'devices[].services[].port')!.errorMessage,
      ).toBe(PORT_MESSAGE);
      checkServiceRules(serviceItems(template));
    });

    it("bounds every list as the model does, with the model's sentences", () => {
      const list = (field: string) => {
        const { minItems, maxItems, uniqueItems, errorMessage } = fieldSchema(
          template,
          field,
        )!;
        return { field, minItems, maxItems, uniqueItems, errorMessage };
      };
      expect(list('devices')).toEqual({
        field: 'devices',
        minItems: 1,
        maxItems: MAX_DEVICES,
        uniqueItems: undefined,
        errorMessage: {
          minItems: DEVICES_MIN_MESSAGE,
          maxItems: DEVICES_MAX_MESSAGE,
        },
      });
      // uniqueItems catches the same text twice; the model also catches one address written two
      // ways, and names repeated across devices (the cross-device rules below).
      expect(list('devices[].macAddresses')).toEqual({
        field: 'devices[].macAddresses',
        minItems: 1,
        maxItems: MAX_MACS,
        uniqueItems: true,
        errorMessage: {
          minItems: MACS_MIN_MESSAGE,
          maxItems: MACS_MAX_MESSAGE,
          uniqueItems: expect.stringMatching(
            /^must list each MAC address once/,
          ),
        },
      });
      expect(list('devices[].aliases')).toEqual({
        field: 'devices[].aliases',
        minItems: undefined,
        maxItems: MAX_ALIASES,
        uniqueItems: true,
        errorMessage: {
          maxItems: ALIASES_MAX_MESSAGE,
          uniqueItems: expect.stringMatching(/^must list each alias once/),
        },
      });
      expect(list('devices[].services')).toEqual({
        field: 'devices[].services',
        minItems: 1,
        maxItems: MAX_SERVICES,
        uniqueItems: undefined,
        errorMessage: {
          minItems: SERVICES_MIN_MESSAGE,
          maxItems: SERVICES_MAX_MESSAGE,
        },
      });
      expect(fieldSchema(template, 'devices[]')!.required).toEqual([
        'hostname',
        'macAddresses',
        'services',
      ]);
    });

    it('leaves no free-text field without a rule', () => {
      for (const [field, schema] of allFields(template)) {
        if (
          schema.type !== 'string' ||
          schema.enum ||
          PICKER_FIELDS.includes(field)
        )
          continue;
        expect({ field, ruled: field in RULED_FIELDS }).toEqual({
          field,
          ruled: true,
        });
      }
    });

    it('shows a good example in the help text of every ruled field', () => {
      for (const [field, ruleName] of Object.entries(RULED_FIELDS)) {
        const schema = fieldSchema(template, field);
        if (!schema) continue;
        const example = /For example: (\S+)/.exec(schema['ui:help'])?.[1];
        expect({
          field,
          example,
          good: example !== undefined && matchesRule(ruleName, example),
        }).toEqual({
          field,
          example,
          good: true,
        });
      }
    });

    it('accepts the canonical values in the form and in the model', () => {
      expect(
        formAccepts(template, formValuesOf(canonicalValues[environment])),
      ).toBe(true);
      expect(parseParameters(canonicalValues[environment])).toMatchObject({
        success: true,
      });
    });

    const tested = Object.keys({ ...CASES, ...RULED_FIELDS }).filter(
      field =>
        field !== 'itemName' && fieldSchema(template, field) !== undefined,
    );
    it.each(tested)(
      'agrees with the model on good and bad values of %s',
      field => {
        const schema = fieldSchema(template, field)!;
        const cases = casesFor(field);
        expect(cases.good.length).toBeGreaterThanOrEqual(2);
        expect(cases.bad.length).toBeGreaterThanOrEqual(4);
        // Blanks people paste around a value are trimmed (up to BLANK_ALLOWANCE of them beyond the
        // rule's length): a good value stays good, a bad one bad.
        const padded = (value: unknown, blanks: string) =>
          typeof value === 'string' && value !== ''
            ? [`${blanks}${value}`, `${value}${blanks}`]
            : [];
        // The description keeps its blanks (prose), so it takes no part here.
        const ruled =
          field in RULED_FIELDS &&
          !(rules[RULED_FIELDS[field]] as ValueRule).keepsBlanks;
        const allowance = ' \t'.repeat(BLANK_ALLOWANCE / 2);
        const verdicts = [
          ...cases.good.map(value => ({ value, expected: true })),
          ...cases.bad.map(value => ({ value, expected: false })),
          ...(ruled
            ? [
                ...cases.good
                  .flatMap(v => padded(v, ' \t'))
                  .map(value => ({ value, expected: true })),
                ...cases.good
                  .flatMap(v => padded(v, allowance))
                  .map(value => ({ value, expected: true })),
                ...cases.bad
                  .flatMap(v => padded(v, ' '))
                  .map(value => ({ value, expected: false })),
                // One blank too many, beside a value of the rule's full length: refused by both.
                {
                  value: `${allowance} ${'a'.repeat(rules[RULED_FIELDS[field]].maxLength)}`,
                  expected: false,
                },
              ]
            : []),
        ];
        for (const { value, expected } of verdicts) {
          const form = validate(value, schema as Schema).valid;
          const values = clone(canonicalValues[environment]) as Values;
          (
            cases.set ??
            ((v: Values, x: unknown) => setAt(v, modelPath(field), x))
          )(values, value);
          const result = parseParameters(values);
          const model = result.success;
          const shown = shortened(value);
          // A rejection names the field itself (or an entry of it), not some other casualty of
          // the replacement.
          const namesField =
            result.success || result.problems.some(p => isAt(p.field, field));
          expect({ field, value: shown, form, model, namesField }).toEqual({
            field,
            value: shown,
            form: expected,
            model: expected,
            namesField: true,
          });
        }
      },
    );

    it('requires in the form every field the model requires', () => {
      // The form may be stricter: it needs the repository, and a locking choice so that its
      // DynamoDB branch is evaluated (the model defaults it), and a publish target so that its
      // GitHub branch (which asks for the repository) is evaluated (the model defaults it too).
      const formStricter = ['repoUrl', 'locking', 'publishTarget'];
      const base = formValuesOf(canonicalValues[environment]);
      const disagreements = [...fields.keys()].filter(field => {
        const values = clone(base);
        delete values[field];
        const form = formAccepts(template, values);
        const model = parseParameters({ ...values, environment }).success;
        // The model refusing what the form accepts is a disagreement; the reverse only outside
        // the fields the form is knowingly stricter about.
        return model ? !form && !formStricter.includes(field) : form;
      });
      expect(disagreements).toEqual([]);
      // Inside a device: hostname, MAC addresses and services are required, aliases are not.
      const device = fieldSchema(template, 'devices[]')!;
      const inDevice = Object.keys(device.properties).map(key => {
        const values = clone(base);
        delete values.devices[0][key];
        return {
          key,
          form: formAccepts(template, values),
          model: parseParameters({ ...values, environment }).success,
        };
      });
      expect(inDevice).toEqual(
        Object.keys(device.properties).map(key => ({
          key,
          form: key === 'aliases',
          model: key === 'aliases',
        })),
      );
      const services = clone(base);
      const published = services.devices[0].services.find(
        (service: Values) => service.publicHostname !== undefined,
      );
      delete published.publicHostname;
      expect(formAccepts(template, services)).toBe(false);
      expect(parseParameters({ ...services, environment }).success).toBe(false);
    });

    it('asks for the GitHub repository only when publishing to GitHub', () => {
      const { repoUrl: _repoUrl, ...withoutRepo } = formValuesOf(
        canonicalValues[environment],
      );
      expect(
        formAccepts(template, { ...withoutRepo, publishTarget: 'github' }),
      ).toBe(false);
      expect(
        formAccepts(template, { ...withoutRepo, publishTarget: 'local' }),
      ).toBe(true);
      expect(
        parseParameters({ ...withoutRepo, publishTarget: 'local', environment })
          .success,
      ).toBe(true);
      const page = pages(template).find(p => p.title === 'Repository')!;
      expect(page.properties.publishTarget).toMatchObject({
        enum: ['github', 'local'],
        default: 'github',
        'ui:widget': 'radio',
      });
      expect(page.properties.repoUrl).toBeUndefined();
    });

    it('uses the model defaults as form defaults', () => {
      const base = clone(canonicalValues[environment]) as Values;
      const withDefaults: [string, Json][] = [...fields].filter(
        ([, schema]) => 'default' in schema,
      );
      expect(withDefaults.length).toBeGreaterThan(0);
      for (const [field, schema] of withDefaults) {
        const values = clone(base);
        delete values[field];
        const result = parseParameters(values);
        const value = result.success
          ? (result.parameters as Values)[field]
          : result.problems;
        expect({ field, success: result.success, value }).toEqual({
          field,
          success: true,
          value: schema.default,
        });
      }
      const items = serviceItems(template).properties;
      for (const key of ['protocol', 'distribution', 'noTlsVerify']) {
        const values = clone(base);
        values.devices[0].services[0] = {
          name: 'checked',
          port: 8080,
          ...(key === 'distribution'
            ? { publicHostname: `checked.${values.zoneName}` }
            : { distribution: 'unifi_only' }),
        };
        const result = parseParameters(values);
        expect({
          key,
          value:
            result.success &&
            (result.parameters.devices[0].services[0] as Values)[key],
        }).toEqual({ key, value: items[key].default });
      }
    });

    describe('steps', () => {
      const steps: Json[] = template.spec.steps;
      const render = steps.find(step => step.id === 'render')!;

      it('render, (production: validate the secrets layout,) check the name, publish to GitHub, register in the catalog, check it, in that order', () => {
        expect(steps.map(step => [step.id, step.action])).toEqual([
          ['render', 'unifiCloudflare:environment:render'],
          ...(environment === 'production'
            ? [['validate-secrets', 'unifiCloudflare:secretsLayout:validate']]
            : []),
          ['check-name', 'unifiCloudflare:catalog:checkName'],
          ['publish', 'publish:github'],
          ['publishLocal', 'unifiCloudflare:repository:publishLocal'],
          ['register', 'catalog:register'],
          ['check-registered', 'unifiCloudflare:catalog:checkName'],
          ['registerLocal', 'unifiCloudflare:catalog:registerLocal'],
        ]);
        // Exactly one of the two publish-and-register pairs runs; GitHub unless local was chosen.
        const conditions = Object.fromEntries(
          steps.map(step => [step.id, step.if]),
        );
        expect(conditions).toEqual({
          render: undefined,
          ...(environment === 'production'
            ? { 'validate-secrets': undefined }
            : {}),
          'check-name': undefined,
          publish: "${{ parameters.publishTarget !== 'local' }}",
          register: "${{ parameters.publishTarget !== 'local' }}",
          'check-registered': "${{ parameters.publishTarget !== 'local' }}",
          publishLocal: "${{ parameters.publishTarget === 'local' }}",
          registerLocal: "${{ parameters.publishTarget === 'local' }}",
        });
        // The name as the render action normalised it (blanks trimmed), not as typed.
        expect(steps.find(step => step.id === 'publishLocal')!.input).toEqual({
          name: "${{ steps['render'].output.entityName }}",
          gitCommitMessage: `Create the ${environment} environment \${{ steps['render'].output.entityName }}`,
        });
        expect(steps.find(step => step.id === 'registerLocal')!.input).toEqual({
          localPath: "${{ steps['publishLocal'].output.localPath }}",
          catalogInfoPath: "${{ steps['render'].output.catalogInfoPath }}",
        });
        // Exactly: publish:github refuses inputs it does not declare (allowedHosts is the picker's).
        expect(steps.find(step => step.id === 'publish')!.input).toEqual({
          description: '${{ parameters.description }}',
          repoUrl: '${{ parameters.repoUrl }}',
          defaultBranch: 'main',
          repoVisibility: 'private',
          gitCommitMessage: `Create the ${environment} environment \${{ steps['render'].output.entityName }}`,
        });
        expect(steps.find(step => step.id === 'register')!.input).toEqual({
          repoContentsUrl: "${{ steps['publish'].output.repoContentsUrl }}",
          catalogInfoPath: "${{ steps['render'].output.catalogInfoPath }}",
        });
        expect(fields.get('repoUrl')).toMatchObject({
          'ui:field': 'RepoUrlPicker',
          'ui:options': { allowedHosts: ['github.com'] },
        });
      });

      it('passes the render action its environment and every form value at once', () => {
        expect(render.input).toEqual({
          environment,
          values: '${{ parameters }}',
        });
      });

      it('asks in its form only for fields the model accepts, and for every field the model requires', () => {
        const shapeKeys = Object.keys(parameterShape);
        for (const key of fields.keys()) {
          expect({ key, known: shapeKeys.includes(key) }).toEqual({
            key,
            known: true,
          });
        }
        for (const key of ['name', 'owner', 'zoneName', 'devices']) {
          expect({ key, inForm: fields.has(key) }).toEqual({
            key,
            inForm: true,
          });
        }
      });

      it('hands the model an input it accepts when the form is filled with the canonical values', () => {
        // `${{ parameters }}` hands over the form data as it is (undefined values are left out
        // by the JSON the scaffolder makes of it); the action merges it as renderEnvironment does.
        const values = formValuesOf(canonicalValues[environment]);
        const variants: Values[] = [values];
        if (environment === 'production')
          variants.push({ ...values, locking: 'lockfile' });
        const { repoUrl: _repoUrl, ...withoutRepo } = values;
        variants.push({ ...withoutRepo, publishTarget: 'local' });
        for (const formData of variants) {
          const input = mergeFormValues({
            environment,
            values: JSON.parse(JSON.stringify(formData)),
          });
          expect(formAccepts(template, formData)).toBe(true);
          expect(parseParameters(input)).toMatchObject({ success: true });
        }
      });

      it('links to the repository and the catalog entity and summarises the state backend', () => {
        expect(template.spec.output.links).toEqual([
          {
            title: 'Repository',
            url: "${{ steps['publish'].output.remoteUrl }}",
          },
          {
            title: 'Open in catalog',
            icon: 'catalog',
            entityRef: "${{ steps['register'].output.entityRef }}",
          },
          {
            title: 'Local repository (git clone URL)',
            url: "${{ steps['publishLocal'].output.remoteUrl }}",
          },
          {
            title: 'Open in catalog',
            icon: 'catalog',
            entityRef: "${{ steps['registerLocal'].output.entityRef }}",
          },
        ]);
        const text = template.spec.output.text
          .map((t: Json) => t.content)
          .join('\n');
        expect(text).toContain("${{ steps['render'].output.stateBackend }}");
      });
    });
  });

  // unifi-cloudflare-glue v0.12.2's KCL check (schemas/cloudflare.k is_valid_domain) strips only
  // http:// and https:// from a tunnel origin, so a tcp service through the tunnel cannot deploy.
  it.each(ENVIRONMENTS)(
    '%s: refuses a tcp service published through the tunnel in the form and in the model, naming the field',
    environment => {
      for (const distribution of ['both', 'cloudflare_only', undefined]) {
        const values = clone(
          formValuesOf(canonicalValues[environment]),
        ) as Values;
        setService(values, {
          name: 'checked-ssh',
          port: 22,
          protocol: 'tcp',
          publicHostname: `checked-ssh.${values.zoneName}`,
          ...(distribution ? { distribution } : {}),
        });
        const result = parseParameters({ ...values, environment });
        expect({
          distribution,
          form: formAccepts(templates[environment], values),
          model: result.success,
        }).toEqual({ distribution, form: false, model: false });
        const problem = result.success
          ? undefined
          : result.problems.find(
              p => p.field === 'devices[0].services[0].protocol',
            );
        expect(problem?.message).toMatch(
          /cannot be tcp when distribution is (both|cloudflare_only).*unifi_only/,
        );
      }
      const local = clone(formValuesOf(canonicalValues[environment])) as Values;
      setService(local, {
        name: 'checked-ssh',
        port: 22,
        protocol: 'tcp',
        distribution: 'unifi_only',
      });
      expect({
        form: formAccepts(templates[environment], local),
        model: parseParameters({ ...local, environment }).success,
      }).toEqual({ form: true, model: true });
    },
  );

  // no_tls_verify belongs to a tunnel's https origin (unifi-cloudflare-glue's TunnelService).
  it.each(ENVIRONMENTS)(
    "%s: skips an origin's TLS check only for an https service through the tunnel, in the form as in the model",
    environment => {
      const cases: [Values, boolean][] = [
        [
          {
            name: 'checked-admin',
            port: 5001,
            protocol: 'https',
            distribution: 'both',
            publicHostname: 'checked-admin.ZONE',
            noTlsVerify: true,
          },
          true,
        ],
        [
          {
            name: 'checked-admin',
            port: 5001,
            protocol: 'https',
            distribution: 'cloudflare_only',
            publicHostname: 'checked-admin.ZONE',
            noTlsVerify: true,
          },
          true,
        ],
        [
          {
            name: 'checked-admin',
            port: 5001,
            protocol: 'https',
            publicHostname: 'checked-admin.ZONE',
            noTlsVerify: true,
          },
          true,
        ],
        [
          {
            name: 'checked-admin',
            port: 5001,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'checked-admin.ZONE',
            noTlsVerify: true,
          },
          false,
        ],
        [
          {
            name: 'checked-admin',
            port: 5001,
            distribution: 'both',
            publicHostname: 'checked-admin.ZONE',
            noTlsVerify: true,
          },
          false,
        ],
        [
          {
            name: 'checked-admin',
            port: 5001,
            protocol: 'https',
            distribution: 'unifi_only',
            noTlsVerify: true,
          },
          false,
        ],
        [
          {
            name: 'checked-admin',
            port: 5001,
            protocol: 'http',
            distribution: 'unifi_only',
            noTlsVerify: false,
          },
          true,
        ],
      ];
      for (const [service, expected] of cases) {
        const values = clone(
          formValuesOf(canonicalValues[environment]),
        ) as Values;
        setService(
          values,
          JSON.parse(JSON.stringify(service).replace('ZONE', values.zoneName)),
        );
        const result = parseParameters({ ...values, environment });
        expect({
          service,
          form: formAccepts(templates[environment], values),
          model: result.success,
        }).toEqual({ service, form: expected, model: expected });
        expect(result.success ? [] : result.problems.map(p => p.field)).toEqual(
          expected ? [] : ['devices[0].services[0].noTlsVerify'],
        );
      }
    },
  );

  // Lone surrogates cannot be stored in UTF-8: the pattern excludes them (a paired surrogate is
  // one code point under the `u` flag) and the model refuses them, so the two agree.
  it('rejects a lone surrogate in the description in the form as in the model', () => {
    const description = 'broken \uD800 text';
    const form = validate(
      description,
      fieldSchema(templates.development, 'description') as Schema,
    ).valid;
    const model = parseParameters({
      ...canonicalValues.development,
      description,
    }).success;
    expect({ form, model }).toEqual({ form: false, model: false });
  });
});

// Rules across devices need the whole environment (one MAC written two ways, a name used on two
// devices), which JSON Schema cannot express: the form lets them through, and the render action
// refuses them before anything is published, naming both entries.
describe('rules across devices', () => {
  it.each(ENVIRONMENTS)(
    '%s: the form takes two devices, and the model refuses what only the whole environment shows, naming both devices',
    environment => {
      const template = templates[environment];
      const base = clone(formValuesOf(canonicalValues[environment])) as Values;
      const zone = base.zoneName;
      const first = {
        hostname: 'first-box',
        macAddresses: ['02:00:5e:30:00:01'],
        services: [
          {
            name: 'first-web',
            port: 8080,
            publicHostname: `first.${zone}`,
          },
        ],
      };
      const second = {
        hostname: 'second-box',
        macAddresses: ['02-00-5E-30-00-02', '0200.5e30.0003'],
        aliases: ['second-alias'],
        services: [
          {
            name: 'second-web',
            port: 8443,
            protocol: 'https',
            publicHostname: `second.${zone}`,
            noTlsVerify: true,
          },
        ],
      };
      const good = { ...base, devices: [first, second] };
      expect(formAccepts(template, good)).toBe(true);
      expect(parseParameters({ ...good, environment })).toMatchObject({
        success: true,
      });

      const clashes: [string, Values, string, RegExp][] = [
        [
          'a public hostname on two devices',
          {
            ...second,
            services: [
              { ...second.services[0], publicHostname: `first.${zone}` },
            ],
          },
          'devices[1].services[0].publicHostname',
          /device 1 \(first-box\)/,
        ],
        [
          'a name so long that both tunnel names are cut to the same 63 characters',
          second,
          'devices[1].hostname',
          /device 1 \(first-box\)/,
        ],
        [
          'one MAC address written two ways',
          { ...second, macAddresses: ['02-00-5E-30-00-01'] },
          'devices[1].macAddresses[0]',
          /device 1 \(first-box\)/,
        ],
      ];
      for (const [what, device, field, names] of clashes) {
        const values = {
          ...base,
          devices: [first, device],
          ...(what.startsWith('a name so long')
            ? { name: 'a'.repeat(63) }
            : {}),
        };
        const result = parseParameters({ ...values, environment });
        const problem = result.success
          ? undefined
          : result.problems.find(p => p.field === field);
        expect({
          what,
          form: formAccepts(template, values),
          model: result.success,
          names: problem !== undefined && names.test(problem.message),
        }).toEqual({ what, form: true, model: false, names: true });
      }
    },
  );
});

// The upgrade form adds services to an existing environment: each is a service of the render
// forms (same rules, same sentences) plus the hostname of the device it runs on.
describe('the upgrade form', () => {
  const page = pages(upgradeTemplate)[0];
  const items = page.properties.addServices.items;
  const renderItems = serviceItems(templates.development);
  /** A schema without its words for people (title, description, help), which may differ. */
  const withoutWords = (schema: Json) => {
    const {
      title: _title,
      description: _description,
      'ui:help': _help,
      ...rest
    } = schema;
    return rest;
  };

  it("gives each service to add the render forms' fields and rules, and an optional device", () => {
    expect(items.additionalProperties).toBe(false);
    expect(items.propertyNames.enum).toEqual([
      'name',
      'port',
      'protocol',
      'distribution',
      'publicHostname',
      'noTlsVerify',
      'device',
    ]);
    expect(Object.keys(items.properties)).toEqual(items.propertyNames.enum);
    expect(items.required).toEqual(renderItems.required);
    expect(items.allOf).toEqual(renderItems.allOf);
    for (const [field, schema] of Object.entries<Json>(renderItems.properties))
      expect({ field, schema: withoutWords(items.properties[field]) }).toEqual({
        field,
        schema: withoutWords(schema),
      });
    expect(items.properties.device).toMatchObject({
      type: 'string',
      pattern: formPattern('hostnameLabel'),
      maxLength: formMaxLength('hostnameLabel'),
      errorMessage: {
        pattern: ruleMessage('hostnameLabel'),
        maxLength: lengthMessage('hostnameLabel'),
      },
    });
    expect(page.properties.addServices.maxItems).toBe(MAX_SERVICES);
  });

  it('gives every field a title, a description and help text, and every constrained schema a sentence', () => {
    for (const [field, schema] of Object.entries<Json>(items.properties)) {
      for (const key of ['title', 'description', 'ui:help'])
        expect({ field, key, ok: typeof schema[key] === 'string' }).toEqual({
          field,
          key,
          ok: true,
        });
    }
    const { constrained } = checkMessages(upgradeTemplate.spec.parameters);
    expect(constrained).toEqual(
      expect.arrayContaining([
        'parameters[0].properties.glueVersion.pattern',
        'parameters[0].properties.addServices.maxItems',
        'parameters[0].properties.addServices.items.properties.device.pattern',
      ]),
    );
    checkServiceRules(items);
    const example = /For example: (\S+)/.exec(
      items.properties.device['ui:help'],
    )?.[1];
    expect(matchesRule('hostnameLabel', example ?? '')).toBe(true);
  });

  it('agrees with the render forms on a service people paste with blanks, and refuses a bad device name in a sentence', () => {
    const service = {
      name: ' photos ',
      port: 2283,
      publicHostname: 'photos.example.com\t',
      device: ' media-server ',
    };
    expect(
      validate([service], page.properties.addServices as Schema).valid,
    ).toBe(true);
    for (const device of ['Media-Server', 'media server', '-x', 'a'.repeat(64)])
      expect({
        device,
        valid: validate(
          [{ ...service, device }],
          page.properties.addServices as Schema,
        ).valid,
      }).toEqual({ device, valid: false });
  });
});
