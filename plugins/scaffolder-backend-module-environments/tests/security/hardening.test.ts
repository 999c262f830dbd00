/**
 * Issue 18 (what a red-team pass found), finding by finding, through one real backend: the
 * scaffolder's /v2/dry-run and /v2/tasks and the catalog API, with local publishing enabled and
 * the catalog module `npm start` installs for it (dev/index.ts).
 */
import {
  mkdir,
  mkdtemp,
  readdir,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { stringify } from 'yaml';
import { catalogModuleLocalRepositories } from '../../src/module';
import {
  apiClient,
  ApiClient,
  TaskEvent,
  taskOutput,
} from '../../src/__testUtils__/http';
import { renderProductionFiles } from '../../src/__testUtils__/secretsLayout';
import {
  decodeFiles,
  EnvironmentName,
  formValues,
  loadTemplate,
  REPO_ROOT,
  startScaffolderBackend,
} from '../../src/__testUtils__/backend';
import { canonicalValues } from '../../src/__testUtils__/values';
import { withOwnKey } from '../../src/__testUtils__/hostile/formAndModelVerdicts';

jest.setTimeout(300_000);

type Backend = Awaited<ReturnType<typeof startScaffolderBackend>>;
type Json = Record<string, any>;

// Fake secrets assembled at run time, so this file does not itself look like a leak to scanners.
const AWS_KEY_ID = ['AKIA', 'Z7QW3KXNP5LMR2TV'].join('');
const GITHUB_TOKEN = ['ghp_', 'R8kz2LqW9mXv4TnB7cYd3FhJ6pQs1GaE5uKx'].join('');
const TOKEN = ['Tq7Lm2Xv', 'R9pK4wZ8', 'nB3cY6hJ'].join('');

function deepValue(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe('issue 18 through the real backend', () => {
  let backend: Backend;
  let api: ApiClient;
  let scratch: string;
  let repositories: string;
  const templates = {} as Record<EnvironmentName, Json>;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'issue-18-'));
    repositories = path.join(scratch, 'repositories');
    await mkdir(path.join(scratch, 'squatter'), { recursive: true });
    await mkdir(repositories, { recursive: true });
    // A Resource registered beforehand under an environment's name (finding 2).
    const squatter = (name: string) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: { name },
      spec: { type: 'environment', owner: 'group:default/mallory' },
    });
    await writeFile(
      path.join(scratch, 'squatter', 'catalog-info.yaml'),
      `${stringify(squatter('squatted-env'))}---\n${stringify(squatter('squatted-race'))}`,
    );
    // A directory holding a Template, and a symbolic link to one outside: never registered.
    await mkdir(path.join(repositories, 'evil'));
    await writeFile(
      path.join(repositories, 'evil', 'catalog-info.yaml'),
      stringify(evilTemplate('evil-in-repositories')),
    );
    await mkdir(path.join(scratch, 'elsewhere'));
    await writeFile(
      path.join(scratch, 'elsewhere', 'catalog-info.yaml'),
      stringify(evilTemplate('evil-through-link')),
    );
    await symlink(
      path.join(scratch, 'elsewhere'),
      path.join(repositories, 'linked'),
    );
    // A template that only registers a repository, so the check after registration is tested alone.
    await writeFile(
      path.join(scratch, 'register-only.yaml'),
      stringify({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'register-only' },
        spec: {
          owner: 'group:default/platform-team',
          type: 'test',
          parameters: [{ properties: { localPath: { type: 'string' } } }],
          steps: [
            {
              id: 'registerLocal',
              action: 'unifiCloudflare:catalog:registerLocal',
              input: { localPath: '${{ parameters.localPath }}' },
            },
          ],
          output: {
            links: [
              {
                title: 'Open in catalog',
                entityRef: "${{ steps['registerLocal'].output.entityRef }}",
              },
            ],
          },
        },
      }),
    );
    backend = await startScaffolderBackend({
      catalogFiles: [
        path.join(scratch, 'squatter', 'catalog-info.yaml'),
        path.join(scratch, 'register-only.yaml'),
      ],
      config: {
        unifiCloudflare: {
          localPublisher: { enabled: true, directory: repositories },
        },
      },
      features: [catalogModuleLocalRepositories],
    });
    api = apiClient(backend.baseUrl);
    await backend.templatesReady();
    await api.waitForTemplates(['register-only']);
    for (const environment of ['development', 'staging', 'production'] as const)
      templates[environment] = await loadTemplate(environment);
    await entityEventually('resource:default/squatted-env');
    // Only once the squatter holds the name: a repository in the local directory with the same
    // entity (someone took the name between our check and our registration).
    await entityEventually('resource:default/squatted-race');
    await mkdir(path.join(repositories, 'race-repo'));
    await writeFile(
      path.join(repositories, 'race-repo', 'catalog-info.yaml'),
      stringify({
        ...squatter('squatted-race'),
        spec: { type: 'environment', owner: 'group:default/platform-team' },
      }),
    );
  });

  afterAll(async () => {
    await backend?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  function evilTemplate(name: string) {
    return {
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name },
      spec: {
        owner: 'group:default/mallory',
        type: 'service',
        steps: [{ id: 'x', action: 'debug:log', input: { message: 'x' } }],
      },
    };
  }

  /** The entity once the catalog holds it, or undefined if it does not within `timeoutMs`. */
  async function entityEventually(
    ref: string,
    timeoutMs = 60_000,
  ): Promise<Json | undefined> {
    return api.waitForEntity(ref, timeoutMs).catch(error => {
      if (/did not happen within/.test(String(error?.message)))
        return undefined;
      throw error;
    });
  }

  async function runTask(templateRef: string, values: Json) {
    const id = await api.createTask(templateRef, values);
    const task = await api.waitForTask(id, 120_000);
    const events = await api.events(id);
    return { task, events, output: taskOutput(events) };
  }

  const failure = (events: TaskEvent[]) =>
    events
      .filter(e => e.body.status === 'failed')
      .map(e => e.body.message ?? '')
      .join('\n');
  const localValues = (environment: EnvironmentName, name: string) => {
    const { repoUrl: _repoUrl, ...values } = formValues(
      canonicalValues[environment],
    ) as Json;
    return { ...values, name, publishTarget: 'local' };
  };
  const dryRunError = (response: { status: number; body: any }) =>
    String(response.body?.error?.message ?? JSON.stringify(response.body));

  describe('1. catalog file locations', () => {
    it('the locations API answers a probe for an existing and a missing file identically: refused', async () => {
      const probe = (target: string) =>
        api.request('POST', '/api/catalog/locations?dryRun=true', {
          type: 'file',
          target,
        });
      const existing = await probe('/etc/shadow');
      const missing = await probe('/etc/no-such-file-issue-18');
      expect(existing.status).toBe(400);
      expect({
        status: existing.status,
        error: existing.body?.error?.message,
      }).toEqual({
        status: missing.status,
        error: missing.body?.error?.message,
      });
    });

    it('a Template of our own from /tmp cannot be registered, neither through the API nor through the local directory', async () => {
      const own = path.join(scratch, 'own-template.yaml');
      await writeFile(own, stringify(evilTemplate('evil-from-tmp')));
      const registered = await api.request('POST', '/api/catalog/locations', {
        type: 'file',
        target: own,
      });
      expect(registered.status).toBe(400);
      // A local publish makes the provider scan the directory: the Template there and the link are skipped.
      const run = await runTask(
        'template:default/development-environment',
        localValues('development', 'local-scan'),
      );
      expect(run.task.status).toBe('completed');
      for (const name of [
        'evil-from-tmp',
        'evil-in-repositories',
        'evil-through-link',
      ]) {
        expect(
          await entityEventually(`template:default/${name}`, 2_000),
        ).toBeUndefined();
      }
    });

    it('registerLocal registers a repository it published: the entity comes from that file', async () => {
      const { task, output, events } = await runTask(
        'template:default/development-environment',
        localValues('development', 'local-env-one'),
      );
      expect({ status: task.status, failure: failure(events) }).toEqual({
        status: 'completed',
        failure: '',
      });
      expect(output.links).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            entityRef: 'resource:default/local-env-one',
          }),
        ]),
      );
      const entity = await entityEventually('resource:default/local-env-one');
      expect(
        entity?.metadata.annotations['backstage.io/managed-by-origin-location'],
      ).toBe(
        `file:${path.join(repositories, 'local-env-one', 'catalog-info.yaml')}`,
      );
    });
  });

  describe('2. entity squatting', () => {
    it('a name the catalog holds is refused before anything is published', async () => {
      const { task, events } = await runTask(
        'template:default/development-environment',
        localValues('development', 'squatted-env'),
      );
      expect(task.status).toBe('failed');
      expect(failure(events)).toMatch(
        /already holds resource:default\/squatted-env/,
      );
      expect(
        events.some(
          e =>
            e.body.stepId === 'publishLocal' && e.body.status === 'processing',
        ),
      ).toBe(false);
      expect(await readdir(repositories)).not.toContain('squatted-env');
    });

    it('the same in a dry-run', async () => {
      const response = await backend.dryRun(templates.production, {
        ...formValues(canonicalValues.production),
        name: 'squatted-env',
      });
      expect(response.status).not.toBe(200);
      expect(dryRunError(response)).toMatch(
        /already holds resource:default\/squatted-env/,
      );
    });

    it('registerLocal never reports success for an entity that is not ours', async () => {
      const { task, events, output } = await runTask(
        'template:default/register-only',
        { localPath: path.join(repositories, 'race-repo') },
      );
      expect(task.status).toBe('failed');
      expect(failure(events)).toMatch(
        /already holds resource:default\/squatted-race, registered from another location/,
      );
      expect(output).toBeUndefined();
    });
  });

  describe('3. valid names pass production', () => {
    it.each([
      ['homelab-k8s', 'media-server'],
      ['home-k8s', 'media-server'],
      ['lab-k3s', 'media-server'],
      ['homelab-dns2b', '0x10'],
    ])(
      'name %s, device %s: the production dry-run passes the secrets check',
      async (name, hostname) => {
        const values = formValues(canonicalValues.production) as Json;
        const [first, ...others] = values.devices as Json[];
        const response = await backend.dryRun(templates.production, {
          ...values,
          name,
          devices: [{ ...first, hostname }, ...others],
        });
        expect({
          status: response.status,
          error: response.status === 200 ? '' : dryRunError(response),
        }).toEqual({ status: 200, error: '' });
      },
    );
  });

  describe('4. the secrets validator never prints a secret', () => {
    const validateOnly = {
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'validate-only' },
      spec: {
        owner: 'group:default/platform-team',
        type: 'test',
        // The dry-run's directoryContents are the template's own directory: copy them into the workspace.
        steps: [
          { id: 'fetch', action: 'fetch:plain', input: { url: './' } },
          {
            id: 'validate',
            action: 'unifiCloudflare:secretsLayout:validate',
            input: { path: '.', vault: 'Infrastructure' },
          },
        ],
      },
    };
    const REF = 'ref+op://Infrastructure/cloudflare/credential';
    const cases: [
      string,
      (f: Record<string, string>) => Record<string, string>,
    ][] = [
      [
        'ref+echo:// with the token',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `ref+echo://${TOKEN}`,
          ),
        }),
      ],
      [
        'a ?token= query',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `${REF}?token=${TOKEN}`,
          ),
        }),
      ],
      [
        'a password before @vault',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `ref+op://svc:${TOKEN}@Infrastructure/cloudflare/credential`,
          ),
        }),
      ],
      [
        'a #fragment',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `${REF}#${TOKEN}`,
          ),
        }),
      ],
      [
        'a nested reference',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `ref+op://ref+echo://${TOKEN}/cloudflare/credential`,
          ),
        }),
      ],
      [
        'secretref+',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `secretref+op://Infrastructure/${TOKEN}/credential`,
          ),
        }),
      ],
      [
        'an unknown key',
        f => ({
          'secrets.vals.yaml': `${f['secrets.vals.yaml']}${TOKEN}: "${REF}"\n`,
        }),
      ],
      [
        'the token as an item name',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `ref+op://Infrastructure/${TOKEN}/credential`,
          ),
        }),
      ],
      [
        'the token as a vault name',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `ref+op://${TOKEN}/cloudflare/credential`,
          ),
        }),
      ],
      [
        'the token as a field name',
        f => ({
          'secrets.vals.yaml': f['secrets.vals.yaml'].replace(
            REF,
            `ref+op://Infrastructure/cloudflare/${TOKEN}`,
          ),
        }),
      ],
      [
        'a token listed in SECRETS.md',
        f => ({
          'SECRETS.md': `${f['SECRETS.md']}\n## References\n\n- \`ref+op://Infrastructure/${TOKEN}/x\`\n`,
        }),
      ],
      [
        'a .env.example variable named by the token',
        f => ({
          '.env.example': `${f['.env.example']}\n${TOKEN}_KEY=${TOKEN}\n`,
        }),
      ],
      [
        'a GitHub token in the Makefile',
        f => ({ Makefile: `${f.Makefile}\n# ${GITHUB_TOKEN}\n` }),
      ],
      [
        'a token in a .gitignore pattern',
        f => ({ '.gitignore': `${f['.gitignore']}\n!${TOKEN}/backend.yaml\n` }),
      ],
    ];

    it.each(cases)(
      '%s: refused, and neither the error nor the log holds more than 4 characters of it',
      async (_label, change) => {
        const files = await renderProductionFiles();
        const changed = { ...files, ...change(files) };
        const directoryContents = Object.entries(changed).map(
          ([p, content]) => ({
            path: p,
            base64Content: Buffer.from(content).toString('base64'),
          }),
        );
        const response = await backend.dryRun(
          validateOnly,
          {},
          directoryContents,
        );
        expect(response.status).not.toBe(200);
        // Not vacuous: the validator read the kit and reported the changed file.
        for (const file of Object.keys(change(files)))
          expect(dryRunError(response)).toContain(`${file}:`);
        expect(dryRunError(response)).not.toMatch(/is missing/);
        const said = JSON.stringify(response.body);
        for (const secret of [TOKEN, GITHUB_TOKEN])
          expect(said).not.toContain(secret.slice(0, 5));
      },
    );
  });

  describe('5. invisible characters', () => {
    it.each([
      ['U+200D', '\u200d'],
      ['U+00AD', '\u00ad'],
      ['U+180E', '\u180e'],
      ['U+034F', '\u034f'],
      ['U+3164', '\u3164'],
      ['U+115F', '\u115f'],
      ['U+2800', '\u2800'],
      ['U+FE0F', '\ufe0f'],
      ['U+206A', '\u206a'],
      ['U+E0041', '\u{e0041}'],
      ['U+E007F', '\u{e007f}'],
    ])(
      '%s in a description: /v2/tasks answers 400 naming the field, in every template',
      async (_name, char) => {
        for (const environment of [
          'development',
          'staging',
          'production',
        ] as const) {
          const values = {
            ...formValues(canonicalValues[environment]),
            description: `Media${char}server`,
          };
          const { status, body } = await api.request(
            'POST',
            '/api/scaffolder/v2/tasks',
            {
              templateRef: `template:default/${environment}-environment`,
              values,
            },
          );
          expect({
            environment,
            status,
            fields: (body?.errors ?? []).map((e: any) => e.property),
          }).toEqual({
            environment,
            status: 400,
            fields: ['instance.description'],
          });
        }
      },
    );
  });

  describe('6. secret-looking text in any tier', () => {
    it.each([
      ['development', 'description', `deploy key ${AWS_KEY_ID}`],
      ['development', 'owner', AWS_KEY_ID],
      ['staging', 'system', `system:default/${AWS_KEY_ID}`],
      ['staging', 'description', `token ${GITHUB_TOKEN}`],
      ['production', 'owner', `group:default/${AWS_KEY_ID}`],
    ] as const)(
      '%s %s: the dry-run is refused naming the field, masked, and nothing is rendered',
      async (environment, field, value) => {
        const response = await backend.dryRun(templates[environment], {
          ...formValues(canonicalValues[environment]),
          [field]: value,
        });
        expect(response.status).not.toBe(200);
        const said = JSON.stringify(response.body);
        expect(dryRunError(response)).toMatch(
          new RegExp(`- ${field} looks like it holds`),
        );
        for (const secret of [AWS_KEY_ID, GITHUB_TOKEN])
          expect(said).not.toContain(secret.slice(0, 5));
      },
    );
  });

  describe('7. free text never becomes a link or an image in README.md', () => {
    it('a description with URLs, www., an image and an email renders as plain text under GFM autolinking', async () => {
      const description =
        'see http://evil.example/x, www.evil.example and ![x](https://evil.example/i.png) or admin@evil.example';
      const response = await backend.dryRun(templates.development, {
        ...formValues(canonicalValues.development),
        description,
      });
      expect(response.status).toBe(200);
      const readme = decodeFiles(response.body.directoryContents).get(
        'README.md',
      )!;
      const gfm = new MarkdownIt('commonmark', { linkify: true }).enable([
        'table',
        'strikethrough',
        'linkify',
      ]);
      const inline = gfm.parse(readme, {}).filter(t => t.type === 'inline');
      const paragraph = inline.find(t =>
        (t.children ?? [])
          .map(c => c.content)
          .join('')
          .includes('see http'),
      );
      expect(paragraph).toBeDefined();
      expect(
        paragraph!
          .children!.map(c => c.type)
          .filter(type => type !== 'text' && type !== 'text_special'),
      ).toEqual([]);
      expect(gfm.renderInline(paragraph!.content)).toBe(
        gfm.utils.escapeHtml(description),
      );
    });
  });

  describe('8. undeclared values: 400, never 500 or a silent failure', () => {
    const cases: [string, (v: Json) => void][] = [
      [
        '__proto__ at the top level',
        v => withOwnKey(v, '__proto__', { polluted: 1 }),
      ],
      [
        'constructor at the top level',
        v => withOwnKey(v, 'constructor', { polluted: 1 }),
      ],
      [
        '__proto__ in a device',
        v => withOwnKey(v.devices[0], '__proto__', { polluted: 1 }),
      ],
      [
        'constructor in a device',
        v => withOwnKey(v.devices[0], 'constructor', { polluted: 1 }),
      ],
      [
        '__proto__ in a service',
        v => withOwnKey(v.devices[0].services[0], '__proto__', { polluted: 1 }),
      ],
      [
        'constructor in a service',
        v =>
          withOwnKey(v.devices[0].services[0], 'constructor', { polluted: 1 }),
      ],
      [
        'constructor in repoUrl',
        v => (v.repoUrl = withOwnKey({}, 'constructor', 'x')),
      ],
      ['an unused value nested 300 deep', v => (v.unused = deepValue(300))],
      [
        'a value nested 300 deep in a device',
        v => (v.devices[0].extra = deepValue(300)),
      ],
      [
        'a value nested 300 deep in a service',
        v => (v.devices[0].services[0].extra = deepValue(300)),
      ],
      ['a misspelt field', v => (v.zonename = 'example.com')],
    ];
    it.each(cases)(
      '%s: /v2/dry-run and /v2/tasks answer 400, in every template',
      async (label, change) => {
        for (const environment of [
          'development',
          'staging',
          'production',
        ] as const) {
          const values = JSON.parse(
            JSON.stringify(formValues(canonicalValues[environment])),
          );
          change(values);
          const dry = await backend.dryRun(templates[environment], values);
          const task = await api.request('POST', '/api/scaffolder/v2/tasks', {
            templateRef: `template:default/${environment}-environment`,
            values,
          });
          // The dry-run endpoint drops a top-level __proto__ before any check (upstream.test.ts):
          // then nothing of it may reach the files.
          const dropped =
            label === '__proto__ at the top level' && dry.status === 200;
          let dryRun: unknown = dry.status;
          if (dropped) {
            const canonical = await backend.dryRun(
              templates[environment],
              formValues(canonicalValues[environment]),
            );
            const sorted = (files: { path: string }[]) =>
              JSON.stringify(
                [...files].sort((x, y) => (x.path < y.path ? -1 : 1)),
              );
            dryRun =
              sorted(dry.body.directoryContents) ===
              sorted(canonical.body.directoryContents)
                ? 'dropped; files unchanged'
                : 'dropped; files changed';
          }
          expect({ environment, dryRun, tasks: task.status }).toEqual({
            environment,
            dryRun: dropped ? 'dropped; files unchanged' : 400,
            tasks: 400,
          });
        }
        expect(({} as any).polluted).toBeUndefined();
      },
    );

    it("each template's allowlist names exactly the fields its pages declare", () => {
      for (const environment of [
        'development',
        'staging',
        'production',
      ] as const) {
        const pages = templates[environment].spec.parameters as Json[];
        const declared = new Set<string>();
        for (const page of pages) {
          Object.keys(page.properties ?? {}).forEach(k => declared.add(k));
          for (const dependency of Object.values<Json>(
            page.dependencies ?? {},
          )) {
            for (const branch of dependency.oneOf ?? [])
              Object.keys(branch.properties ?? {}).forEach((k: string) =>
                declared.add(k),
              );
          }
        }
        expect({
          environment,
          allowed: [...pages[0].propertyNames.enum].sort(),
        }).toEqual({ environment, allowed: [...declared].sort() });
        // The objects inside the form (a device, a service) have allowlists of their own.
        const devices = pages.find(p => p.properties?.devices)!.properties
          .devices as Json;
        for (const items of [
          devices.items,
          devices.items.properties.services.items,
        ]) {
          expect([...items.propertyNames.enum].sort()).toEqual(
            Object.keys(items.properties).sort(),
          );
        }
      }
    });
  });

  describe('9. error text', () => {
    it('a task log shows our InputError as a message, without a stack trace or host paths', async () => {
      const values = formValues(canonicalValues.development) as Json;
      const [device, ...devices] = values.devices as Json[];
      const [service, ...services] = device.services as Json[];
      values.devices = [
        {
          ...device,
          services: [
            { ...service, publicHostname: 'media.elsewhere.example' },
            ...services,
          ],
        },
        ...devices,
      ];
      const { task, events } = await runTask(
        'template:default/development-environment',
        values,
      );
      expect(task.status).toBe('failed');
      const text = failure(events);
      expect(text).toMatch(
        /^InputError: The environment parameters have 1 problem\(s\):\n- devices\[0\]\.services\[0\]\.publicHostname must lie inside the zone/,
      );
      expect(text).not.toMatch(/\n\s+at /);
      expect(text).not.toContain(REPO_ROOT);
    });

    it('duplicate 1Password items are blamed on the field the user set, not on stateItem', async () => {
      const response = await backend.dryRun(templates.production, {
        ...formValues(canonicalValues.production),
        cloudflareItem: 'terraform-state',
      });
      expect(response.status).not.toBe(200);
      const error = dryRunError(response);
      expect(error).toMatch(
        /- cloudflareItem names the same 1Password item as stateItem \(by default\)/,
      );
      expect(error).not.toMatch(/- stateItem /);
    });

    it('registerLocal says what went wrong in words, not "409 Conflict" or "400 Bad Request"', async () => {
      const { events } = await runTask('template:default/register-only', {
        localPath: path.join(repositories, 'race-repo'),
      });
      const text = failure(events);
      expect(text).not.toMatch(/\b(?:409 Conflict|400 Bad Request)\b/);
      expect(text).toMatch(/Choose another name/);
    });
  });
});
