import {
  findReferenceCandidates,
  formatReference,
  parseReference,
  referenceSyntax,
  VALS_REF_REGEXP,
} from './referenceSyntax';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  replaceOnce,
  tamperedInput,
} from '../../__testUtils__/secretsLayout';
import { inputFromFiles } from '../validationInput';

const problemsOf = (text: string) => {
  const r = parseReference(text);
  return r.ok ? [] : r.problems;
};

describe('parseReference', () => {
  it.each([
    [
      'ref+op://Infrastructure/cloudflare/credential',
      {
        provider: 'op',
        vault: 'Infrastructure',
        item: 'cloudflare',
        field: 'credential',
      },
    ],
    [
      'ref+op://Infrastructure/unifi/admin/password',
      {
        provider: 'op',
        vault: 'Infrastructure',
        item: 'unifi',
        section: 'admin',
        field: 'password',
      },
    ],
    [
      'ref+op://Infrastructure/cloudflare/credential+',
      {
        provider: 'op',
        vault: 'Infrastructure',
        item: 'cloudflare',
        field: 'credential',
      },
    ],
    [
      'ref+op://a1-b2/item_1.x/field-2',
      { provider: 'op', vault: 'a1-b2', item: 'item_1.x', field: 'field-2' },
    ],
    [
      'ref+onepasswordconnect://Infrastructure/cloudflare#/credential',
      {
        provider: 'onepasswordconnect',
        vault: 'Infrastructure',
        item: 'cloudflare',
        field: 'credential',
      },
    ],
    [
      'ref+onepasswordconnect://Infrastructure/unifi#/admin.password+',
      {
        provider: 'onepasswordconnect',
        vault: 'Infrastructure',
        item: 'unifi',
        section: 'admin',
        field: 'password',
      },
    ],
  ])('reads %s', (text, reference) => {
    expect(parseReference(text)).toEqual({ ok: true, reference, problems: [] });
  });

  it.each([
    [
      'ref+op://Infrastructure/cloudflare#/credential',
      /a fragment \(#\/cr…\).*rejects fragments/,
    ],
    ['ref+op://Infrastructure/cloudflare/credential#x', /a fragment \(#…\)/],
    [
      'ref+op://My Vault/cloudflare/credential',
      /contains a space: vals ends the reference at the first space/,
    ],
    ['ref+op://Infrastructure/cloud flare/credential', /contains a space/],
    [
      'ref+op://Infra_Structure/cloudflare/credential',
      /vault "Infr…" cannot be a URI host/,
    ],
    [
      'ref+op://-Infra/cloudflare/credential',
      /vault "-I…" cannot be a URI host/,
    ],
    [
      'ref+op://Infrastructure/cloud+flare/credential',
      /"\+" ends a vals reference/,
    ],
    [
      'ref+op://Infrastructure/cloudflare/credential++',
      /"\+" ends a vals reference/,
    ],
    ['ref+op://Infrastructure/cloud%20flare/credential', /contains "%"/],
    [
      'ref+op://Infrastructure/cloudflare/totp?attribute=otp',
      /query "\?att…=…".*never passes it to 1Password/,
    ],
    [
      'ref+op://Infrastructure/cloudflare',
      /1 path segment\(s\) after the vault; ref\+op needs ITEM\/FIELD/,
    ],
    ['ref+op://Infrastructure/a/b/c/d', /4 path segment\(s\)/],
    ['ref+op://Infrastructure//credential', /item name is empty/],
    ['ref+op://Infrastructure/cloudflare/', /field name is empty/],
    [
      'ref+op://user@Infrastructure/cloudflare/credential',
      /"@" in the vault part/,
    ],
    [
      'ref+op://Infrastructure:8443/cloudflare/credential',
      /":" in the vault part/,
    ],
    ['ref+op:///cloudflare/credential', /the vault is missing/],
    [
      'ref+OP://Infrastructure/cloudflare/credential',
      /write it in lower case, "op"/,
    ],
    [
      'ref+op://Infrastructure/cloudflare/cred$ential',
      /field "cre…" contains "\$"/,
    ],
    [
      'ref+op:Infrastructure/cloudflare/credential',
      /vals does not recognise it as a reference/,
    ],
    [
      'ref+onepasswordconnect://Infrastructure/cloudflare',
      /no fragment naming the field/,
    ],
    [
      'ref+onepasswordconnect://Infrastructure/cloudflare/credential',
      /2 path segment\(s\).*exactly the ITEM/,
    ],
    [
      'ref+onepasswordconnect://Infrastructure/cloudflare#/a/b',
      /more than one key/,
    ],
    [
      'ref+onepasswordconnect://Infrastructure/cloudflare#credential',
      /must start with "\/"/,
    ],
  ])('rejects %s', (text, problem) => {
    expect(problemsOf(text).join('\n')).toMatch(problem);
  });

  it('lists every problem of a reference, not only the first', () => {
    expect(problemsOf('ref+op://My_Vault/item?x=1#frag')).toHaveLength(4);
  });

  it('formats references back the way the templates write them', () => {
    for (const text of [
      'ref+op://V/i/f',
      'ref+op://V/i/s/f',
      'ref+onepasswordconnect://V/i#/f',
      'ref+onepasswordconnect://V/i#/s.f',
    ]) {
      const r = parseReference(text);
      expect(r.ok && formatReference(r.reference)).toBe(text);
    }
  });
});

describe('how vals reads references', () => {
  it("uses vals' own regular expression: a space or + ends a reference, a trailing + is consumed", () => {
    expect('ref+op://My Vault/x/y'.match(VALS_REF_REGEXP)![0]).toBe(
      'ref+op://My',
    );
    expect('ref+op://V/x+y/z'.match(VALS_REF_REGEXP)![0]).toBe('ref+op://V/x+');
    expect('"ref+op://V/x/y",'.match(VALS_REF_REGEXP)![3]).toBe('op://V/x/y');
    expect('a ref+op://V/x/y+ b'.match(VALS_REF_REGEXP)![0]).toBe(
      'ref+op://V/x/y+',
    );
  });

  it('finds every prefix, marks nested ones and lower-cases the scheme', () => {
    expect(
      findReferenceCandidates(
        'ref+echo://ref+envsubst://$X/y and secretref+OP://a/b/c',
      ),
    ).toEqual([
      expect.objectContaining({ prefix: 'ref', nested: true, scheme: 'echo' }),
      expect.objectContaining({
        prefix: 'ref',
        nested: false,
        scheme: 'envsubst',
      }),
      expect.objectContaining({
        prefix: 'secretref',
        nested: false,
        scheme: 'op',
      }),
    ]);
  });
});

describe('referenceSyntax', () => {
  it('accepts the rendered production kit', async () => {
    expect(
      await referenceSyntax(
        inputFromFiles(await renderProductionFiles(), CANONICAL_LAYOUT),
      ),
    ).toEqual([]);
  });

  it('accepts the onepasswordconnect kit', async () => {
    const files = await renderProductionFiles({
      secretsProvider: 'onepasswordconnect',
      unifiAuth: 'usernamePassword',
    });
    expect(
      await referenceSyntax(
        inputFromFiles(files, {
          ...CANONICAL_LAYOUT,
          provider: 'onepasswordconnect',
        }),
      ),
    ).toEqual([]);
  });

  it('reports a bad reference in a YAML value with its file and line', async () => {
    const input = await tamperedInput(f => ({
      'secrets.vals.yaml': replaceOnce(
        f['secrets.vals.yaml'],
        'ref+op://Infrastructure/cloudflare/credential',
        'ref+op://Infrastructure/cloudflare#/credential',
      ),
    }));
    expect(await referenceSyntax(input)).toEqual([
      {
        file: 'secrets.vals.yaml',
        line: 4,
        rule: 'referenceSyntax',
        message: expect.stringMatching(
          /^"ref\+op:\/\/…" is not a reference vals and 1Password can resolve: .*rejects fragments/,
        ),
        fix: expect.stringContaining('ref+op://VAULT/ITEM/FIELD'),
      },
    ]);
  });

  it('ignores comments and Markdown prose, checks Markdown code blocks and Makefile lines', async () => {
    const input = inputFromFiles(
      {
        'a.yaml': '# ref+op://bad vault/x\nk: v\n',
        'README.md':
          'See `ref+op://bad vault/x`.\n\n```bash\nvals get ref+op://Vault/only-item\n```\n',
        Makefile: '# ref+op://x\nall:\n\tvals get "ref+op://V/i/f#frag"\n',
      },
      CANONICAL_LAYOUT,
    );
    const found = await referenceSyntax(input);
    expect(found.map(v => `${v.file}:${v.line}`)).toEqual([
      'Makefile:3',
      'README.md:4',
    ]);
  });

  it('leaves other providers, nested references and secretref+ to forbiddenProviders', async () => {
    const input = inputFromFiles(
      {
        'a.yaml':
          'a: ref+file://x\nb: ref+op://ref+envsubst://$V/i/f\nc: secretref+op://V/i/f#x\n',
      },
      CANONICAL_LAYOUT,
    );
    expect(await referenceSyntax(input)).toEqual([]);
  });

  it('never prints text that follows a reference on the same line', async () => {
    const input = inputFromFiles(
      { Makefile: 'x:\n\techo ref+op://V/i#f s3cr3tValueThatFollows\n' },
      CANONICAL_LAYOUT,
    );
    const [v] = await referenceSyntax(input);
    expect(v.message).toContain('"ref+op://…"');
    expect(v.message).not.toContain('s3cr3t');
  });
});
