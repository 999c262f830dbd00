/**
 * Backstage-side behaviour behind finding 8 of issue 18, reproduced minimally so that we notice
 * when it changes. Our templates work around both (a `propertyNames` allowlist on the first page
 * and on a service, see templates/*\/template.yaml; hardening.test.ts checks the templates).
 *
 * 1. jsonschema 1.5.0 (the scaffolder's validator of /v2/tasks and /v2/dry-run values) lets
 *    `additionalProperties: false` pass the keys `constructor` and `__proto__`: it looks a key up
 *    with `schema.properties[key] !== undefined`, which finds Object.prototype's members.
 * 2. The scaffolder's template engine (nunjitsu, behind the `${{ }}` of every step input) throws
 *    a TypeError on a value holding a `constructor` or `__proto__` key and a RangeError on values
 *    nested more than 256 levels, even when no template reads them; /v2/dry-run answers HTTP 500
 *    for both, and /v2/tasks accepts the task (201), which then fails.
 * 3. /v2/dry-run drops a top-level `__proto__` key of the values before anything checks them.
 */
import { validate } from 'jsonschema';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { apiClient } from '../../src/__testUtils__/http';
import { startScaffolderBackend } from '../../src/__testUtils__/backend';
import { withOwnKey } from '../../src/__testUtils__/hostile/formAndModelVerdicts';

jest.setTimeout(120_000);

/** A template that declares no parameters and never reads them. */
const bare = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'bare' },
  spec: {
    owner: 'group:default/platform-team',
    type: 'test',
    steps: [{ id: 'log', action: 'debug:log', input: { message: 'hello' } }],
  },
};

function nested(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('upstream: jsonschema 1.5.0', () => {
  it.each(['constructor', '__proto__'])(
    'additionalProperties: false lets an own %s key through; propertyNames refuses it',
    key => {
      const instance = JSON.parse(`{"${key}": {"x": 1}}`);
      expect(Object.keys(instance)).toEqual([key]);
      expect(
        validate(instance, {
          type: 'object',
          properties: { name: { type: 'string' } },
          additionalProperties: false,
        }).valid,
      ).toBe(true);
      expect(
        validate(
          { other: 1 },
          {
            type: 'object',
            properties: { name: { type: 'string' } },
            additionalProperties: false,
          },
        ).valid,
      ).toBe(false);
      expect(
        validate(instance, {
          type: 'object',
          propertyNames: { enum: ['name'] },
        }).valid,
      ).toBe(false);
    },
  );
});

describe('upstream: the scaffolder with values its template never reads', () => {
  let backend: Awaited<ReturnType<typeof startScaffolderBackend>>;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'upstream-'));
    await writeFile(path.join(scratch, 'bare.yaml'), stringify(bare));
    backend = await startScaffolderBackend({
      catalogFiles: [path.join(scratch, 'bare.yaml')],
      config: {},
    });
    await apiClient(backend.baseUrl).waitForTemplates(['bare']);
  });
  afterAll(async () => {
    await backend?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    [
      'a constructor key',
      () => withOwnKey({}, 'constructor', { x: 1 }),
      /Template record key constructor is reserved/,
    ],
    [
      'a constructor key one level down',
      () => ({ a: withOwnKey({}, 'constructor', 1) }),
      /Template record key constructor is reserved/,
    ],
    [
      'a __proto__ key one level down',
      () => ({ a: withOwnKey({}, '__proto__', 1) }),
      /Template record key __proto__ is reserved/,
    ],
    [
      'a value nested 300 levels',
      () => ({ a: nested(300) }),
      /nesting cannot exceed 256 levels/,
    ],
  ])(
    '%s: /v2/dry-run answers 500; /v2/tasks accepts the task, which fails',
    async (_label, values, message) => {
      const api = apiClient(backend.baseUrl);
      const dry = await backend.dryRun(
        bare,
        values() as Record<string, unknown>,
      );
      expect(dry.status).toBe(500);
      expect(dry.body.error.message).toMatch(message);
      const id = await api.createTask(
        'template:default/bare',
        values() as Record<string, unknown>,
      );
      expect((await api.waitForTask(id)).status).toBe('failed');
    },
  );

  it('a top-level __proto__ key is dropped by /v2/dry-run before any check', async () => {
    const dry = await backend.dryRun(
      {
        ...bare,
        spec: {
          ...bare.spec,
          parameters: [{ propertyNames: { enum: ['name'] } }],
        },
      },
      withOwnKey({}, '__proto__', { x: 1 }),
    );
    expect(dry.status).toBe(200);
    const refused = await backend.dryRun(
      {
        ...bare,
        spec: {
          ...bare.spec,
          parameters: [{ propertyNames: { enum: ['name'] } }],
        },
      },
      withOwnKey({}, 'constructor', { x: 1 }),
    );
    expect(refused.status).toBe(400);
  });
});
