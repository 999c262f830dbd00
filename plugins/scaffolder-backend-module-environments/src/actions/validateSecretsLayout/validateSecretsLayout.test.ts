import { createMockDirectory } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadTestKits } from '../../__testUtils__/kits';
import { renderEnvironment } from '../../kits/render';
import { canonicalValues } from '../../__testUtils__/values';
import { createRenderEnvironmentAction } from '../renderEnvironment/renderEnvironment';
import { createValidateSecretsLayoutAction } from './validateSecretsLayout';

// Fake secrets assembled at run time, so this file does not itself look like a leak to scanners.
const AWS_KEY_ID = ['AKIA', 'Z7QW3KXNP5LMR2TV'].join('');
const AWS_SECRET = [
  'Xq9vLm2T',
  'bR7nKp4W',
  'zY8cHs3D',
  'fG6jAe1U',
  'oP5iNt0M',
].join('');
const OPS_TOKEN = [
  'ops_',
  'eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSIsInVzZXJBdXRoIjp7Im1ldGhvZCI6IlNSUGctNDA5NiJ9fQ',
].join('');
const CF_TOKEN = [
  'Yh3kR9pL',
  'x2Vn7QwT',
  '5mBz_8cJ',
  'd4Fs-6gH',
  'a1Ke0uWy',
].join('');
const RANDOM = ['p8Zt2Kq', 'W9xLm4Rv', 'N7cYb3Hs'].join('');
const PEM = ['-----BEGIN ', 'RSA PRIVATE KEY', '-----'].join('');
const SECRETS = [AWS_KEY_ID, AWS_SECRET, OPS_TOKEN, CF_TOKEN, RANDOM];

const REF = {
  bucket: 'ref+op://Infrastructure/terraform-state/bucket',
  region: 'ref+op://Infrastructure/terraform-state/region',
  accessKey: 'ref+op://Infrastructure/terraform-state/access-key-id',
  secretKey: 'ref+op://Infrastructure/terraform-state/secret-access-key',
  cf: 'ref+op://Infrastructure/cloudflare/credential',
  unifi: 'ref+op://Infrastructure/unifi/api-key',
};

/** A pattern as given; a string as a pattern that matches it exactly. */
const exactly = (e: string | RegExp) =>
  typeof e === 'string'
    ? new RegExp(`^${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
    : e;

describe('createValidateSecretsLayoutAction', () => {
  const workspace = createMockDirectory();
  beforeEach(() => workspace.clear());

  async function renderKit(targetPath = '.') {
    const render = createRenderEnvironmentAction({
      kits: await loadTestKits(),
      kitVersion: '9.9.9',
    });
    await render.handler(
      createMockActionContext({
        input: { ...canonicalValues.production, targetPath } as any,
        workspacePath: workspace.path,
      }),
    );
  }

  async function validate(
    input: Record<string, unknown> = { vault: 'Infrastructure' },
    extra: { isDryRun?: boolean } = {},
  ) {
    const ctx = createMockActionContext({
      input: input as any,
      workspacePath: workspace.path,
      ...extra,
    });
    await createValidateSecretsLayoutAction().handler(ctx);
    return ctx;
  }

  /** The violation lines of a failed validation (fails the test if validation passes). */
  async function violations(
    input?: Record<string, unknown>,
  ): Promise<string[]> {
    const error = await validate(input).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    for (const secret of SECRETS) expect(message).not.toContain(secret);
    return message.split('\n');
  }

  const file = (p: string) => path.join(workspace.path, p);
  const read = (p: string) => readFile(file(p), 'utf8');
  async function edit(p: string, from: string | RegExp, to: string) {
    const before = await read(p);
    const after = before.replace(from, () => to);
    if (after === before)
      throw new Error(`test setup: ${String(from)} not found in ${p}`);
    await writeFile(file(p), after);
  }
  const append = async (p: string, text: string) =>
    writeFile(file(p), `${await read(p).catch(() => '')}${text}`);
  const lineCount = async (p: string) => (await read(p)).split('\n').length;
  /** Finds the (1-based) line of the Makefile that holds a text, failing the test if none does. */
  async function makefileLines() {
    const lines = (await read('Makefile')).split('\n');
    return (text: string) => {
      const at = lines.findIndex(l => l.includes(text)) + 1;
      if (at === 0) throw new Error(`test setup: ${text} not in the Makefile`);
      return at;
    };
  }

  it('passes on the rendered production kit and outputs its references (never a value)', async () => {
    await renderKit();
    const ctx = await validate();
    expect(ctx.output).toHaveBeenCalledWith('violations', 0);
    const references = (ctx.output as jest.Mock).mock.calls.find(
      ([name]) => name === 'references',
    )[1];
    expect(references).toHaveLength(8);
    expect(references[0]).toEqual({
      file: 'backend.yaml.tmpl',
      line: 7,
      key: 'bucket',
      provider: 'op',
      vault: 'Infrastructure',
      item: 'terraform-state',
      field: 'bucket',
    });
    expect(references.map((r: { key: string }) => r.key)).toEqual([
      'bucket',
      'region',
      'kms_key_id',
      'dynamodb_table',
      'access_key',
      'secret_key',
      'CF_TOKEN',
      'UNIFI_API_KEY',
    ]);
  });

  it('validates the same way in dry-run mode', async () => {
    await renderKit();
    const ctx = await validate({ vault: 'Infrastructure' }, { isDryRun: true });
    expect(ctx.output).toHaveBeenCalledWith('violations', 0);
    await edit('secrets.vals.yaml', REF.cf, 'ref+file://cf-token');
    await expect(
      validate({ vault: 'Infrastructure' }, { isDryRun: true }),
    ).rejects.toThrow(/secrets\.vals\.yaml:4 \[forbiddenProviders\]/);
  });

  it('validates a kit in a subdirectory with explicit provider and items', async () => {
    await renderKit('environment');
    const ctx = await validate({
      path: 'environment',
      vault: 'Infrastructure',
      secretsProvider: 'op',
      items: { cloudflare: 'cloudflare' },
    });
    expect(ctx.output).toHaveBeenCalledWith('violations', 0);
  });

  describe('refuses a path it must not read', () => {
    it('refuses ../ and absolute paths', async () => {
      await expect(
        validate({ vault: 'Infrastructure', path: '../' }),
      ).rejects.toThrow(
        /path must stay inside the workspace, for example "\."; got "\.\.\/"/,
      );
      await expect(
        validate({ vault: 'Infrastructure', path: 'env/../../x' }),
      ).rejects.toThrow(/path must stay inside the workspace/);
      await expect(
        validate({ vault: 'Infrastructure', path: '/etc' }),
      ).rejects.toThrow(/path must stay inside the workspace/);
    });

    it('refuses a path that is or goes through a symbolic link, even to a valid kit', async () => {
      await renderKit('real');
      await symlink(file('real'), file('linked'));
      await expect(
        validate({ vault: 'Infrastructure', path: 'linked' }),
      ).rejects.toThrow(
        /Refusing to read through the symbolic link linked in the workspace/,
      );
      const outside = createMockDirectory();
      await symlink(outside.path, file('out'));
      await expect(
        validate({ vault: 'Infrastructure', path: 'out/x' }),
      ).rejects.toThrow(/symbolic link out/);
    });

    it('refuses a missing directory and a file', async () => {
      await expect(
        validate({ vault: 'Infrastructure', path: 'nowhere' }),
      ).rejects.toThrow(/"nowhere" does not exist in the workspace/);
      await writeFile(file('plain'), 'x');
      await expect(
        validate({ vault: 'Infrastructure', path: 'plain' }),
      ).rejects.toThrow(
        /Refusing to read plain: it exists and is not a directory/,
      );
    });

    it('lists every invalid input field with its rule and an example', async () => {
      await expect(
        validate({
          vault: 'My Vault',
          secretsProvider: 'vault',
          items: { state: 'bad name' },
        }),
      ).rejects.toThrow(
        /has 3 problem\(s\):\n- vault must be a 1Password vault name usable as a URI host[^\n]*"Infrastructure"\n- secretsProvider must be one of op, onepasswordconnect, for example "op"\n- items\.state must be a 1Password item name/,
      );
    });
  });

  it('does not follow a symbolic link planted at a kit file', async () => {
    await renderKit();
    const outside = createMockDirectory();
    outside.setContent({
      'secrets.vals.yaml': `CF_TOKEN: "${REF.cf}"\nUNIFI_API_KEY: "${REF.unifi}"\n`,
    });
    await rename(file('secrets.vals.yaml'), file('secrets.vals.yaml.orig'));
    await symlink(
      path.join(outside.path, 'secrets.vals.yaml'),
      file('secrets.vals.yaml'),
    );
    expect(await violations()).toEqual([
      'secrets.vals.yaml:0 [layout] secrets.vals.yaml is a symbolic link (not followed), not a regular file — render the production kit again (unifiCloudflare:environment:render) or restore secrets.vals.yaml from git',
    ]);
  });

  /*
   * Broken layouts: each changes the rendered kit and expects exactly these violation lines
   * (file:line [rule] message), sorted by file then line.
   */
  const broken: {
    name: string;
    change: () => Promise<void>;
    /** The lines, or a function of where text is in the changed Makefile (the kit's lines move). */
    expected:
      | (string | RegExp)[]
      | ((makefileLine: (text: string) => number) => (string | RegExp)[]);
  }[] = [
    {
      name: 'layout: a literal AWS secret key in backend.yaml.tmpl (also a plaintext secret)',
      change: () =>
        edit('backend.yaml.tmpl', `"${REF.secretKey}"`, `"${AWS_SECRET}"`),
      expected: [
        /^SECRETS\.md:18 \[secretsDoc\] the table documents terraform-state \/ secret-access-key, which neither backend\.yaml\.tmpl nor secrets\.vals\.yaml references/,
        /^SECRETS\.md:65 \[secretsDoc\] the References list has "ref\+op:\/\/Infrastructure\/terraform-state\/secret-access-key", which neither/,
        /^backend\.yaml\.tmpl:22 \[layout\] secret_key is a literal value \(Xq9v…\), not a vals reference — move the value to 1Password \(terraform-state\/secret-access-key\)/,
        /^backend\.yaml\.tmpl:22 \[plaintextSecrets\] an AWS secret access key \(Xq9v…\) is in plain text — remove it \(and rotate it/,
      ],
    },
    {
      name: 'layout: a literal bucket name',
      change: () =>
        edit('backend.yaml.tmpl', `"${REF.bucket}"`, '"acme-terraform-state"'),
      expected: [
        /^SECRETS\.md:13 \[secretsDoc\]/,
        /^SECRETS\.md:60 \[secretsDoc\]/,
        /^backend\.yaml\.tmpl:7 \[layout\] bucket is a literal value \(acme…\), not a vals reference/,
      ],
    },
    {
      name: 'layout: a reference to another vault',
      change: () =>
        edit(
          'backend.yaml.tmpl',
          REF.region,
          'ref+op://Personal/terraform-state/region',
        ),
      expected: [
        /^SECRETS\.md:58 \[secretsDoc\] the References list does not have "ref\+op:\/\/…", used as region in backend\.yaml\.tmpl:9/,
        /^SECRETS\.md:61 \[secretsDoc\] the References list has "ref\+op:\/\/Infrastructure\/terraform-state\/region", which neither/,
        /^backend\.yaml\.tmpl:9 \[layout\] region refers to vault "Pe…" instead of the configured "Infrastructure" — write region: "ref\+op:\/\/Infrastructure\/terraform-state\/region"/,
      ],
    },
    {
      name: 'layout: the Cloudflare token read from the UniFi item (and so undocumented)',
      change: () =>
        edit(
          'secrets.vals.yaml',
          REF.cf,
          'ref+op://Infrastructure/unifi/credential',
        ),
      expected: [
        /^SECRETS\.md:11 \[secretsDoc\] the table does not document unifi \/ credential, used as CF_TOKEN in secrets\.vals\.yaml:4/,
        /^SECRETS\.md:19 \[secretsDoc\] the table documents cloudflare \/ credential, which neither/,
        /^SECRETS\.md:58 \[secretsDoc\] the References list does not have "ref\+op:\/\/…"/,
        /^SECRETS\.md:66 \[secretsDoc\] the References list has "ref\+op:\/\/Infrastructure\/cloudflare\/credential", which neither/,
        /^secrets\.vals\.yaml:4 \[layout\] CF_TOKEN refers to item "unifi" instead of "cloudflare"/,
      ],
    },
    {
      name: 'layout: a field name outside the layout',
      change: async () => {
        await edit(
          'backend.yaml.tmpl',
          REF.accessKey,
          'ref+op://Infrastructure/terraform-state/access-key',
        );
        await edit('SECRETS.md', /`access-key-id`/g, '`access-key`');
        await edit(
          'SECRETS.md',
          REF.accessKey,
          'ref+op://Infrastructure/terraform-state/access-key',
        );
      },
      expected: [
        /^backend\.yaml\.tmpl:21 \[layout\] access_key refers to field "acc…" instead of "access-key-id"/,
      ],
    },
    {
      name: 'layout: a missing secret key',
      change: async () => {
        await edit('backend.yaml.tmpl', /^access_key: .*\n/m, '');
      },
      expected: [
        /^SECRETS\.md:17 \[secretsDoc\] the table documents terraform-state \/ access-key-id, which neither/,
        /^SECRETS\.md:64 \[secretsDoc\] the References list has "ref\+op:\/\/Infrastructure\/terraform-state\/access-key-id"/,
        /^backend\.yaml\.tmpl:0 \[layout\] backend\.yaml\.tmpl has no access_key — add access_key: "ref\+op:\/\/Infrastructure\/terraform-state\/access-key-id"/,
      ],
    },
    {
      name: 'layout: an environment variable that is not part of the layout',
      change: () =>
        append(
          'secrets.vals.yaml',
          '"GITHUB_TOKEN": "ref+op://Infrastructure/github/token"\n',
        ),
      expected: [
        /^SECRETS\.md:11 \[secretsDoc\] the table does not document gi… \/ t…/,
        /^SECRETS\.md:58 \[secretsDoc\] the References list does not have "ref\+op:\/\/…"/,
        /^secrets\.vals\.yaml:6 \[layout\] GITH… is not a variable of the layout \(CF_TOKEN, UNIFI_API_KEY, UNIFI_USERNAME, UNIFI_PASSWORD\)/,
      ],
    },
    {
      name: 'layout: backend.yaml.tmpl is not valid YAML',
      change: () =>
        edit('backend.yaml.tmpl', 'encrypt: true', 'encrypt: [true'),
      expected: [
        /^backend\.yaml\.tmpl:\d+ \[layout\] backend\.yaml\.tmpl is not valid YAML: /,
      ],
    },
    {
      name: 'referenceSyntax: a #fragment on ref+op',
      change: () =>
        edit(
          'secrets.vals.yaml',
          REF.cf,
          'ref+op://Infrastructure/cloudflare#/credential',
        ),
      expected: [
        /^SECRETS\.md:19 \[secretsDoc\] the table documents cloudflare \/ credential/,
        /^SECRETS\.md:66 \[secretsDoc\] the References list has "ref\+op:\/\/Infrastructure\/cloudflare\/credential"/,
        /^secrets\.vals\.yaml:4 \[referenceSyntax\] "ref\+op:\/\/…" is not a reference vals and 1Password can resolve: it has a fragment \(#\/cr…\): the ref\+op provider of vals rejects fragments/,
      ],
    },
    {
      name: 'referenceSyntax: a vault name with a space',
      change: () =>
        edit(
          'secrets.vals.yaml',
          REF.unifi,
          'ref+op://Infra Structure/unifi/api-key',
        ),
      expected: [
        /^SECRETS\.md:20 \[secretsDoc\]/,
        /^SECRETS\.md:67 \[secretsDoc\]/,
        /^secrets\.vals\.yaml:5 \[referenceSyntax\] "ref\+op:\/\/…" is not a reference vals and 1Password can resolve: it contains a space: vals ends the reference at the first space/,
      ],
    },
    {
      name: 'referenceSyntax: a vault name that cannot be a URI host',
      change: () =>
        edit(
          'backend.yaml.tmpl',
          REF.bucket,
          'ref+op://Infra_Structure/terraform-state/bucket',
        ),
      expected: [
        /^SECRETS\.md:13 \[secretsDoc\]/,
        /^SECRETS\.md:60 \[secretsDoc\]/,
        /^backend\.yaml\.tmpl:7 \[referenceSyntax\] .*the vault "Infr…" cannot be a URI host: vals reads the vault from the host part/,
      ],
    },
    {
      name: 'referenceSyntax: a "+" inside an item name',
      change: () =>
        edit(
          'backend.yaml.tmpl',
          REF.region,
          'ref+op://Infrastructure/terraform+state/region',
        ),
      expected: [
        /^SECRETS\.md:14 \[secretsDoc\]/,
        /^SECRETS\.md:61 \[secretsDoc\]/,
        /^backend\.yaml\.tmpl:9 \[referenceSyntax\] .*"\+" ends a vals reference/,
      ],
    },
    {
      name: 'referenceSyntax: a 1Password query parameter vals never passes on',
      change: () =>
        edit('secrets.vals.yaml', REF.unifi, `${REF.unifi}?attribute=otp`),
      expected: [
        /^SECRETS\.md:20 \[secretsDoc\]/,
        /^SECRETS\.md:67 \[secretsDoc\]/,
        /^secrets\.vals\.yaml:5 \[referenceSyntax\] .*the query "\?att…=…"/,
      ],
    },
    {
      name: 'forbiddenProviders: ref+file for the AWS secret key',
      change: () =>
        edit('backend.yaml.tmpl', REF.secretKey, 'ref+file://~/.aws/secret'),
      expected: [
        /^SECRETS\.md:18 \[secretsDoc\]/,
        /^SECRETS\.md:65 \[secretsDoc\]/,
        /^backend\.yaml\.tmpl:22 \[forbiddenProviders\] "ref\+file:\/\/…" uses the vals provider ref\+file, which reads a local file, so a secret lying on the machine running make would be pulled in — keep every secret in 1Password through ref\+op/,
      ],
    },
    {
      name: 'forbiddenProviders: ref+envsubst for the Cloudflare token',
      change: () =>
        edit('secrets.vals.yaml', REF.cf, 'ref+envsubst://$CF_TOKEN'),
      expected: [
        /^SECRETS\.md:19 \[secretsDoc\]/,
        /^SECRETS\.md:66 \[secretsDoc\]/,
        /^secrets\.vals\.yaml:4 \[forbiddenProviders\] .*ref\+envsubst, which substitutes environment variables/,
      ],
    },
    {
      name: 'forbiddenProviders: ref+echo with the value inline',
      change: () => edit('secrets.vals.yaml', REF.unifi, 'ref+echo://changeme'),
      expected: [
        /^SECRETS\.md:20 \[secretsDoc\]/,
        /^SECRETS\.md:67 \[secretsDoc\]/,
        /^secrets\.vals\.yaml:5 \[forbiddenProviders\] .*ref\+echo, which returns its own text/,
      ],
    },
    {
      name: 'forbiddenProviders: secretref+ and a nested reference',
      change: async () => {
        await edit('secrets.vals.yaml', REF.cf, `secret${REF.cf}`);
        await edit(
          'backend.yaml.tmpl',
          REF.bucket,
          'ref+op://ref+envsubst://$VAULT/terraform-state/bucket',
        );
      },
      expected: [
        /^SECRETS\.md:13 \[secretsDoc\]/,
        /^SECRETS\.md:19 \[secretsDoc\]/,
        /^SECRETS\.md:60 \[secretsDoc\]/,
        /^SECRETS\.md:66 \[secretsDoc\]/,
        /^backend\.yaml\.tmpl:7 \[forbiddenProviders\] .*nests one reference in another/,
        /^secrets\.vals\.yaml:4 \[forbiddenProviders\] .*uses secretref\+/,
      ],
    },
    {
      name: 'forbiddenProviders: a Makefile recipe pulling a local file through vals',
      change: () =>
        append(
          'Makefile',
          '\ntoken:\n\tvals get ref+file://$(HOME)/.cf-token\n',
        ),
      expected: at => [
        new RegExp(
          `^Makefile:${at('vals get ref+file://')} \\[forbiddenProviders\\] "ref\\+file://…" uses the vals provider ref\\+file`,
        ),
      ],
    },
    {
      name: 'plaintextSecrets: an AWS access key ID in the README',
      change: () =>
        append('README.md', `\nExample: AWS_ACCESS_KEY_ID=${AWS_KEY_ID}\n`),
      expected: [
        /^README\.md:\d+ \[plaintextSecrets\] an AWS access key ID \(AKIA…\) is in plain text/,
      ],
    },
    {
      name: 'plaintextSecrets: a PEM private key committed beside the kit',
      change: () =>
        writeFile(
          file('deploy-key.pem'),
          `${PEM}\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n`,
        ),
      expected: [
        'deploy-key.pem:1 [plaintextSecrets] a PEM private key block is in plain text — remove it (and rotate it: it may already be in git history); keep it in 1Password and refer to it with a vals reference',
      ],
    },
    {
      name: 'plaintextSecrets: a 1Password service-account token in .env.example',
      change: () =>
        append('.env.example', `OP_SERVICE_ACCOUNT_TOKEN=${OPS_TOKEN}\n`),
      expected: [
        /^\.env\.example:7 \[plaintextSecrets\] OP_SERVICE_ACCOUNT_TOKEN has a value \(ops_…\) in \.env\.example, which is committed — leave it empty/,
        /^\.env\.example:7 \[plaintextSecrets\] a 1Password service-account token \(ops_…\) is in plain text/,
      ],
    },
    {
      name: 'plaintextSecrets: a token value in .env.example',
      change: () =>
        append('.env.example', 'CF_TOKEN=changeme\nUNIFI_API_KEY=\n'),
      expected: [
        /^\.env\.example:7 \[plaintextSecrets\] CF_TOKEN has a value \(ch…\) in \.env\.example, which is committed/,
      ],
    },
    {
      name: 'plaintextSecrets: a Cloudflare-token-like string in the Makefile',
      change: () =>
        edit(
          'Makefile',
          'UNIFI_AUTH_ARGS := --unifi-api-key=env:UNIFI_API_KEY',
          `UNIFI_AUTH_ARGS := --unifi-api-key=env:UNIFI_API_KEY\nCF := ${CF_TOKEN}`,
        ),
      expected: at => [
        new RegExp(
          `^Makefile:${at('CF := ')} \\[plaintextSecrets\\] a Cloudflare-API-token-like string \\(Yh3k…\\) is in plain text`,
        ),
      ],
    },
    {
      name: 'plaintextSecrets: a high-entropy string in a KCL comment',
      change: () => append('kcl/main.k', `# debug: ${RANDOM}\n`),
      expected: [
        /^kcl\/main\.k:\d+ \[plaintextSecrets\] a high-entropy string \(p8Zt…\) is in plain text/,
      ],
    },
    {
      name: 'secretsDoc: a row missing from the layout table',
      change: () => edit('SECRETS.md', /^\| `unifi` \| `api-key` .*\n/m, ''),
      expected: [
        /^SECRETS\.md:11 \[secretsDoc\] the table does not document unifi \/ api-key, used as UNIFI_API_KEY in secrets\.vals\.yaml:5/,
      ],
    },
    {
      name: 'secretsDoc: an item documented that nothing references',
      change: () =>
        edit(
          'SECRETS.md',
          '- `ref+op://Infrastructure/unifi/api-key`\n',
          '- `ref+op://Infrastructure/unifi/api-key`\n- `ref+op://Infrastructure/unifi/password`\n',
        ),
      expected: [
        'SECRETS.md:68 [secretsDoc] the References list has "ref+op://Infrastructure/unifi/password", which neither backend.yaml.tmpl nor secrets.vals.yaml uses — remove it from the list, or add the reference it documents',
      ],
    },
    {
      name: 'gitignore: backend.yaml not ignored',
      change: () => edit('.gitignore', '/backend.yaml\n', ''),
      expected: [
        /^\.gitignore:0 \[gitignore\] backend\.yaml is not ignored, yet it holds rendered secrets — add "\/backend\.yaml"/,
      ],
    },
    {
      name: 'gitignore: *secret* hides SECRETS.md on case-insensitive file systems and secrets.vals.yaml everywhere',
      change: () => append('.gitignore', '*secret*\n'),
      expected: [
        /^\.gitignore:22 \[gitignore\] the pattern "\*s…" ignores SECRETS\.md under case-insensitive matching \(core\.ignorecase=true, as on macOS and Windows\), which must be committed/,
        /^\.gitignore:22 \[gitignore\] the pattern "\*s…" ignores secrets\.vals\.yaml, which must be committed/,
      ],
    },
    {
      name: 'gitignore: a later "!" pattern re-includes backend.yaml',
      change: () => append('.gitignore', '!backend.yaml\n'),
      expected: [
        /^\.gitignore:22 \[gitignore\] the pattern "!bac…" un-ignores backend\.yaml/,
      ],
    },
    {
      name: 'makefileSecrets: backend.yaml rendered with the default umask',
      change: () => edit('Makefile', '( umask 077 && vals eval', '( vals eval'),
      expected: at => [
        new RegExp(
          `^Makefile:${at('vals eval -f $(BACKEND_TEMPLATE)')} \\[makefileSecrets\\] backend\\.yaml is written with the default umask, so the rendered secrets are readable by other users`,
        ),
      ],
    },
    {
      name: 'makefileSecrets: the upstream recipe that removes backend.yaml only after success',
      change: async () => {
        await edit('Makefile', "trap 'rm -f backend.yaml' EXIT; ", '');
        await edit(
          'Makefile',
          '\t$(call with_secrets,deploy $(DAGGER_ARGS))\n',
          '\t$(call with_secrets,deploy $(DAGGER_ARGS))\n\trm -f backend.yaml\n',
        );
      },
      expected: at => [
        new RegExp(
          `^Makefile:${at('vals eval -f $(BACKEND_TEMPLATE)')} \\[makefileSecrets\\] backend\\.yaml is written without a trap that removes it when the shell exits`,
        ),
        new RegExp(
          `^Makefile:${at('\trm -f backend.yaml')} \\[makefileSecrets\\] this rm -f backend\\.yaml runs only if the recipe gets that far`,
        ),
      ],
    },
    {
      name: 'makefileSecrets: plan || true',
      change: () =>
        edit(
          'Makefile',
          '$(call with_secrets,plan $(DAGGER_ARGS) export --path=./plan-output)',
          '$(call with_secrets,plan $(DAGGER_ARGS) export --path=./plan-output) || true',
        ),
      expected: at => [
        new RegExp(
          `^Makefile:${at(') || true')} \\[makefileSecrets\\] "\\|\\| true" makes a failed plan look like success — remove "\\|\\| true"`,
        ),
      ],
    },
  ];

  it.each(broken.map(b => [b.name, b] as const))('%s', async (_, b) => {
    await renderKit();
    await b.change();
    const expected =
      typeof b.expected === 'function'
        ? b.expected(await makefileLines())
        : b.expected;
    const lines = await violations();
    expect(lines).toEqual(expected.map(e => expect.stringMatching(exactly(e))));
  });

  it('reports every problem of a directory at once, sorted by file then line, in one InputError', async () => {
    await renderKit();
    await edit('backend.yaml.tmpl', `"${REF.secretKey}"`, `"${AWS_SECRET}"`);
    await edit('secrets.vals.yaml', REF.cf, 'ref+file://cf-token');
    await edit('.gitignore', '/backend.yaml\n', '');
    await edit('Makefile', '( umask 077 && vals eval', '( vals eval');
    await append('.env.example', `CF_TOKEN=${CF_TOKEN}\n`);
    await mkdir(file('keys'));
    await writeFile(file('keys/id_rsa'), `${PEM}\n`);
    const lines = await violations();
    expect(
      lines.map(l => l.replace(/ — .*$/, '').replace(/\].*$/, ']')),
    ).toEqual([
      '.env.example:7 [plaintextSecrets]',
      '.env.example:7 [plaintextSecrets]',
      '.gitignore:0 [gitignore]',
      `Makefile:${(await makefileLines())('vals eval -f $(BACKEND_TEMPLATE)')} [makefileSecrets]`,
      'SECRETS.md:18 [secretsDoc]',
      'SECRETS.md:19 [secretsDoc]',
      'SECRETS.md:65 [secretsDoc]',
      'SECRETS.md:66 [secretsDoc]',
      'backend.yaml.tmpl:22 [layout]',
      'backend.yaml.tmpl:22 [plaintextSecrets]',
      'keys/id_rsa:1 [plaintextSecrets]',
      'secrets.vals.yaml:4 [forbiddenProviders]',
    ]);
    for (const line of lines)
      expect(line).toMatch(/^[^\s:]+:\d+ \[[a-zA-Z]+\] .+ — .+$/);
  });

  it('catches a vals reference smuggled into the generated files by hand, which the render refuses up front', async () => {
    const render = createRenderEnvironmentAction({
      kits: await loadTestKits(),
      kitVersion: '9.9.9',
    });
    const description = 'Was ref+file://~/.cf-token before';
    await expect(
      render.handler(
        createMockActionContext({
          input: { ...canonicalValues.production, description } as any,
          workspacePath: workspace.path,
        }),
      ),
    ).rejects.toThrow(
      /description must be one line of printable text [^\n]*without vals references/,
    );

    await renderKit();
    for (const name of ['catalog-info.yaml', '.environment-answers.yaml']) {
      const original = canonicalValues.production.description!;
      await writeFile(
        file(name),
        (await read(name)).replace(original, description),
      );
    }
    expect(await violations()).toEqual([
      expect.stringMatching(
        /^\.environment-answers\.yaml:10 \[forbiddenProviders\] "ref\+file:\/\/…" uses the vals provider ref\+file/,
      ),
      expect.stringMatching(
        /^catalog-info\.yaml:6 \[forbiddenProviders\] "ref\+file:\/\/…" uses the vals provider ref\+file/,
      ),
    ]);
  });

  it('checks the whole kit against a different expected vault', async () => {
    await renderKit();
    const lines = await violations({ vault: 'Production' });
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(
      /^backend\.yaml\.tmpl:7 \[layout\] bucket refers to vault "Infr…" instead of the configured "Production"/,
    );
  });

  it('keeps line numbers exact for files grown by the test helpers', async () => {
    await renderKit();
    const kit = renderEnvironment(
      { ...canonicalValues.production },
      { kits: await loadTestKits(), kitVersion: '9.9.9' },
    ).files.find(f => f.path === 'Makefile')!.content;
    expect(await lineCount('Makefile')).toBe(kit.split('\n').length);
  });
});
