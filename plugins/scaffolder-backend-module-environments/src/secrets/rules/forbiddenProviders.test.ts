import { forbiddenProviders } from './forbiddenProviders';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  replaceOnce,
  tamperedInput,
} from '../../__testUtils__/secretsLayout';
import { inputFromFiles } from '../validationInput';

describe('forbiddenProviders', () => {
  it('accepts the rendered production kit, whose comments and prose mention other providers', async () => {
    const files = await renderProductionFiles();
    expect(files['backend.yaml.tmpl']).toContain('ref+vault://');
    expect(files['SECRETS.md']).toContain('ref+awssecrets://');
    expect(
      await forbiddenProviders(inputFromFiles(files, CANONICAL_LAYOUT)),
    ).toEqual([]);
  });

  it.each([
    ['ref+file://~/.aws/credentials', /ref\+file, which reads a local file/],
    [
      'ref+envsubst://$AWS_SECRET_ACCESS_KEY',
      /ref\+envsubst, which substitutes environment variables/,
    ],
    ['ref+echo://not-so-secret', /ref\+echo, which returns its own text/],
    [
      'ref+vault://secret/data/aws#/secret',
      /ref\+vault, which is a secret backend other than the chosen 1Password provider/,
    ],
    ['ref+File://x', /ref\+file, which reads a local file/],
    [
      'ref+onepasswordconnect://Infrastructure/terraform-state#/secret-access-key',
      /ref\+onepasswordconnect, which is the other 1Password provider/,
    ],
    [
      'secretref+op://Infrastructure/terraform-state/secret-access-key',
      /uses secretref\+, which vals resolves or leaves in place depending on --exclude-secret/,
    ],
    [
      'ref+op://ref+envsubst://$VAULT/terraform-state/secret-access-key',
      /nests one reference in another: vals resolves the inner one first/,
    ],
    ['ref+bogus', /starts like a vals reference but names no provider:\/\//],
  ])('reports %s in backend.yaml.tmpl', async (value, message) => {
    const input = await tamperedInput(f => ({
      'backend.yaml.tmpl': replaceOnce(
        f['backend.yaml.tmpl'],
        'ref+op://Infrastructure/terraform-state/secret-access-key',
        value,
      ),
    }));
    const found = await forbiddenProviders(input);
    expect(found).toEqual([
      {
        file: 'backend.yaml.tmpl',
        line: 22,
        rule: 'forbiddenProviders',
        message: expect.stringMatching(message),
        fix: expect.stringContaining(
          'ref+op://Infrastructure/cloudflare/credential',
        ),
      },
    ]);
  });

  it('reports ref+op when the chosen provider is onepasswordconnect', async () => {
    const files = await renderProductionFiles({
      secretsProvider: 'onepasswordconnect',
    });
    files['secrets.vals.yaml'] = replaceOnce(
      files['secrets.vals.yaml'],
      'ref+onepasswordconnect://Infrastructure/cloudflare#/credential',
      'ref+op://Infrastructure/cloudflare/credential',
    );
    const found = await forbiddenProviders(
      inputFromFiles(files, {
        ...CANONICAL_LAYOUT,
        provider: 'onepasswordconnect',
      }),
    );
    expect(found.map(v => `${v.file}:${v.line} ${v.message}`)).toEqual([
      'secrets.vals.yaml:4 "ref+op://…" uses the vals provider ref+op, which is the other 1Password provider; the layout uses one provider only',
    ]);
  });

  it('checks every file tools read: Makefile recipes, scripts, .env files and Markdown code blocks', async () => {
    const input = await tamperedInput(f => ({
      Makefile: `${f.Makefile}\nleak:\n\tvals get ref+file://$(HOME)/.cf-token\n`,
      'scripts/extra.sh':
        '#!/usr/bin/env bash\n# ref+echo://only-a-comment\nexport CF_TOKEN="$(vals get ref+envsubst://$TOKEN)"\n',
      'README.md': `${f['README.md']}\n\`\`\`bash\nvals get secretref+op://Infrastructure/cloudflare/credential\n\`\`\`\n`,
    }));
    const found = await forbiddenProviders(input);
    const good = await renderProductionFiles();
    const after = (file: string, offset: number) =>
      good[file].split('\n').length + offset;
    expect(found.map(v => `${v.file}:${v.line}`).sort()).toEqual(
      [
        `Makefile:${after('Makefile', 2)}`,
        `README.md:${after('README.md', 2)}`,
        'scripts/extra.sh:3',
      ].sort(),
    );
  });
});
