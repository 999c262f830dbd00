/**
 * The value rules of every form field, in one place.
 *
 * Each rule is a regular expression source, a plain-words statement of the rule and an example
 * of a good value. The template forms carry {@link formPattern} (the rule's pattern with blanks
 * allowed around the value) and, as their `errorMessage`, the same sentences the model says
 * ({@link ruleMessage}, {@link lengthMessage}); a test keeps the forms in step. Patterns are
 * anchored, linear (no nested quantifiers over overlapping classes) and bounded by a maximum
 * length, so they run in linear time.
 */
export interface ValueRule {
  /** Regular expression source, usable as a JSON Schema `pattern`. */
  readonly pattern: string;
  /** Maximum length in characters, checked before the pattern. */
  readonly maxLength: number;
  /** What the rule asks for, in plain words. */
  readonly rule: string;
  /** A value that passes. */
  readonly example: string;
  /**
   * Free text kept exactly as typed: no blanks trimmed, so the form's pattern and maxLength are
   * the rule's own. Identifiers and names have their surrounding blanks trimmed.
   */
  readonly keepsBlanks?: boolean;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const HEX2 = '[0-9A-Fa-f]{2}';
const HEX4 = '[0-9A-Fa-f]{4}';
const IPV4 = `(?:${IPV4_OCTET}\\.){3}${IPV4_OCTET}`;
const HOSTNAME = `(?:${LABEL}\\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?`;
const TCP_PORT =
  '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
// A last label of at least two characters starting with a letter, as the upstream KCL checks want.
const TOP_LABEL = '[a-z][a-z0-9-]{0,61}[a-z0-9]';

export const rules = {
  name: {
    pattern: `^${LABEL}$`,
    maxLength: 63,
    rule: '1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit',
    example: 'homelab-dns-dev',
  },
  description: {
    // The class is every code point that is Cc, Cf, Zl, Zp or Default_Ignorable_Code_Point
    // (Unicode 17, as Node 20 knows it), U+2800 BRAILLE PATTERN BLANK and the surrogates, as
    // explicit ranges: the form and the model read the same text whatever Unicode version a
    // browser has. tests/security/unicodeRanges.test.ts checks it against the properties.
    pattern:
      '^(?!.*ref\\+)[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u115f-\\u1160\\u17b4-\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u2800\\u3164\\ud800-\\udfff\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\\u{110BD}\\u{110CD}\\u{13430}-\\u{1343F}\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E0FFF}]*$',
    maxLength: 200,
    rule: 'one line of printable text without control, format, invisible (default-ignorable, blank) or bidirectional characters and without vals references (ref+...), at most 200 characters',
    example: 'DNS and tunnels for the home lab media server',
    // Prose: spaces are part of it, and the kits render it inert wherever it goes.
    keepsBlanks: true,
  },
  entityRef: {
    pattern:
      '^(?:(?:[a-z][a-z0-9]*):)?(?:(?:[a-z0-9][a-z0-9._-]{0,61}[a-z0-9]|[a-z0-9])/)?(?:[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]|[A-Za-z0-9])$',
    maxLength: 255,
    rule: 'a Backstage entity reference such as kind:namespace/name, namespace/name or name',
    example: 'group:default/platform-team',
  },
  glueVersion: {
    pattern:
      '^v(?:0|[1-9][0-9]{0,5})\\.(?:0|[1-9][0-9]{0,5})\\.(?:0|[1-9][0-9]{0,5})$',
    maxLength: 22,
    rule: 'a release tag vMAJOR.MINOR.PATCH',
    example: 'v0.12.2',
  },
  // The module runs hashicorp/terraform:<terraform_version> (unifi-cloudflare-glue v0.12.2,
  // src/main/main.py); a release number is a tag of that image.
  terraformVersion: {
    pattern:
      '^(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})$',
    maxLength: 14,
    rule: 'a Terraform release MAJOR.MINOR.PATCH (a tag of the hashicorp/terraform image)',
    example: '1.11.4',
  },
  // The module runs kcllang/kcl:<kcl_version> (src/main/main.py); that image's release tags
  // carry a leading v (kcllang/kcl:v0.11.2).
  kclVersion: {
    pattern:
      '^v(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})$',
    maxLength: 15,
    rule: 'a KCL release vMAJOR.MINOR.PATCH (a tag of the kcllang/kcl image)',
    example: 'v0.11.2',
  },
  zoneName: {
    pattern: `^(?:${LABEL}\\.)+${TOP_LABEL}$`,
    maxLength: 253,
    rule: 'a lower-case DNS name of at least two labels, each 1-63 letters, digits or hyphens, the last starting with a letter and at least two characters long',
    example: 'example.com',
  },
  cloudflareAccountId: {
    pattern: '^[0-9a-f]{32}$',
    maxLength: 32,
    rule: '32 lower-case hexadecimal characters (Cloudflare dashboard, Account ID)',
    example: '0123456789abcdef0123456789abcdef',
  },
  unifiHost: {
    pattern: `^(?:${IPV4}|${HOSTNAME})$`,
    maxLength: 253,
    rule: 'a lower-case hostname (labels of letters, digits and hyphens) or an IPv4 address',
    example: 'unifi.internal.lan',
  },
  // What the host field accepts: the host alone, or the controller's address as people copy it
  // from the browser (https://10.20.0.1:8443/). splitControllerAddress takes it apart.
  unifiAddress: {
    pattern: `^(?:https://)?(?:${IPV4}|${HOSTNAME})(?::${TCP_PORT})?/?$`,
    maxLength: 268,
    rule: "the controller's lower-case hostname or IPv4 address, or its address as you open it in the browser (https://host or https://host:port)",
    example: 'unifi.internal.lan',
  },
  // The site's short name, as in the controller's URL /manage/site/<name>/...: "default" for the
  // first site, eight lower-case letters and digits for the others (UniFi Network generates it).
  unifiSite: {
    pattern: '^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$',
    maxLength: 64,
    rule: "the UniFi site's short name as it appears in the controller URL after /manage/site/: 1-64 lower-case letters, digits, hyphens and underscores",
    example: 'default',
  },
  internalDomain: {
    pattern: `^(?:${LABEL}\\.)+${TOP_LABEL}$`,
    maxLength: 253,
    rule: 'a lower-case DNS name of at least two labels',
    example: 'internal.lan',
  },
  hostnameLabel: {
    pattern: `^${LABEL}$`,
    maxLength: 63,
    rule: 'one DNS label: 1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit',
    example: 'media-server',
  },
  macAddress: {
    pattern: `^(?:${HEX2}(?::${HEX2}){5}|${HEX2}(?:-${HEX2}){5}|${HEX4}(?:\\.${HEX4}){2}|[0-9A-Fa-f]{12})$`,
    maxLength: 17,
    rule: 'a MAC address of six pairs of hexadecimal digits, written aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff (either case)',
    example: 'aa:bb:cc:dd:ee:ff',
  },
  publicHostname: {
    pattern: `^(?:${LABEL}\\.)+${TOP_LABEL}$`,
    maxLength: 253,
    rule: 'a lower-case DNS name inside the Cloudflare zone',
    example: 'media.example.com',
  },
  stateBucket: {
    pattern:
      '^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(?:-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$)(?!.*(?:\\.\\.|\\.-|-\\.))(?![0-9]{1,3}(?:\\.[0-9]{1,3}){3}$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    maxLength: 63,
    rule: 'an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit, not an IP address',
    example: 'acme-terraform-state',
  },
  stateRegion: {
    pattern: '^[a-z]{2}(?:-[a-z]+){1,2}-[1-9][0-9]?$',
    maxLength: 25,
    rule: 'an AWS region code',
    example: 'eu-central-1',
  },
  stateKey: {
    pattern: '^(?!/)(?!.*/$)(?!.*//)(?!(?:.*/)?\\.+(?:/|$))[A-Za-z0-9._/-]+$',
    // S3 keys end at 1024 bytes; the UniFi-only and Cloudflare-only runs add ".cloudflare-only".
    maxLength: 1000,
    rule: 'an S3 object key of letters, digits, dots, hyphens, underscores and slashes, without a leading or trailing slash, empty or dot-only segments',
    example: 'unifi-cloudflare-glue/staging/homelab-dns/terraform.tfstate',
  },
  dynamodbTable: {
    pattern: '^[A-Za-z0-9_.-]{3,255}$',
    maxLength: 255,
    rule: 'a DynamoDB table name: 3-255 letters, digits, underscores, hyphens and dots',
    example: 'terraform-state-locks',
  },
  kmsKeyId: {
    pattern:
      '^arn:aws(?:-[a-z]+){0,2}:kms:[a-z]{2}(?:-[a-z]+){1,2}-[1-9][0-9]?:[0-9]{12}:(?:key/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})|alias/[A-Za-z0-9/_-]{1,250})$',
    maxLength: 2048,
    // Terraform's S3 backend accepts a key UUID only with version digit 1-5 and variant 8, 9, a
    // or b (hashicorp/terraform internal/backend/remote-state/s3/validate.go, uuidRegexPattern).
    rule: 'an AWS KMS key ARN (key/<UUID> with version digit 1-5 and variant 8, 9, a or b, or key/mrk-<32 hex>) or alias ARN',
    example:
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-86ef-1234567890ab',
  },
  vault: {
    pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
    maxLength: 63,
    rule: 'a 1Password vault name usable as a URI host: 1-63 letters, digits and hyphens, no spaces',
    example: 'Infrastructure',
  },
  itemName: {
    pattern: '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$',
    maxLength: 64,
    rule: 'a 1Password item name usable in a secret reference: 1-64 letters, digits, hyphens, underscores and dots, no spaces',
    example: 'cloudflare-api',
  },
} as const satisfies Record<string, ValueRule>;

export type RuleName = keyof typeof rules;

/** Length in code points, as JSON Schema's maxLength counts it (not UTF-16 units). */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** Tests a value against a rule: length first, so the pattern never sees oversize input. */
export function matchesRule(name: RuleName, value: string): boolean {
  const rule: ValueRule = rules[name];
  return (
    value.length <= rule.maxLength * 2 &&
    codePointLength(value) <= rule.maxLength &&
    compiled(name).test(value)
  );
}

const cache = new Map<RuleName, RegExp>();
function compiled(name: RuleName): RegExp {
  let re = cache.get(name);
  if (!re) {
    re = new RegExp(rules[name].pattern, 'u');
    cache.set(name, re);
  }
  return re;
}

/** How many blanks around a value the form and the model let through (and trim) beyond a rule's maxLength. */
export const BLANK_ALLOWANCE = 16;

/** The form's maxLength for a rule: the rule's, plus room for pasted blanks. */
export function formMaxLength(name: RuleName): number {
  const rule: ValueRule = rules[name];
  return rule.keepsBlanks ? rule.maxLength : rule.maxLength + BLANK_ALLOWANCE;
}

/** The value the model judges: with its surrounding blanks trimmed, unless the rule keeps them. */
export function blanksTrimmed(name: RuleName, value: string): string {
  const rule: ValueRule = rules[name];
  return rule.keepsBlanks ? value : trimBlanks(value);
}

/**
 * The form's pattern for a rule: the rule's, with blanks (spaces, tabs) allowed around the value,
 * and the rule's maxLength applied to the value without them (a look-ahead; `.` counts code
 * points under the `u` flag, as maxLength does). A rule that keeps blanks keeps its pattern.
 */
export function formPattern(name: RuleName): string {
  const { pattern, maxLength, keepsBlanks }: ValueRule = rules[name];
  if (keepsBlanks) return pattern;
  // Every `$` outside the leading `^` is an end anchor (no rule matches a literal dollar), also
  // those inside look-aheads such as "not ending in -s3alias": each may now be followed by blanks.
  const inner = pattern.slice(1, -1).replace(/(?<!\\)\$/g, '[ \\t]*$');
  // `(?![ \t])` after the leading blanks: the engine never retries the rule from inside them,
  // which would make a look-ahead like (?!.*//) quadratic on a long run of blanks.
  return `^[ \\t]*(?![ \\t])(?=.{0,${maxLength}}[ \\t]*$)${inner}[ \\t]*$`;
}

/** What a port outside 1-65535 is told, in the form and in the model. */
export const PORT_MESSAGE =
  'must be a whole number from 1 to 65535, for example 443';

/** What a value breaking a rule's pattern is told, in the form and in the model. */
export function ruleMessage(name: RuleName): string {
  const rule: ValueRule = rules[name];
  return `must be ${rule.rule}, for example "${rule.example}"`;
}

/** What a value longer than a rule allows is told, in the form and (after its length) in the model. */
export function lengthMessage(name: RuleName): string {
  const rule: ValueRule = rules[name];
  return `must be at most ${rule.maxLength} characters: ${rule.rule}, for example "${rule.example}"`;
}

/**
 * Removes the blanks (spaces and tabs) people paste around a value. Nothing else: any other
 * character at either end stays and meets the rule. A loop, not a regex, so that it is linear.
 */
export function trimBlanks(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === ' ' || value[start] === '\t'))
    start++;
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t'))
    end--;
  return value.slice(start, end);
}

/** Normalises an accepted MAC address (any notation, either case) to lower case with colons. */
export function normaliseMac(mac: string): string {
  const hex = mac.replace(/[:.-]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}

/**
 * Takes apart a value that passed the `unifiAddress` rule: the host, and the port when the value
 * names one (https://10.20.0.1:8443 gives 10.20.0.1 and 8443; unifi.lan gives unifi.lan alone).
 */
export function splitControllerAddress(address: string): {
  host: string;
  port?: number;
} {
  const match = /^(?:https:\/\/)?([^:/]+)(?::([0-9]+))?\/?$/.exec(address);
  if (!match)
    throw new Error(`not a controller address: ${JSON.stringify(address)}`);
  return match[2] === undefined
    ? { host: match[1] }
    : { host: match[1], port: Number(match[2]) };
}

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** False when a string holds a lone surrogate, which no UTF-8 file can store. */
export function isWellFormedUnicode(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}
