/**
 * The value rules of every form field, in one place.
 *
 * Each rule is a regular expression source (shared verbatim with the `pattern` of the
 * template forms, which a test keeps in step), a plain-words statement of the rule and an
 * example of a good value. Patterns are anchored, linear (no nested quantifiers over
 * overlapping classes) and bounded by a maximum length, so they run in linear time.
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
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const HEX2 = '[0-9A-Fa-f]{2}';
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
    // browser has. src/__tests__/security/unicodeRanges.test.ts checks it against the properties.
    pattern: '^(?!.*ref\\+)[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u115f-\\u1160\\u17b4-\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u2800\\u3164\\ud800-\\udfff\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\\u{110BD}\\u{110CD}\\u{13430}-\\u{1343F}\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E0FFF}]*$',
    maxLength: 200,
    rule: 'one line of printable text without control, format, invisible (default-ignorable, blank) or bidirectional characters and without vals references (ref+...), at most 200 characters',
    example: 'DNS and tunnels for the home lab media server',
  },
  entityRef: {
    pattern:
      '^(?:(?:[a-z][a-z0-9]*):)?(?:(?:[a-z0-9][a-z0-9._-]{0,61}[a-z0-9]|[a-z0-9])/)?(?:[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]|[A-Za-z0-9])$',
    maxLength: 255,
    rule: 'a Backstage entity reference such as kind:namespace/name, namespace/name or name',
    example: 'group:default/platform-team',
  },
  glueVersion: {
    pattern: '^v(?:0|[1-9][0-9]{0,5})\\.(?:0|[1-9][0-9]{0,5})\\.(?:0|[1-9][0-9]{0,5})$',
    maxLength: 22,
    rule: 'a release tag vMAJOR.MINOR.PATCH',
    example: 'v0.12.2',
  },
  // The module runs hashicorp/terraform:<terraform_version> (unifi-cloudflare-glue v0.12.2,
  // src/main/main.py); a release number is a tag of that image.
  terraformVersion: {
    pattern: '^(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})$',
    maxLength: 14,
    rule: 'a Terraform release MAJOR.MINOR.PATCH (a tag of the hashicorp/terraform image)',
    example: '1.11.4',
  },
  // The module runs kcllang/kcl:<kcl_version> (src/main/main.py); that image's release tags
  // carry a leading v (kcllang/kcl:v0.11.2).
  kclVersion: {
    pattern: '^v(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})\\.(?:0|[1-9][0-9]{0,3})$',
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
    pattern: `^(?:(?:${IPV4_OCTET}\\.){3}${IPV4_OCTET}|(?:${LABEL}\\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)$`,
    maxLength: 253,
    rule: 'a lower-case hostname (labels of letters, digits and hyphens) or an IPv4 address',
    example: 'unifi.internal.lan',
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
    pattern: `^(?:${HEX2}(?::${HEX2}){5}|${HEX2}(?:-${HEX2}){5}|[0-9A-Fa-f]{12})$`,
    maxLength: 17,
    rule: 'a MAC address written aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabbccddeeff',
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
    maxLength: 1024,
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
    example: 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-86ef-1234567890ab',
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
  return value.length <= rule.maxLength * 2 && codePointLength(value) <= rule.maxLength && compiled(name).test(value);
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

/** Normalises an accepted MAC address to lower case with colons. */
export function normaliseMac(mac: string): string {
  const hex = mac.replace(/[:-]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** False when a string holds a lone surrogate, which no UTF-8 file can store. */
export function isWellFormedUnicode(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}
