import { layoutCatalogue } from './layout';
import { ExpectedLayout, maskSecret } from './types';

/**
 * The one masking rule of the secrets-layout validator's messages: text taken from a validated
 * file is shown in full only when it is a name the validator already knows (the expected vault
 * and items, the layout's keys and fields, vals provider names, the kits' variable names);
 * anything else, which could be a pasted token, shows at most its first 4 characters
 * ({@link maskSecret}). Every rule quotes file text through {@link Vocabulary.show} or
 * {@link Vocabulary.reference}.
 */
export interface Vocabulary {
  /** `"name"` when known, else `"abcd…"`. */
  show(text: string): string;
  /** Like {@link show}, without the quotes. */
  bare(text: string): string;
  /** A reference as `"ref+op://…"`: the prefix and a known provider name, never the rest unless every part is known. */
  reference(text: string): string;
}

/** Provider names of vals (helmfile/vals, pkg/providers), shown in full. */
export const VALS_PROVIDERS = [
  'op',
  'onepasswordconnect',
  'file',
  'envsubst',
  'echo',
  'exec',
  'keychain',
  'tfstate',
  'tfstategs',
  'tfstates3',
  'tfstateazurerm',
  'tfstateremote',
  'vault',
  'awssecrets',
  'awskms',
  's3',
  'ssm',
  'gcpsecrets',
  'gcs',
  'gkms',
  'azurekeyvault',
  'sops',
  'doppler',
  'pulumistateapi',
  'bitwarden',
  'httpjson',
  'k8s',
  'conjur',
  'infisical',
];

/** Variable names the kits use (.env.example, the Makefile and secrets.vals.yaml). */
const KIT_VARIABLES = [
  'CF_TOKEN',
  'CLOUDFLARE_API_TOKEN',
  'UNIFI_API_KEY',
  'UNIFI_USERNAME',
  'UNIFI_PASSWORD',
  'OP_SERVICE_ACCOUNT_TOKEN',
  'OP_CONNECT_HOST',
  'OP_CONNECT_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

// The rules of one validation share its expected layout object, and so its vocabulary.
const vocabularyCache = new WeakMap<ExpectedLayout, Vocabulary>();
let withoutLayout: Vocabulary | undefined;

/** The vocabulary of one validation: what may be shown in full; built once per expected layout. */
export function vocabulary(expected?: ExpectedLayout): Vocabulary {
  if (!expected) return (withoutLayout ??= buildVocabulary());
  let names = vocabularyCache.get(expected);
  if (!names) {
    names = buildVocabulary(expected);
    vocabularyCache.set(expected, names);
  }
  return names;
}

function buildVocabulary(expected?: ExpectedLayout): Vocabulary {
  const known = new Set<string>([...VALS_PROVIDERS, ...KIT_VARIABLES]);
  if (expected) {
    known.add(expected.vault);
    for (const item of Object.values(expected.items)) known.add(item);
    for (const r of layoutCatalogue(expected)) {
      known.add(r.key);
      known.add(r.field);
      known.add(r.file);
      known.add(r.ref);
    }
  }
  const bare = (text: string) => (known.has(text) ? text : maskSecret(text));
  return {
    bare,
    show: text => `"${bare(text)}"`,
    reference(text) {
      const word = /^\S*/.exec(text)![0].replace(/\+$/, '');
      if (known.has(word)) return `"${word}"`;
      const m = /^((?:secret)?ref\+)([^+:\s/]*):\/\//i.exec(word);
      if (!m) return `"${maskSecret(word)}"`;
      const scheme = VALS_PROVIDERS.includes(m[2].toLowerCase())
        ? m[2]
        : maskSecret(m[2]);
      return `"${m[1]}${scheme}://…"`;
    },
  };
}
