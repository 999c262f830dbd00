/**
 * Controls for the door-1 batching of hostileInput.test.ts: fields share a request only where
 * JSON Schema checks each on its own, and an answer is split into per-field verdicts only where
 * every error names one of them.
 */
import {
  batchVerdicts,
  checkedOnItsOwn,
  formBatches,
  textFields,
} from '../../src/__testUtils__/hostile/formAndModelVerdicts';

type Json = Record<string, any>;

const text = { type: 'string', pattern: '^[a-z]+$' };

function template(pages: Json[]): Json {
  return { spec: { parameters: pages } };
}

const plain = template([
  {
    properties: {
      name: text,
      description: text,
      devices: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            hostname: text,
            aliases: { type: 'array', uniqueItems: true, items: text },
            services: {
              type: 'array',
              items: {
                type: 'object',
                properties: { name: text, publicHostname: text },
                allOf: [
                  {
                    if: { properties: { protocol: { const: 'tcp' } } },
                    then: { required: ['publicHostname'] },
                  },
                ],
              },
            },
          },
        },
      },
    },
  },
  {
    properties: { publishTarget: { enum: ['github', 'local'] } },
    dependencies: {
      publishTarget: {
        oneOf: [{ properties: { repoUrl: text } }],
      },
    },
  },
]);

describe('door-1 batches', () => {
  it('finds the text fields at any depth, with their page', () => {
    expect(textFields(plain).map(f => [f.field, f.page])).toEqual([
      ['name', 0],
      ['description', 0],
      ['devices[0].hostname', 0],
      ['devices[0].aliases[0]', 0],
      ['devices[0].services[0].name', 0],
      ['devices[0].services[0].publicHostname', 0],
      ['repoUrl', 1],
    ]);
  });

  it('keeps a field a conditional mentions, and a field of a dependency, on its own', () => {
    const batches = formBatches(plain, textFields(plain)).map(b =>
      b.map(f => f.field),
    );
    expect(batches).toEqual([
      [
        'name',
        'description',
        'devices[0].hostname',
        'devices[0].aliases[0]',
        'devices[0].services[0].name',
      ],
      ['devices[0].services[0].publicHostname'],
      ['repoUrl'],
    ]);
  });

  it('keeps a field inside an object item of a uniqueItems array, and every field of a page with `when`, on its own', () => {
    const unique = template([
      {
        properties: {
          devices: {
            type: 'array',
            uniqueItems: true,
            items: { type: 'object', properties: { hostname: text } },
          },
        },
      },
    ]);
    expect(checkedOnItsOwn(unique, textFields(unique)[0])).toBe(false);
    const when = template([{ properties: { name: text }, when: true }]);
    expect(checkedOnItsOwn(when, textFields(when)[0])).toBe(false);
  });

  it('splits an answer only where every error names a field of the batch', () => {
    const fields = textFields(plain).slice(0, 2);
    expect(batchVerdicts(fields, { status: 201, body: {} })).toEqual([
      expect.objectContaining({ status: 201, accepted: true }),
      expect.objectContaining({ status: 201, accepted: true }),
    ]);
    const split = batchVerdicts(fields, {
      status: 400,
      body: {
        errors: [{ property: 'instance.description', stack: 'bad' }],
      },
    });
    expect(split).toEqual([
      expect.objectContaining({ status: 201, accepted: true }),
      expect.objectContaining({
        status: 400,
        namesField: true,
        messages: ['bad'],
      }),
    ]);
    expect(
      batchVerdicts(fields, {
        status: 400,
        body: { errors: [{ property: 'instance', stack: 'oneOf' }] },
      }),
    ).toBeUndefined();
    expect(batchVerdicts(fields, { status: 500, body: {} })).toBeUndefined();
  });
});
