// Archived verbatim from kit release 0.2.0 (git eb9d0e4, src/secrets/references.ts); only the imports are
// adapted. Never edit: repositories made by 0.2.0 are merged against exactly this output.
import { Parameters as EnvironmentParameters } from './parameters';

/**
 * The production secret layout: which 1Password item and field holds each secret, and where
 * it is used. The backend template, the vals secrets template, SECRETS.md and the
 * secrets-layout validator all read this one list.
 */
export interface SecretReference {
  /** Where the value goes: a key of backend.yaml or an environment variable of the secrets template. */
  key: string;
  /** Which file references it. */
  file: 'backend.yaml.tmpl' | 'secrets.vals.yaml';
  item: string;
  field: string;
  /** What the value is, for SECRETS.md. */
  purpose: string;
  /** Example of the value's shape, for `op item create` (never a real secret). */
  placeholder: string;
  /** Whether the value is a credential (rotation applies) or a setting kept out of git. */
  credential: boolean;
  /** The full vals reference. */
  ref: string;
}

export type SecretsProvider = 'op' | 'onepasswordconnect';

/** Builds a vals reference to a 1Password field for the chosen provider. */
export function valsRef(
  provider: SecretsProvider,
  vault: string,
  item: string,
  field: string,
): string {
  return provider === 'op'
    ? `ref+op://${vault}/${item}/${field}`
    : `ref+onepasswordconnect://${vault}/${item}#/${field}`;
}

/** The production reference list for a parameter set (empty for other environments). */
export function secretReferences(p: EnvironmentParameters): SecretReference[] {
  if (p.environment !== 'production') return [];
  const provider = p.secretsProvider!;
  const vault = p.vault!;
  const entries: Omit<SecretReference, 'ref'>[] = [
    {
      key: 'bucket',
      file: 'backend.yaml.tmpl',
      item: p.stateItem!,
      field: 'bucket',
      purpose: 'S3 bucket holding the Terraform state',
      placeholder: p.stateBucket!,
      credential: false,
    },
    {
      key: 'region',
      file: 'backend.yaml.tmpl',
      item: p.stateItem!,
      field: 'region',
      purpose: 'AWS region of the state bucket',
      placeholder: p.stateRegion!,
      credential: false,
    },
  ];
  if (p.locking === 'dynamodb') {
    entries.push({
      key: 'dynamodb_table',
      file: 'backend.yaml.tmpl',
      item: p.stateItem!,
      field: 'dynamodb-table',
      purpose: 'DynamoDB table used for state locking',
      placeholder: p.dynamodbTable!,
      credential: false,
    });
  }
  if (p.kmsKeyId !== undefined) {
    entries.push({
      key: 'kms_key_id',
      file: 'backend.yaml.tmpl',
      item: p.stateItem!,
      field: 'kms-key-id',
      purpose: 'KMS key that encrypts the state object',
      placeholder: p.kmsKeyId,
      credential: false,
    });
  }
  entries.push(
    {
      key: 'access_key',
      file: 'backend.yaml.tmpl',
      item: p.stateItem!,
      field: 'access-key-id',
      purpose:
        'AWS access key ID of the state-backend IAM user (least privilege, see below)',
      placeholder: '<AWS access key ID>',
      credential: true,
    },
    {
      key: 'secret_key',
      file: 'backend.yaml.tmpl',
      item: p.stateItem!,
      field: 'secret-access-key',
      purpose: 'AWS secret access key of the same IAM user',
      placeholder: '<AWS secret access key>',
      credential: true,
    },
    {
      key: 'CF_TOKEN',
      file: 'secrets.vals.yaml',
      item: p.cloudflareItem!,
      field: 'credential',
      purpose: 'Cloudflare API token (Zone DNS edit, Cloudflare Tunnel edit)',
      placeholder: '<Cloudflare API token>',
      credential: true,
    },
  );
  if (p.unifiAuth === 'apiKey') {
    entries.push({
      key: 'UNIFI_API_KEY',
      file: 'secrets.vals.yaml',
      item: p.unifiItem!,
      field: 'api-key',
      purpose: 'UniFi controller API key',
      placeholder: '<UniFi API key>',
      credential: true,
    });
  } else {
    entries.push(
      {
        key: 'UNIFI_USERNAME',
        file: 'secrets.vals.yaml',
        item: p.unifiItem!,
        field: 'username',
        purpose: 'UniFi controller local admin user name',
        placeholder: '<UniFi user name>',
        credential: true,
      },
      {
        key: 'UNIFI_PASSWORD',
        file: 'secrets.vals.yaml',
        item: p.unifiItem!,
        field: 'password',
        purpose: 'UniFi controller password',
        placeholder: '<UniFi password>',
        credential: true,
      },
    );
  }
  return entries.map(e => ({
    ...e,
    ref: valsRef(provider, vault, e.item, e.field),
  }));
}

/** The references grouped by 1Password item, in first-use order, for SECRETS.md. */
export function referencesByItem(
  refs: SecretReference[],
): { item: string; fields: SecretReference[] }[] {
  const items = new Map<string, SecretReference[]>();
  for (const ref of refs) {
    const list = items.get(ref.item) ?? [];
    list.push(ref);
    items.set(ref.item, list);
  }
  return [...items].map(([item, fields]) => ({ item, fields }));
}
