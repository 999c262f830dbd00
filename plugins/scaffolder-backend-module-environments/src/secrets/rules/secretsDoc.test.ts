import { parseSecretsDocument, secretsDoc } from './secretsDoc';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  replaceOnce,
  tamperedInput,
} from '../../__testUtils__/secretsLayout';
import { inputFromFiles } from '../validationInput';

const doc = (f: Record<string, string>, from: string | RegExp, to: string) => ({
  'SECRETS.md': replaceOnce(f['SECRETS.md'], from, to),
});
const shown = (vs: { line: number; message: string }[]) =>
  vs.map(v => `${v.line} ${v.message}`).sort();

describe('parseSecretsDocument', () => {
  it('reads the layout table (unescaping Markdown) and the References list of the rendered SECRETS.md', async () => {
    const parsed = parseSecretsDocument(
      (await renderProductionFiles())['SECRETS.md'],
    );
    expect(parsed.table?.line).toBe(11);
    expect(
      parsed.table?.rows.map(
        r => `${r.line} ${r.item}/${r.field} ${r.usedAs} ${r.file}`,
      ),
    ).toEqual([
      '13 terraform-state/bucket bucket backend.yaml.tmpl',
      '14 terraform-state/region region backend.yaml.tmpl',
      '15 terraform-state/dynamodb-table dynamodb_table backend.yaml.tmpl',
      '16 terraform-state/kms-key-id kms_key_id backend.yaml.tmpl',
      '17 terraform-state/access-key-id access_key backend.yaml.tmpl',
      '18 terraform-state/secret-access-key secret_key backend.yaml.tmpl',
      '19 cloudflare/credential CF_TOKEN secrets.vals.yaml',
      '20 unifi/api-key UNIFI_API_KEY secrets.vals.yaml',
    ]);
    expect(parsed.list?.line).toBe(58);
    expect(parsed.list?.references.map(r => r.text)).toHaveLength(8);
  });

  it('ignores tables and lists inside code blocks and tables without Item and Field columns', () => {
    const parsed = parseSecretsDocument(
      [
        '| Name | Value |',
        '|---|---|',
        '| a | b |',
        '```',
        '| Item | Field |',
        '|---|---|',
        '```',
        '## References',
        '- `ref+op://V/i/f`',
      ].join('\n'),
    );
    expect(parsed.table).toBeUndefined();
    expect(parsed.list).toEqual({
      line: 8,
      references: [{ line: 9, text: 'ref+op://V/i/f' }],
    });
  });
});

describe('secretsDoc', () => {
  it('accepts the rendered SECRETS.md of every variant', async () => {
    expect(
      await secretsDoc(
        inputFromFiles(await renderProductionFiles(), CANONICAL_LAYOUT),
      ),
    ).toEqual([]);
    const variant = await renderProductionFiles({
      secretsProvider: 'onepasswordconnect',
      unifiAuth: 'usernamePassword',
      kmsKeyId: undefined,
    });
    expect(
      await secretsDoc(
        inputFromFiles(variant, {
          ...CANONICAL_LAYOUT,
          provider: 'onepasswordconnect',
        }),
      ),
    ).toEqual([]);
  });

  it('reports a referenced field the table and list leave out', async () => {
    const input = await tamperedInput(f =>
      doc(f, /^\| `cloudflare` \| `credential` .*\n/m, ''),
    );
    const found = await secretsDoc(input);
    expect(found.map(v => v.rule)).toEqual(['secretsDoc']);
    expect(shown(found)).toEqual([
      '11 the table does not document cloudflare / credential, used as CF_TOKEN in secrets.vals.yaml:4',
    ]);
  });

  it('reports documented fields and references nothing uses, and wrong "Used as" columns', async () => {
    const input = await tamperedInput(f => ({
      'SECRETS.md': replaceOnce(
        replaceOnce(
          f['SECRETS.md'],
          '| `unifi` | `api-key` | `UNIFI_API_KEY` |',
          '| `unifi` | `api-key` | `UNIFI_TOKEN` |',
        ),
        '- `ref+op://Infrastructure/unifi/api-key`\n',
        '- `ref+op://Infrastructure/unifi/api-key`\n- `ref+op://Infrastructure/cloudflare/old-token`\n',
      ).replace(
        '|---|---|---|---|---|\n',
        '|---|---|---|---|---|\n| `cloudflare` | `old-token` | `CF_OLD` | `secrets.vals.yaml` | old |\n',
      ),
    }));
    expect(shown(await secretsDoc(input))).toEqual([
      '13 the table documents cloudflare / old…, which neither backend.yaml.tmpl nor secrets.vals.yaml references',
      '21 the table says unifi / api-key is used as UNI… in secrets.vals.yaml, but it is used as UNIFI_API_KEY in secrets.vals.yaml:5',
      '69 the References list has "ref+op://…", which neither backend.yaml.tmpl nor secrets.vals.yaml uses',
    ]);
  });

  it('follows the templates: a reference added there must be documented too', async () => {
    const input = await tamperedInput(f => ({
      'backend.yaml.tmpl': replaceOnce(
        f['backend.yaml.tmpl'],
        'ref+op://Infrastructure/terraform-state/region',
        'ref+op://Infrastructure/terraform-state/aws-region',
      ),
    }));
    expect(shown(await secretsDoc(input))).toEqual([
      '11 the table does not document terraform-state / aws…, used as region in backend.yaml.tmpl:9',
      '14 the table documents terraform-state / region, which neither backend.yaml.tmpl nor secrets.vals.yaml references',
      '58 the References list does not have "ref+op://…", used as region in backend.yaml.tmpl:9',
      '61 the References list has "ref+op://Infrastructure/terraform-state/region", which neither backend.yaml.tmpl nor secrets.vals.yaml uses',
    ]);
  });

  it('reports an invalid listed reference, a missing table and a missing file', async () => {
    const bad = await tamperedInput(f =>
      doc(
        f,
        '- `ref+op://Infrastructure/unifi/api-key`',
        '- `ref+op://Infrastructure/unifi#api-key`',
      ),
    );
    expect(shown(await secretsDoc(bad))).toEqual(
      [
        expect.stringMatching(
          /^67 the References list has "ref\+op:\/\/…", which is not a valid 1Password reference: /,
        ),
        '58 the References list does not have "ref+op://Infrastructure/unifi/api-key", used as UNIFI_API_KEY in secrets.vals.yaml:5',
      ].sort(),
    );
    const noTable = await tamperedInput(f =>
      doc(f, /\| Item \| Field [^\n]*\n\|---[^\n]*\n(\|[^\n]*\n)+/, ''),
    );
    expect(shown(await secretsDoc(noTable))).toEqual([
      '0 SECRETS.md has no layout table (a Markdown table with Item and Field columns)',
    ]);
    const missing = await tamperedInput(() => ({ 'SECRETS.md': undefined }));
    expect(await secretsDoc(missing)).toEqual([
      expect.objectContaining({
        file: 'SECRETS.md',
        line: 0,
        rule: 'secretsDoc',
      }),
    ]);
  });

  it('reports only omissions while a template is missing or does not parse', async () => {
    const broken = await tamperedInput(f => ({
      'backend.yaml.tmpl': f['backend.yaml.tmpl'].replace(
        'encrypt: true',
        'encrypt: [true',
      ),
    }));
    expect(await secretsDoc(broken)).toEqual([]);
    const missing = await tamperedInput(f => ({
      'backend.yaml.tmpl': undefined,
      'secrets.vals.yaml': `${f['secrets.vals.yaml']}"UNIFI_USERNAME": "ref+op://Infrastructure/unifi/username"\n`,
    }));
    expect(shown(await secretsDoc(missing))).toEqual([
      '11 the table does not document unifi / username, used as UNIFI_USERNAME in secrets.vals.yaml:6',
      '58 the References list does not have "ref+op://Infrastructure/unifi/username", used as UNIFI_USERNAME in secrets.vals.yaml:6',
    ]);
  });
});
