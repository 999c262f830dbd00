import { z } from 'zod/v3';
import {
  blanksTrimmed,
  codePointLength,
  formMaxLength,
  isWellFormedUnicode,
  lengthMessage,
  matchesRule,
  normaliseMac,
  PORT_MESSAGE,
  RuleName,
  ruleMessage,
  rules,
  splitControllerAddress,
} from './fieldRules';
import { repositorySlug } from './repoUrl';
import { secretProblem } from '../secrets/formValues';

/**
 * The parameter model of the three environment templates: one zod definition, used as the
 * render action's input schema and tested against the `template.yaml` forms.
 *
 * Field rules use refinements rather than `.regex()` so that every rejection carries our
 * message (field, rule, example). Refinements do not survive the conversion to JSON Schema
 * that the scaffolder does for the action list, so the handler parses its input with this
 * model again; the descriptions carry the rule for readers of that list.
 */

/**
 * One of the three environment tiers: `development`, `staging` or `production`.
 * @public
 */
export type Environment = 'development' | 'staging' | 'production';
/** The environment tiers, in promotion order (spelled out in {@link Environment} for the API report). */
export const ENVIRONMENTS = [
  'development',
  'staging',
  'production',
] as const satisfies readonly Environment[];

export const DEFAULT_GLUE_VERSION = 'v0.12.2';
/** Terraform the module runs (hashicorp/terraform tag): stable S3 lockfile, tested with v0.12.2. */
export const DEFAULT_TERRAFORM_VERSION = '1.11.4';
/** KCL the module runs (kcllang/kcl tag), matching the module's kcl.mod edition v0.11.x. */
export const DEFAULT_KCL_VERSION = 'v0.11.2';
export const MAX_SERVICES = 20;
export const MAX_DEVICES = 50;
export const MAX_MACS = 8;
export const MAX_ALIASES = 10;
const DEVICE_EXAMPLE =
  '{hostname: "nas", macAddresses: ["aa:bb:cc:dd:ee:ff"], services: [{name: "media", port: 8096}]}';
export const DEVICES_MIN_MESSAGE = `must hold at least one device, for example ${DEVICE_EXAMPLE}`;
export const DEVICES_MAX_MESSAGE = `must hold at most ${MAX_DEVICES} devices; for example, put the others in a second environment`;
export const MACS_MIN_MESSAGE =
  'must hold at least one MAC address, for example "aa:bb:cc:dd:ee:ff"';
export const MACS_MAX_MESSAGE = `must hold at most ${MAX_MACS} MAC addresses, one per network interface of the device; for example the wired and the wireless one: ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"]`;
export const ALIASES_MAX_MESSAGE = `must hold at most ${MAX_ALIASES} aliases, for example ["storage"]`;
/** What too few or too many services are told, in the form (errorMessage) and in the model. */
export const SERVICES_MIN_MESSAGE =
  'must hold at least one service, for example {name: "media", port: 8096}';
export const SERVICES_MAX_MESSAGE = `must hold at most ${MAX_SERVICES} services per device; for example, put the others in a second environment`;

/**
 * A string field checked by a named rule; the message names the rule and a good example, in the
 * words the form's `errorMessage` uses. Blanks around the value are trimmed first (the form's
 * pattern allows them; the description keeps them), but only from a value within the form's
 * maxLength, so that the pattern never sees oversize input and the form and the model judge
 * lengths alike.
 */
function ruled(
  name: RuleName,
  description: string,
): z.ZodType<string, z.ZodTypeDef, string> {
  const rule = rules[name];
  const checked = z
    .string({
      required_error: `is required, for example "${rule.example}"`,
      invalid_type_error: `must be a string, for example "${rule.example}"`,
    })
    .describe(`${description} Rule: ${rule.rule}. Example: ${rule.example}`)
    .superRefine((value, ctx) => {
      if (!isWellFormedUnicode(value)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `contains a lone surrogate, which is not valid Unicode; for example "${rule.example}"`,
        });
      } else if (codePointLength(value) > rule.maxLength) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `is ${codePointLength(value)} characters long, but ${lengthMessage(name)}`,
        });
      } else if (!matchesRule(name, value)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: ruleMessage(name),
        });
      } else if (secretProblem(value)) {
        // Every tier: a pasted secret would reach the catalog, the answers file and git.
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${secretProblem(value)}; for example "${rule.example}"`,
        });
      }
    });
  // preprocess, not transform: a failed field must leave the object's cross-field rules running,
  // so that every problem of an input is reported at once.
  const trimmed = z.preprocess(
    value =>
      typeof value === 'string' && codePointLength(value) <= formMaxLength(name)
        ? blanksTrimmed(name, value)
        : value,
    checked,
  );
  // z.preprocess types its input as unknown; what it accepts is still a string.
  return trimmed as unknown as z.ZodType<string, z.ZodTypeDef, string>;
}

function oneOf<T extends readonly [string, ...string[]]>(
  values: T,
  description: string,
) {
  const list = values.join(', ');
  return z
    .enum(values, {
      errorMap: () => ({
        message: `must be one of ${list}, for example "${values[0]}"`,
      }),
    })
    .describe(`${description} One of: ${list}.`);
}

function port(description: string) {
  return z
    .number({
      invalid_type_error: PORT_MESSAGE,
      required_error:
        'is required: a whole number from 1 to 65535, for example 443',
    })
    .int({ message: PORT_MESSAGE })
    .min(1, { message: PORT_MESSAGE })
    .max(65535, { message: PORT_MESSAGE })
    .describe(description);
}

export const PROTOCOLS = ['http', 'https', 'tcp'] as const;
export const DISTRIBUTIONS = ['both', 'unifi_only', 'cloudflare_only'] as const;
export const UNIFI_AUTH_MODES = ['apiKey', 'usernamePassword'] as const;
export const LOCKING_MODES = ['dynamodb', 'lockfile'] as const;
export const SECRETS_PROVIDERS = ['op', 'onepasswordconnect'] as const;
export const PUBLISH_TARGETS = ['github', 'local'] as const;

export const serviceSchema = z
  .object({
    name: ruled(
      'hostnameLabel',
      'Service name; also its internal hostname <name>.<internalDomain>.',
    ),
    port: port('Port the service listens on, on the device.'),
    protocol: oneOf(PROTOCOLS, 'Protocol the service speaks.').default('http'),
    distribution: oneOf(
      DISTRIBUTIONS,
      'Where the service is published: UniFi local DNS, a Cloudflare Tunnel, or both.',
    ).default('both'),
    publicHostname: ruled(
      'publicHostname',
      'Public hostname in the Cloudflare zone; required unless distribution is unifi_only.',
    ).optional(),
    noTlsVerify: z
      .boolean({ invalid_type_error: 'must be true or false' })
      .describe(
        'Skip the TLS certificate check of this origin (no_tls_verify): for an https service with a self-signed certificate, published through the tunnel.',
      )
      .default(false),
  })
  .strict();

/** A device's service list: 1 to {@link MAX_SERVICES}. */
const servicesSchema = z
  .array(serviceSchema, {
    required_error: `is required: 1 to ${MAX_SERVICES} services`,
    invalid_type_error: `must be a list of 1 to ${MAX_SERVICES} services`,
  })
  .min(1, { message: SERVICES_MIN_MESSAGE })
  .max(MAX_SERVICES, { message: SERVICES_MAX_MESSAGE })
  .describe(`Services on the device, 1 to ${MAX_SERVICES}.`);

export const deviceSchema = z
  .object({
    hostname: ruled(
      'hostnameLabel',
      'Hostname of the device; its local DNS name is <hostname>.<internalDomain>.',
    ),
    macAddresses: z
      .array(
        ruled(
          'macAddress',
          'MAC address of one network interface of the device; written lower-case with colons.',
        ),
        {
          required_error: `is required: 1 to ${MAX_MACS} MAC addresses, for example ["${rules.macAddress.example}"]`,
          invalid_type_error: `must be a list of 1 to ${MAX_MACS} MAC addresses, for example ["${rules.macAddress.example}"]`,
        },
      )
      .min(1, { message: MACS_MIN_MESSAGE })
      .max(MAX_MACS, { message: MACS_MAX_MESSAGE })
      .describe(
        `MAC addresses of the device's network interfaces, 1 to ${MAX_MACS}; UniFi finds the device by them, and the first one keys its tunnel.`,
      ),
    aliases: z
      .array(
        ruled(
          'hostnameLabel',
          'Another local DNS name for the device (a CNAME <alias>.<internalDomain>).',
        ),
        {
          invalid_type_error: `must be a list of at most ${MAX_ALIASES} names, for example ["storage"]`,
        },
      )
      .max(MAX_ALIASES, { message: ALIASES_MAX_MESSAGE })
      .describe(
        `Other local DNS names of the device, 0 to ${MAX_ALIASES}: CNAME records <alias>.<internalDomain>.`,
      )
      .optional(),
    services: servicesSchema,
  })
  .strict();

/** Every field a template may pass to the render action. */
export const parameterShape = {
  environment: oneOf(ENVIRONMENTS, 'Which environment kit to render.'),
  targetPath: z
    .string()
    .max(255, {
      message: 'must be at most 255 characters, for example "environment"',
    })
    .describe(
      'Directory inside the workspace to write into; defaults to the workspace root.',
    )
    .optional(),
  name: ruled(
    'name',
    'Name of the environment: repository, catalog entity and state key.',
  ),
  owner: ruled(
    'entityRef',
    'Owner of the environment (a group or user entity reference).',
  ),
  system: ruled(
    'entityRef',
    'System the environment belongs to (entity reference).',
  ).optional(),
  description: ruled(
    'description',
    'One-line description shown in the catalog.',
  ).optional(),
  repoUrl: z
    .string()
    .max(512, {
      message:
        'must be at most 512 characters, for example "github.com?owner=acme&repo=homelab-dns"',
    })
    .describe(
      'The RepoUrlPicker value (host?owner=...&repo=...); used for links and annotations.',
    )
    // The form cannot check this (the picker builds the value); the kits' filters refuse a lone
    // surrogate, so refuse it here, where the message can name the field.
    .refine(isWellFormedUnicode, {
      message:
        'contains a lone surrogate, which is not valid Unicode; for example "github.com?owner=acme&repo=homelab-dns"',
    })
    .superRefine((value, ctx) => {
      // The kits write the "owner/repo" slug on its own (catalog-info's github.com/project-slug),
      // so the slug is judged too: two names joined by "/" can look like an AWS secret key.
      const slug = repositorySlug(value);
      const problem =
        secretProblem(value) ??
        (slug === undefined ? undefined : secretProblem(slug));
      if (problem)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${problem}; for example "github.com?owner=acme&repo=homelab-dns"`,
        });
    })
    .optional(),
  publishTarget: oneOf(
    PUBLISH_TARGETS,
    'Where the template publishes the repository: a new GitHub repository at repoUrl (default), or a local git repository on the Backstage host (development installations only). Recorded in the answers file.',
  ).default('github'),
  glueVersion: ruled(
    'glueVersion',
    'unifi-cloudflare-glue module release to pin.',
  ).default(DEFAULT_GLUE_VERSION),
  terraformVersion: ruled(
    'terraformVersion',
    'Terraform release the module runs (tag of hashicorp/terraform); pinned in every dagger call.',
  ).default(DEFAULT_TERRAFORM_VERSION),
  kclVersion: ruled(
    'kclVersion',
    'KCL release the module runs (tag of kcllang/kcl); pinned in every dagger call.',
  ).default(DEFAULT_KCL_VERSION),
  zoneName: ruled(
    'zoneName',
    'Cloudflare DNS zone that public hostnames live in.',
  ),
  cloudflareAccountId: ruled('cloudflareAccountId', 'Cloudflare account ID.'),
  unifiHost: ruled(
    'unifiAddress',
    'UniFi controller hostname or IPv4 address; its address as a URL (https://host:port) is taken apart into unifiHost and unifiPort.',
  ),
  unifiPort: port(
    'UniFi controller HTTPS port; a port in the unifiHost URL takes its place.',
  ).default(443),
  unifiAuth: oneOf(
    UNIFI_AUTH_MODES,
    'How the scripts authenticate to UniFi.',
  ).default('apiKey'),
  unifiSite: ruled(
    'unifiSite',
    'UniFi site the controller manages the device in.',
  ).default('default'),
  internalDomain: ruled(
    'internalDomain',
    'Local DNS domain served by UniFi.',
  ).default('internal.lan'),
  devices: z
    .array(deviceSchema, {
      required_error: `is required: 1 to ${MAX_DEVICES} devices, for example ${DEVICE_EXAMPLE}`,
      invalid_type_error: `must be a list of 1 to ${MAX_DEVICES} devices, for example ${DEVICE_EXAMPLE}`,
    })
    .min(1, { message: DEVICES_MIN_MESSAGE })
    .max(MAX_DEVICES, { message: DEVICES_MAX_MESSAGE })
    .describe(
      `The devices that run the services, 1 to ${MAX_DEVICES}: each with its hostname, MAC addresses, optional aliases and services; each gets a UniFi local DNS record and, when it publishes a service publicly, its own Cloudflare Tunnel.`,
    ),
  skipTlsVerify: z
    .boolean({ invalid_type_error: 'must be true or false' })
    .describe(
      'Skip TLS verification of the UniFi controller and tunnel origins. Development only (default true there); staging and production always verify.',
    )
    .optional(),
  stateBucket: ruled(
    'stateBucket',
    'S3 bucket holding Terraform state (staging, production).',
  ).optional(),
  stateRegion: ruled(
    'stateRegion',
    'AWS region of the state bucket (staging, production).',
  ).optional(),
  stateKey: ruled(
    'stateKey',
    'S3 key of the state object; defaults to unifi-cloudflare-glue/<environment>/<name>/terraform.tfstate.',
  ).optional(),
  locking: oneOf(
    LOCKING_MODES,
    'State locking (production): DynamoDB table (default) or the S3 native lockfile. Staging always uses the lockfile.',
  ).optional(),
  dynamodbTable: ruled(
    'dynamodbTable',
    'DynamoDB lock table (production with dynamodb locking).',
  ).optional(),
  kmsKeyId: ruled(
    'kmsKeyId',
    'Optional KMS key ARN for state encryption (production).',
  ).optional(),
  secretsProvider: oneOf(
    SECRETS_PROVIDERS,
    'vals provider for 1Password (production): op (a 1Password service account, OP_SERVICE_ACCOUNT_TOKEN) or onepasswordconnect (a Connect server, OP_CONNECT_HOST and OP_CONNECT_TOKEN).',
  ).optional(),
  vault: ruled(
    'vault',
    '1Password vault holding the production items.',
  ).optional(),
  cloudflareItem: ruled(
    'itemName',
    '1Password item with the Cloudflare API token (production).',
  ).optional(),
  unifiItem: ruled(
    'itemName',
    '1Password item with the UniFi credentials (production).',
  ).optional(),
  stateItem: ruled(
    'itemName',
    '1Password item with the state backend settings and AWS keys (production).',
  ).optional(),
};

const STATE_FIELDS = ['stateBucket', 'stateRegion', 'stateKey'] as const;
const PRODUCTION_ONLY = [
  'locking',
  'dynamodbTable',
  'kmsKeyId',
  'secretsProvider',
  'vault',
  'cloudflareItem',
  'unifiItem',
  'stateItem',
] as const;

/**
 * Whether a value passed its field's own checks (the rule, and no pasted secret): cross-field
 * rules compare and quote only such values, so a refused value is never echoed in another field's
 * message. A value that matches a rule can still be refused as a secret (a 21-character random
 * DNS label looks like a token). The upgrade's answer changes quote values by the same test.
 */
export function passed(
  name: RuleName,
  value: string | undefined,
): value is string {
  return (
    value !== undefined &&
    matchesRule(name, value) &&
    secretProblem(value) === undefined
  );
}

/**
 * The render action's input: the environment, the optional `targetPath` and every form value,
 * with each rule's message naming the field, the rule and a good example.
 * @public
 */
export const parameterSchema = z
  .object(parameterShape)
  .strict()
  .superRefine((p, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });

    const notFor = (fields: readonly string[], why: string) => {
      for (const field of fields) {
        if ((p as Record<string, unknown>)[field] !== undefined)
          issue([field], why);
      }
    };
    if (p.environment === 'development') {
      notFor(
        [...STATE_FIELDS, ...PRODUCTION_ONLY],
        'is not used by the development environment (its state is ephemeral); remove it',
      );
    }
    if (p.environment === 'staging') {
      notFor(
        PRODUCTION_ONLY,
        'is only used by the production environment; remove it',
      );
    }
    if (p.environment !== 'development') {
      if (p.skipTlsVerify === true) {
        issue(
          ['skipTlsVerify'],
          `must be false: ${p.environment} always verifies TLS certificates`,
        );
      }
      if (p.stateBucket === undefined)
        issue(
          ['stateBucket'],
          `is required for ${p.environment}, for example "${rules.stateBucket.example}"`,
        );
      if (p.stateRegion === undefined)
        issue(
          ['stateRegion'],
          `is required for ${p.environment}, for example "${rules.stateRegion.example}"`,
        );
    }
    // unifi-cloudflare-glue's Terraform modules require >= 1.5.0 (terraform/modules/*/versions.tf);
    // the S3 lockfile needs 1.10 (staging always, production when chosen).
    if (passed('terraformVersion', p.terraformVersion)) {
      const [major, minor] = p.terraformVersion.split('.').map(Number);
      const lockfile =
        p.environment === 'staging' ||
        (p.environment === 'production' && p.locking === 'lockfile');
      if (major < 1 || (major === 1 && minor < 5)) {
        issue(
          ['terraformVersion'],
          `must be 1.5.0 or later (the module's Terraform code requires it), for example "${DEFAULT_TERRAFORM_VERSION}"`,
        );
      } else if (lockfile && major === 1 && minor < 10) {
        issue(
          ['terraformVersion'],
          `must be 1.10.0 or later: the S3 lockfile (use_lockfile) needs it, for example "${DEFAULT_TERRAFORM_VERSION}"`,
        );
      }
    }
    if (p.environment === 'production') {
      if (p.vault === undefined)
        issue(
          ['vault'],
          `is required for production, for example "${rules.vault.example}"`,
        );
      const locking = p.locking ?? 'dynamodb';
      if (locking === 'dynamodb' && p.dynamodbTable === undefined) {
        issue(
          ['dynamodbTable'],
          `is required when locking is dynamodb, for example "${rules.dynamodbTable.example}"`,
        );
      }
      if (locking === 'lockfile' && p.dynamodbTable !== undefined) {
        issue(
          ['dynamodbTable'],
          'is only used when locking is dynamodb; remove it or choose dynamodb locking',
        );
      }
      // Blame a field the user set (a default never collides with another default).
      const items = [
        [
          'cloudflareItem',
          p.cloudflareItem ?? 'cloudflare',
          p.cloudflareItem !== undefined,
        ],
        ['unifiItem', p.unifiItem ?? 'unifi', p.unifiItem !== undefined],
        [
          'stateItem',
          p.stateItem ?? 'terraform-state',
          p.stateItem !== undefined,
        ],
      ] as const;
      for (const [field, item, set] of items) {
        const others = items.filter(
          other => other[0] !== field && other[1] === item,
        );
        if (set && others.length > 0) {
          issue(
            [field],
            `names the same 1Password item as ${others.map(o => `${o[0]}${o[2] ? '' : ' (by default)'}`).join(' and ')}; cloudflareItem, unifiItem and stateItem must name three different items, for example "${rules.itemName.example}"`,
          );
        }
      }
    }

    // A controller URL names the port itself; a different port chosen in the port field (443 is
    // the form's default, so it counts as not chosen) leaves it unclear which one is meant.
    if (passed('unifiAddress', p.unifiHost)) {
      const { host, port: urlPort } = splitControllerAddress(p.unifiHost);
      if (
        urlPort !== undefined &&
        p.unifiPort !== 443 &&
        p.unifiPort !== urlPort
      ) {
        issue(
          ['unifiHost'],
          `names port ${urlPort}, but unifiPort is ${p.unifiPort}; keep one of them, for example "${host}" with unifiPort ${p.unifiPort}`,
        );
      }
    }

    // Cross-field messages quote other fields only once those passed their own rule: a rejected
    // value (a newline, an ANSI escape, a pasted secret, 100 kB) must never be echoed back.
    const zone = passed('zoneName', p.zoneName) ? p.zoneName : undefined;
    const internalDomain = passed('internalDomain', p.internalDomain)
      ? p.internalDomain
      : undefined;
    const label = (value: string) => passed('hostnameLabel', value);
    /** "device 2 (media-server)": a device as a message names it (1-based, like the form). */
    const deviceName = (d: number) =>
      `device ${d + 1}${label(p.devices[d].hostname) ? ` (${p.devices[d].hostname})` : ''}`;
    const serviceName = (d: number, s: number) => {
      const name = p.devices[d].services[s].name;
      return `${deviceName(d)}, service ${s + 1}${label(name) ? ` (${name})` : ''}`;
    };

    // Names in UniFi local DNS: device hostnames, aliases and service names all become
    // <name>.<internalDomain>, so each may be used once in the whole environment.
    const localNames = new Map<string, string>();
    const claimLocal = (
      path: (string | number)[],
      name: string,
      owner: string,
    ) => {
      if (!label(name)) return false;
      const other = localNames.get(name);
      if (other !== undefined) {
        issue(
          path,
          `repeats the name "${name}" of ${other}; device hostnames, aliases and service names all become names in the local domain, so each must be unique in the environment`,
        );
        return false;
      }
      localNames.set(name, owner);
      const fqdn = `${name}.${p.internalDomain}`;
      if (internalDomain && fqdn.length > 253) {
        issue(
          path,
          `makes the local hostname ${fqdn.length} characters long; the limit is 253`,
        );
      }
      return true;
    };
    const macs = new Map<string, string>();
    const publicNames = new Map<string, string>();
    const tunnels = new Map<string, string>();

    p.devices.forEach((device, d) => {
      const at = (...rest: (string | number)[]) => ['devices', d, ...rest];
      const hostnameClaimed = claimLocal(
        at('hostname'),
        device.hostname,
        `the hostname of ${deviceName(d)}`,
      );
      (device.aliases ?? []).forEach((alias, a) =>
        claimLocal(
          at('aliases', a),
          alias,
          `alias ${a + 1} of ${deviceName(d)}`,
        ),
      );
      device.macAddresses.forEach((mac, m) => {
        if (!passed('macAddress', mac)) return;
        const normal = normaliseMac(mac);
        const other = macs.get(normal);
        if (other !== undefined) {
          issue(
            at('macAddresses', m),
            `repeats the MAC address ${normal} of ${other}; a network interface belongs to one device, and each MAC may be listed once`,
          );
        } else {
          macs.set(normal, `${deviceName(d)}, MAC ${m + 1}`);
        }
      });

      device.services.forEach((service, i) => {
        const path = (field: string) => at('services', i, field);
        claimLocal(path('name'), service.name, serviceName(d, i));
        // The module's KCL check (schemas/cloudflare.k is_valid_domain) strips only http:// and
        // https:// from a tunnel origin, so a tcp:// origin never passes: tcp stays local.
        if (
          service.protocol === 'tcp' &&
          service.distribution !== 'unifi_only'
        ) {
          issue(
            path('protocol'),
            `cannot be tcp when distribution is ${service.distribution}: unifi-cloudflare-glue publishes only http and https services through the tunnel; choose distribution unifi_only for a tcp service, or protocol http or https`,
          );
        }
        // no_tls_verify is a setting of a tunnel's https origin; anywhere else it would promise
        // something nothing does.
        if (service.noTlsVerify && service.protocol !== 'https') {
          issue(
            path('noTlsVerify'),
            `applies only to https services (this one speaks ${service.protocol}): untick it, or choose the protocol https, for example for a service with a self-signed certificate on port 8443`,
          );
        } else if (
          service.noTlsVerify &&
          service.distribution === 'unifi_only'
        ) {
          issue(
            path('noTlsVerify'),
            'applies only to services published through the Cloudflare Tunnel: untick it, or publish the service in both, for example for a service with a self-signed certificate on port 8443',
          );
        }
        if (service.distribution === 'unifi_only') {
          if (service.publicHostname !== undefined) {
            issue(
              path('publicHostname'),
              'is only used when distribution is both or cloudflare_only; remove it',
            );
          }
          return;
        }
        const example = `${label(service.name) ? service.name : 'media'}.${zone ?? rules.zoneName.example}`;
        if (service.publicHostname === undefined) {
          issue(
            path('publicHostname'),
            `is required when distribution is ${service.distribution}, for example "${example}"`,
          );
          return;
        }
        if (!passed('publicHostname', service.publicHostname)) return;
        if (
          zone &&
          service.publicHostname !== zone &&
          !service.publicHostname.endsWith(`.${zone}`)
        ) {
          issue(
            path('publicHostname'),
            `must lie inside the zone ${zone}, for example "${example}"`,
          );
        }
        const other = publicNames.get(service.publicHostname);
        if (other !== undefined) {
          issue(
            path('publicHostname'),
            `repeats the public hostname ${service.publicHostname} of ${other}; a public hostname routes to one service, so each must be unique in the environment`,
          );
        } else {
          publicNames.set(service.publicHostname, serviceName(d, i));
        }
      });

      // Each device with public services gets a tunnel named <name>-<hostname>; Cloudflare
      // tunnel names are unique in an account, and the cut to 63 characters can make two equal.
      // A hostname that repeats another name is reported once, as that.
      if (
        hostnameClaimed &&
        passed('name', p.name) &&
        device.services.some(s => s.distribution !== 'unifi_only')
      ) {
        const tunnel = tunnelNameOf(p.name, device.hostname);
        const other = tunnels.get(tunnel);
        if (other !== undefined) {
          issue(
            at('hostname'),
            `gives the tunnel name ${tunnel}, the same as ${other} (tunnel names are <name>-<hostname> cut to 63 characters); shorten the environment name or choose a hostname that differs in its first characters`,
          );
        } else {
          tunnels.set(tunnel, deviceName(d));
        }
      }
    });
  });

/**
 * The Cloudflare Tunnel name of a device: `<environment name>-<hostname>`, cut to 63 characters
 * without a trailing hyphen.
 */
export function tunnelNameOf(name: string, hostname: string): string {
  return `${name}-${hostname}`.slice(0, 63).replace(/-+$/, '');
}

export type ParameterInput = z.input<typeof parameterSchema>;

/**
 * Parameters after validation, with every default filled in and values normalised. The
 * literal unions below spell out `LOCKING_MODES` and `SECRETS_PROVIDERS` so the public API needs
 * neither constant; extending the schema's output keeps them in step (a value added to or
 * removed from either list no longer compiles here or in {@link parseParameters}).
 * @public
 */
export interface EnvironmentParameters extends Omit<
  z.output<typeof parameterSchema>,
  'skipTlsVerify' | 'targetPath' | 'devices'
> {
  /** Directory inside the workspace the files are written to; `.` when not given. */
  targetPath: string;
  /** Skip TLS verification of the UniFi controller and tunnel origins; false outside development. */
  skipTlsVerify: boolean;
  /** The devices, 1 to 50, with their MAC addresses normalised. */
  devices: EnvironmentDevice[];
  /** S3 key of the state object (staging, production); defaulted from environment and name. */
  stateKey?: string;
  /** State locking (production): a DynamoDB table or the S3 native lockfile. */
  locking?: 'dynamodb' | 'lockfile';
  /** The vals provider for 1Password (production). */
  secretsProvider?: 'op' | 'onepasswordconnect';
  /** 1Password item with the Cloudflare API token (production). */
  cloudflareItem?: string;
  /** 1Password item with the UniFi credentials (production). */
  unifiItem?: string;
  /** 1Password item with the state backend settings and AWS keys (production). */
  stateItem?: string;
}

/**
 * One service on a device, with its defaults filled in.
 * @public
 */
export interface EnvironmentService {
  /** Service name; also its internal hostname `<name>.<internalDomain>`. */
  name: string;
  /** Port the service listens on, on the device. */
  port: number;
  /** Protocol the service speaks. */
  protocol: 'http' | 'https' | 'tcp';
  /** Where it is published: UniFi local DNS, the Cloudflare Tunnel, or both. */
  distribution: 'both' | 'unifi_only' | 'cloudflare_only';
  /** Public hostname in the zone; absent for unifi_only services. */
  publicHostname?: string;
  /** Skip the TLS certificate check of this https origin (no_tls_verify). */
  noTlsVerify: boolean;
}

// The interface above spells out the service schema's output for the API report; this fails to
// compile when the two drift apart.
const serviceOutputMatches: [
  EnvironmentService,
  z.output<typeof serviceSchema>,
] = [] as unknown as [z.output<typeof serviceSchema>, EnvironmentService];
void serviceOutputMatches;

/**
 * One device of an environment after validation.
 * @public
 */
export interface EnvironmentDevice {
  /** Hostname; its local DNS name is `<hostname>.<internalDomain>`. */
  hostname: string;
  /** MAC addresses of its network interfaces, lower-case and colon-separated; the first keys its tunnel. */
  macAddresses: string[];
  /** Other local DNS names of the device (CNAME records); empty when none. */
  aliases: string[];
  /** Its services, 1 to 20. */
  services: EnvironmentService[];
}

/**
 * A rejected field: where, and what rule it broke, in words.
 * @public
 */
export interface ParameterProblem {
  /** The field's path, for example `devices[0].services[1].publicHostname`. */
  field: string;
  /** The rule it broke and an example of a good value. */
  message: string;
}

/**
 * The outcome of {@link parseParameters}: the normalised parameters, or every problem found.
 * @public
 */
export type ParseResult =
  | { success: true; parameters: EnvironmentParameters }
  | { success: false; problems: ParameterProblem[] };

/** Formats a zod path as `devices[0].services[1].publicHostname`. */
export function fieldPath(path: (string | number)[]): string {
  const joined = path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${part}` : part;
  }, '');
  return joined || '(input)';
}

/** The object shape an unknown-field issue at `path` belongs to: a service, a device or the top. */
function shapeAt(path: (string | number)[]): z.ZodRawShape {
  const objects = path.filter(part => typeof part === 'string');
  const last = objects[objects.length - 1];
  if (last === 'services') return serviceSchema.shape;
  if (last === 'devices') return deviceSchema.shape;
  return parameterShape;
}

/**
 * Validates raw input and fills environment-dependent defaults.
 * @public
 */
export function parseParameters(input: unknown): ParseResult {
  const result = parameterSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(issue => ({
      field: fieldPath(issue.path),
      message:
        issue.code === z.ZodIssueCode.unrecognized_keys
          ? `has unknown field(s) ${issue.keys.join(', ')}; the accepted fields are ${Object.keys(
              shapeAt(issue.path),
            ).join(', ')}`
          : issue.message,
    }));
    return { success: false, problems };
  }
  const p = result.data;
  // A pasted controller URL fills host and port (https://10.20.0.1:8443 -> 10.20.0.1, 8443).
  const controller = splitControllerAddress(p.unifiHost);
  const parameters: EnvironmentParameters = {
    ...p,
    targetPath: p.targetPath ?? '.',
    unifiHost: controller.host,
    unifiPort: controller.port ?? p.unifiPort,
    devices: p.devices.map(device => ({
      ...device,
      macAddresses: device.macAddresses.map(normaliseMac),
      aliases: device.aliases ?? [],
    })),
    skipTlsVerify:
      p.environment === 'development' ? (p.skipTlsVerify ?? true) : false,
  };
  if (p.environment !== 'development') {
    parameters.stateKey =
      p.stateKey ??
      `unifi-cloudflare-glue/${p.environment}/${p.name}/terraform.tfstate`;
  }
  if (p.environment === 'staging') parameters.locking = 'lockfile';
  if (p.environment === 'production') {
    parameters.locking = p.locking ?? 'dynamodb';
    parameters.secretsProvider = p.secretsProvider ?? 'op';
    parameters.cloudflareItem = p.cloudflareItem ?? 'cloudflare';
    parameters.unifiItem = p.unifiItem ?? 'unifi';
    parameters.stateItem = p.stateItem ?? 'terraform-state';
  }
  return { success: true, parameters };
}

/** One message listing every problem, for an InputError. */
export function describeProblems(problems: ParameterProblem[]): string {
  const lines = problems.map(p => `- ${p.field} ${p.message}`);
  return `The environment parameters have ${problems.length} problem(s):\n${lines.join('\n')}`;
}
