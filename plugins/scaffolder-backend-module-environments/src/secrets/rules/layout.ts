import { EnvironmentParameters } from '../../parameters/model';
import { secretReferences, SecretReference, valsRef } from '../references';
import {
  findReferenceCandidates,
  OnePasswordReference,
  parseReference,
  VALS_REF_REGEXP,
} from './referenceSyntax';
import {
  BACKEND_TEMPLATE,
  ExpectedLayout,
  maskSecret,
  Rule,
  SECRETS_TEMPLATE,
  ValidationInput,
  Violation,
} from './types';
import { yamlTopLevel, YamlEntry } from '../validationInput';
import { vocabulary } from './masking';

// One validation asks for the catalogue of the same expected layout, and for the references of
// the same input, from several rules.
const catalogueCache = new WeakMap<ExpectedLayout, SecretReference[]>();
const referencesCache = new WeakMap<ValidationInput, FoundReference[]>();

/**
 * Every secret the layout can hold, derived from `secretReferences` (the list the kits render
 * from): both UniFi authentication modes, DynamoDB locking and a KMS key, with the expected
 * vault and item names. A rendered kit holds a subset of it.
 */
export function layoutCatalogue(expected: ExpectedLayout): SecretReference[] {
  let catalogue = catalogueCache.get(expected);
  if (!catalogue) {
    catalogue = computeCatalogue(expected);
    catalogueCache.set(expected, catalogue);
  }
  return catalogue;
}

function computeCatalogue(expected: ExpectedLayout): SecretReference[] {
  const base = {
    environment: 'production',
    secretsProvider: expected.provider,
    vault: expected.vault,
    cloudflareItem: expected.items.cloudflare,
    unifiItem: expected.items.unifi,
    stateItem: expected.items.state,
    locking: 'dynamodb',
    kmsKeyId:
      'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
  } as unknown as EnvironmentParameters;
  const all = [
    ...secretReferences({ ...base, unifiAuth: 'apiKey' }),
    ...secretReferences({ ...base, unifiAuth: 'usernamePassword' }),
  ];
  const byKey = new Map<string, SecretReference>();
  for (const r of all) byKey.set(`${r.file}\u0000${r.key}`, r);
  return [...byKey.values()];
}

/** Keys of backend.yaml.tmpl that must always be references (the others only when present). */
const REQUIRED_BACKEND_KEYS = ['bucket', 'region', 'access_key', 'secret_key'];

/** A reference found in one of the two secrets templates: where it is and what it names (never a value). */
export interface FoundReference extends OnePasswordReference {
  file: string;
  line: number;
  key: string;
}

/** Whether a value is exactly one vals reference as vals matches it (an optional trailing `+` allowed). */
function isWholeReference(value: string): boolean {
  const m = VALS_REF_REGEXP.exec(value);
  return m !== null && m.index === 0 && m[0].length === value.length;
}

/** The 1Password references of the two secrets templates, in file order; computed once per input. */
export function collectReferences(input: ValidationInput): FoundReference[] {
  let found = referencesCache.get(input);
  if (!found) {
    found = computeReferences(input);
    referencesCache.set(input, found);
  }
  return found;
}

function computeReferences(input: ValidationInput): FoundReference[] {
  const found: FoundReference[] = [];
  for (const file of [BACKEND_TEMPLATE, SECRETS_TEMPLATE]) {
    const content = input.files.get(file);
    if (!content) continue;
    for (const entry of yamlTopLevel(content).entries) {
      if (typeof entry.scalar !== 'string') continue;
      for (const candidate of findReferenceCandidates(entry.scalar)) {
        if (candidate.prefix !== 'ref' || candidate.nested) continue;
        const parsed = parseReference(candidate.text);
        if (parsed.ok)
          found.push({
            file,
            line: entry.valueLine,
            key: entry.key,
            ...parsed.reference,
          });
      }
    }
  }
  return found;
}

/**
 * Rule `layout`: the two secrets templates exist and parse; every secret key of
 * `backend.yaml.tmpl` (bucket, region, access_key, secret_key, and dynamodb_table and
 * kms_key_id when present) and every key of `secrets.vals.yaml` holds exactly one reference,
 * not a literal, to the configured vault and the item and field the layout assigns that key.
 */
export const layout: Rule = async (input: ValidationInput) => {
  const { expected } = input;
  const catalogue = layoutCatalogue(expected);
  const violations: Violation[] = [];
  const push = (file: string, line: number, message: string, fix: string) =>
    violations.push({ file, line, rule: 'layout', message, fix });
  const names = vocabulary(expected);

  for (const file of [BACKEND_TEMPLATE, SECRETS_TEMPLATE]) {
    const known = new Map(
      catalogue.filter(r => r.file === file).map(r => [r.key, r]),
    );
    const content = input.files.get(file);
    if (!content) {
      const skipped = input.skipped.find(s => s.path === file);
      push(
        file,
        0,
        skipped
          ? `${file} is a ${skipped.reason}, not a regular file`
          : `${file} is missing`,
        `render the production kit again (unifiCloudflare:environment:render) or restore ${file} from git`,
      );
      continue;
    }
    const top = yamlTopLevel(content);
    for (const error of top.errors) {
      push(
        file,
        error.line,
        `${file} is not valid YAML: ${error.message}`,
        'fix the YAML syntax (keys and values of the form key: "value")',
      );
    }
    if (top.errors.length > 0) continue;

    const entries = new Map<string, YamlEntry>(
      top.entries.map(e => [e.key, e]),
    );
    const required =
      file === BACKEND_TEMPLATE
        ? [
            ...REQUIRED_BACKEND_KEYS,
            ...['dynamodb_table', 'kms_key_id'].filter(k => entries.has(k)),
          ]
        : ['CF_TOKEN', ...unifiKeys(entries)];
    if (
      file === SECRETS_TEMPLATE &&
      entries.has('UNIFI_API_KEY') &&
      (entries.has('UNIFI_USERNAME') || entries.has('UNIFI_PASSWORD'))
    ) {
      const at =
        entries.get('UNIFI_USERNAME') ?? entries.get('UNIFI_PASSWORD')!;
      push(
        file,
        at.keyLine,
        'secrets.vals.yaml holds both UNIFI_API_KEY and UNIFI_USERNAME/UNIFI_PASSWORD; the UniFi controller takes one authentication mode',
        'keep UNIFI_API_KEY (unifiAuth apiKey) or UNIFI_USERNAME and UNIFI_PASSWORD (unifiAuth usernamePassword), as the Makefile uses',
      );
    }
    for (const key of required) {
      if (!entries.has(key)) {
        const r = known.get(key)!;
        push(file, 0, `${file} has no ${key}`, `add ${key}: "${r.ref}"`);
      }
    }

    for (const entry of top.entries) {
      const r = known.get(entry.key);
      const mustBeReference =
        file === SECRETS_TEMPLATE || required.includes(entry.key);
      const value = entry.scalar;
      const text = typeof value === 'string' ? value : undefined;
      const holdsReference =
        text !== undefined && findReferenceCandidates(text).length > 0;

      if (!r) {
        if (file === SECRETS_TEMPLATE) {
          push(
            file,
            entry.keyLine,
            `${names.bare(entry.key)} is not a variable of the layout (${[...known.keys()].join(', ')})`,
            `remove ${names.bare(entry.key)}, or add it to the layout (src/secrets/references.ts) and SECRETS.md`,
          );
        } else if (holdsReference) {
          push(
            file,
            entry.valueLine,
            `${names.bare(entry.key)} holds a reference but is not a secret of the layout (${[...known.keys()].join(', ')})`,
            `write ${names.bare(entry.key)} as a plain setting, or add it to the layout (src/secrets/references.ts) and SECRETS.md`,
          );
        }
        continue;
      }
      if (!mustBeReference) continue;

      if (
        !entry.isScalar ||
        value === null ||
        value === undefined ||
        value === ''
      ) {
        push(
          file,
          entry.valueLine,
          `${entry.key} has no value; it must be a vals reference`,
          `write ${entry.key}: "${r.ref}"`,
        );
        continue;
      }
      if (text === undefined) {
        push(
          file,
          entry.valueLine,
          `${entry.key} is a literal ${typeof value} (${maskSecret(String(value))}), not a vals reference`,
          `write ${entry.key}: "${r.ref}" and keep the value in 1Password`,
        );
        continue;
      }
      if (!holdsReference) {
        push(
          file,
          entry.valueLine,
          `${entry.key} is a literal value (${maskSecret(text)}), not a vals reference`,
          `move the value to 1Password (${r.item}/${r.field}) and write ${entry.key}: "${r.ref}"`,
        );
        continue;
      }
      const trimmed = text.trim();
      const parsed = /^(secret)?ref\+/.test(trimmed)
        ? parseReference(trimmed, names)
        : undefined;
      if (!parsed || (parsed.ok && !isWholeReference(trimmed))) {
        push(
          file,
          entry.valueLine,
          `${entry.key} mixes a reference with other text; it must be exactly one reference`,
          `write ${entry.key}: "${r.ref}"`,
        );
        continue;
      }
      if (!parsed.ok) continue; // referenceSyntax or forbiddenProviders reports it
      const ref = parsed.reference;
      if (ref.provider !== expected.provider) continue; // forbiddenProviders reports it
      const wrong: string[] = [];
      if (ref.vault !== expected.vault)
        wrong.push(
          `vault ${names.show(ref.vault)} instead of the configured "${expected.vault}"`,
        );
      if (ref.item !== r.item)
        wrong.push(`item ${names.show(ref.item)} instead of "${r.item}"`);
      if (ref.section !== undefined)
        wrong.push(
          `section ${names.show(ref.section)}, but the layout keeps its fields outside sections`,
        );
      if (ref.field !== r.field)
        wrong.push(`field ${names.show(ref.field)} instead of "${r.field}"`);
      if (wrong.length > 0) {
        push(
          file,
          entry.valueLine,
          `${entry.key} refers to ${wrong.join(', ')}`,
          `write ${entry.key}: "${valsRef(expected.provider, expected.vault, r.item, r.field)}" (see SECRETS.md for the layout)`,
        );
      }
    }
  }
  return violations;
};

/** Which UniFi variables secrets.vals.yaml must hold, judging by the ones it has. */
function unifiKeys(entries: Map<string, YamlEntry>): string[] {
  if (entries.has('UNIFI_USERNAME') || entries.has('UNIFI_PASSWORD'))
    return ['UNIFI_USERNAME', 'UNIFI_PASSWORD'];
  return ['UNIFI_API_KEY'];
}
