import { collectReferences, layout, layoutCatalogue } from './layout';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  replaceOnce,
  tamperedInput,
} from '../../__testUtils__/secretsLayout';
import { Violation } from './types';
import { inputFromFiles } from '../validationInput';

const backend = (
  f: Record<string, string>,
  from: string | RegExp,
  to: string,
) => ({
  'backend.yaml.tmpl': replaceOnce(f['backend.yaml.tmpl'], from, to),
});
/** `file:line message`, sorted by file then line as validateLayout sorts them. */
const shown = (violations: Violation[]) =>
  [...violations]
    .sort((a, b) => {
      if (a.file === b.file) return a.line - b.line;
      return a.file < b.file ? -1 : 1;
    })
    .map(v => `${v.file}:${v.line} ${v.message}`);
const env = (f: Record<string, string>, from: string | RegExp, to: string) => ({
  'secrets.vals.yaml': replaceOnce(f['secrets.vals.yaml'], from, to),
});

describe('layout', () => {
  it('accepts the rendered production kit and its variants', async () => {
    expect(
      await layout(
        inputFromFiles(await renderProductionFiles(), CANONICAL_LAYOUT),
      ),
    ).toEqual([]);
    const variant = await renderProductionFiles({
      secretsProvider: 'onepasswordconnect',
      unifiAuth: 'usernamePassword',
      locking: 'lockfile',
      dynamodbTable: undefined,
      kmsKeyId: undefined,
      vault: 'Ops-2',
      cloudflareItem: 'cf.token',
      unifiItem: 'unifi_ctrl',
      stateItem: 'tf-state',
    });
    const expected = {
      vault: 'Ops-2',
      provider: 'onepasswordconnect' as const,
      items: { cloudflare: 'cf.token', unifi: 'unifi_ctrl', state: 'tf-state' },
    };
    expect(await layout(inputFromFiles(variant, expected))).toEqual([]);
  });

  it('derives the allowed keys, items and fields from secretReferences', () => {
    expect(
      layoutCatalogue(CANONICAL_LAYOUT).map(
        r => `${r.file} ${r.key} ${r.item}/${r.field}`,
      ),
    ).toEqual([
      'backend.yaml.tmpl bucket terraform-state/bucket',
      'backend.yaml.tmpl region terraform-state/region',
      'backend.yaml.tmpl dynamodb_table terraform-state/dynamodb-table',
      'backend.yaml.tmpl kms_key_id terraform-state/kms-key-id',
      'backend.yaml.tmpl access_key terraform-state/access-key-id',
      'backend.yaml.tmpl secret_key terraform-state/secret-access-key',
      'secrets.vals.yaml CF_TOKEN cloudflare/credential',
      'secrets.vals.yaml UNIFI_API_KEY unifi/api-key',
      'secrets.vals.yaml UNIFI_USERNAME unifi/username',
      'secrets.vals.yaml UNIFI_PASSWORD unifi/password',
    ]);
  });

  it('reports a literal secret without printing it', async () => {
    const input = await tamperedInput(f =>
      backend(
        f,
        '"ref+op://Infrastructure/terraform-state/secret-access-key"',
        '"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
      ),
    );
    const [v] = await layout(input);
    expect(v).toEqual({
      file: 'backend.yaml.tmpl',
      line: 22,
      rule: 'layout',
      message: 'secret_key is a literal value (wJal…), not a vals reference',
      fix: 'move the value to 1Password (terraform-state/secret-access-key) and write secret_key: "ref+op://Infrastructure/terraform-state/secret-access-key"',
    });
  });

  it('reports non-string literals and empty values', async () => {
    const input = await tamperedInput(f => ({
      ...backend(
        f,
        '"ref+op://Infrastructure/terraform-state/region"',
        '12345',
      ),
      ...env(f, '"ref+op://Infrastructure/unifi/api-key"', ''),
    }));
    expect(shown(await layout(input))).toEqual([
      'backend.yaml.tmpl:9 region is a literal number (1…), not a vals reference',
      'secrets.vals.yaml:5 UNIFI_API_KEY has no value; it must be a vals reference',
    ]);
  });

  it('reports references to another vault, item, field or a section', async () => {
    const input = await tamperedInput(f => ({
      ...backend(
        f,
        'ref+op://Infrastructure/terraform-state/bucket',
        'ref+op://Personal/terraform-state/bucket',
      ),
      ...env(
        f,
        'ref+op://Infrastructure/cloudflare/credential',
        'ref+op://Infrastructure/unifi/extra/token',
      ),
    }));
    expect(
      (await layout(input)).map(
        v => `${v.file}:${v.line} ${v.message} | ${v.fix}`,
      ),
    ).toEqual([
      'backend.yaml.tmpl:7 bucket refers to vault "Pe…" instead of the configured "Infrastructure" | write bucket: "ref+op://Infrastructure/terraform-state/bucket" (see SECRETS.md for the layout)',
      'secrets.vals.yaml:4 CF_TOKEN refers to item "unifi" instead of "cloudflare", section "e…", but the layout keeps its fields outside sections, field "t…" instead of "credential" | write CF_TOKEN: "ref+op://Infrastructure/cloudflare/credential" (see SECRETS.md for the layout)',
    ]);
  });

  it('reports missing keys and files, unknown variables and references on keys outside the layout', async () => {
    const input = await tamperedInput(f => ({
      ...backend(
        f,
        /^access_key: .*\n/m,
        'profile: "ref+op://Infrastructure/terraform-state/profile"\n',
      ),
      'secrets.vals.yaml': undefined,
    }));
    expect(shown(await layout(input))).toEqual([
      'backend.yaml.tmpl:0 backend.yaml.tmpl has no access_key',
      'backend.yaml.tmpl:21 pr… holds a reference but is not a secret of the layout (bucket, region, dynamodb_table, kms_key_id, access_key, secret_key)',
      'secrets.vals.yaml:0 secrets.vals.yaml is missing',
    ]);
    const unknown = await tamperedInput(f => ({
      'secrets.vals.yaml': `${f['secrets.vals.yaml']}GITHUB_TOKEN: "ref+op://Infrastructure/github/token"\n`,
    }));
    expect(shown(await layout(unknown))).toEqual([
      'secrets.vals.yaml:6 GITH… is not a variable of the layout (CF_TOKEN, UNIFI_API_KEY, UNIFI_USERNAME, UNIFI_PASSWORD)',
    ]);
  });

  it('requires both UniFi user name and password, and one authentication mode', async () => {
    const input = await tamperedInput(f => ({
      'secrets.vals.yaml': `${f['secrets.vals.yaml']}UNIFI_USERNAME: "ref+op://Infrastructure/unifi/username"\n`,
    }));
    expect(shown(await layout(input))).toEqual([
      'secrets.vals.yaml:0 secrets.vals.yaml has no UNIFI_PASSWORD',
      'secrets.vals.yaml:6 secrets.vals.yaml holds both UNIFI_API_KEY and UNIFI_USERNAME/UNIFI_PASSWORD; the UniFi controller takes one authentication mode',
    ]);
  });

  it('reports a value that mixes a reference with text', async () => {
    const input = await tamperedInput(f =>
      backend(
        f,
        '"ref+op://Infrastructure/terraform-state/region"',
        '"eu-ref+op://Infrastructure/terraform-state/region"',
      ),
    );
    expect((await layout(input)).map(v => `${v.line} ${v.message}`)).toEqual([
      '9 region mixes a reference with other text; it must be exactly one reference',
    ]);
  });

  it('reports YAML that does not parse, with its line', async () => {
    const input = await tamperedInput(f =>
      backend(f, 'encrypt: true', 'encrypt: [true'),
    );
    const found = await layout(input);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      file: 'backend.yaml.tmpl',
      rule: 'layout',
      message: expect.stringMatching(
        /^backend\.yaml\.tmpl is not valid YAML: /,
      ),
    });
    expect(found[0].line).toBeGreaterThanOrEqual(10);
  });

  it('leaves references of another provider and bad syntax to the other rules', async () => {
    const input = await tamperedInput(f => ({
      ...backend(
        f,
        '"ref+op://Infrastructure/terraform-state/bucket"',
        '"ref+file://./bucket.txt"',
      ),
      ...env(
        f,
        '"ref+op://Infrastructure/cloudflare/credential"',
        '"ref+op://My Vault/cloudflare/credential"',
      ),
    }));
    expect(await layout(input)).toEqual([]);
  });

  it('collects the references of both templates with their keys and lines', async () => {
    const refs = collectReferences(
      inputFromFiles(await renderProductionFiles(), CANONICAL_LAYOUT),
    );
    expect(
      refs.map(
        r => `${r.file}:${r.line} ${r.key} ${r.vault}/${r.item}/${r.field}`,
      ),
    ).toEqual([
      'backend.yaml.tmpl:7 bucket Infrastructure/terraform-state/bucket',
      'backend.yaml.tmpl:9 region Infrastructure/terraform-state/region',
      'backend.yaml.tmpl:11 kms_key_id Infrastructure/terraform-state/kms-key-id',
      'backend.yaml.tmpl:17 dynamodb_table Infrastructure/terraform-state/dynamodb-table',
      'backend.yaml.tmpl:21 access_key Infrastructure/terraform-state/access-key-id',
      'backend.yaml.tmpl:22 secret_key Infrastructure/terraform-state/secret-access-key',
      'secrets.vals.yaml:4 CF_TOKEN Infrastructure/cloudflare/credential',
      'secrets.vals.yaml:5 UNIFI_API_KEY Infrastructure/unifi/api-key',
    ]);
  });
});
