import { resourceEntityV1alpha1Validator } from '@backstage/catalog-model';
import { parse } from 'yaml';
import { kitManifest } from '../../src/kits/manifest';
import {
  decodeFiles,
  formValues,
  loadTemplate,
  startScaffolderBackend,
} from '../../src/__testUtils__/backend';
import { catalogEntityPolicy } from '../../src/__testUtils__/catalogPolicy';
import { canonicalValues } from '../../src/__testUtils__/values';
import { withValue } from '../../src/__testUtils__/hostile/formAndModelVerdicts';

jest.setTimeout(120_000);

const policy = catalogEntityPolicy;

describe('the templates through the real scaffolder REST API', () => {
  let backend: Awaited<ReturnType<typeof startScaffolderBackend>>;
  beforeAll(async () => {
    backend = await startScaffolderBackend();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('registers the four templates from catalog-info.yaml in the catalog', async () => {
    await backend.templatesReady();
    const { body } = await backend.request(
      'GET',
      '/api/catalog/entities/by-query?filter=kind=template',
    );
    expect(body.items.map((e: any) => e.metadata.name).sort()).toEqual([
      'development-environment',
      'production-environment',
      'staging-environment',
      'upgrade-environment',
    ]);
  });

  it('lists the render action with its examples', async () => {
    const { body } = await backend.request('GET', '/api/scaffolder/v2/actions');
    const action = body.find(
      (a: any) => a.id === 'unifiCloudflare:environment:render',
    );
    expect(action.examples).toHaveLength(3);
    expect(action.schema.input.properties.zoneName.description).toMatch(
      /for example|Example: example.com/,
    );
  });

  it.each(['development', 'staging', 'production'] as const)(
    'dry-runs the %s template and returns the complete kit',
    async environment => {
      const template = await loadTemplate(environment);
      const { status, body } = await backend.dryRun(
        template,
        formValues(canonicalValues[environment]),
      );
      expect(status).toBe(200);
      const files = decodeFiles(body.directoryContents);
      expect([...files.keys()].sort()).toEqual(
        kitManifest[environment].map(f => f.path).sort(),
      );
      for (const [file, text] of files) {
        expect({ file, empty: text.trim() === '' }).toEqual({
          file,
          empty: false,
        });
      }

      const entity = parse(files.get('catalog-info.yaml')!);
      await expect(policy.enforce(entity)).resolves.toBeDefined();
      await expect(resourceEntityV1alpha1Validator.check(entity)).resolves.toBe(
        true,
      );
      expect(entity.spec).toMatchObject({
        type: 'environment',
        owner: canonicalValues[environment].owner,
      });
      expect(
        entity.metadata.annotations[
          'unifi-cloudflare-glue.io/environment-tier'
        ],
      ).toBe(environment);

      const renderLog = body.log.map((l: any) => l.body.message).join('\n');
      expect(renderLog).toMatch(
        new RegExp(`Dry run: rendered the ${environment} kit`),
      );
    },
  );

  it('rejects hostile values in identifier fields with HTTP 400 naming the field', async () => {
    const hostile = [
      'x"; rm -rf /',
      '$(id)',
      '`id`',
      'a\nb',
      '{{ 7*7 }}',
      '${{ parameters.name }}',
    ];
    const fields: [string, (string | number)[]][] = [
      ['name', ['name']],
      ['zoneName', ['zoneName']],
      ['unifiHost', ['unifiHost']],
      ['devices[0].hostname', ['devices', 0, 'hostname']],
      ['devices[0].macAddresses[0]', ['devices', 0, 'macAddresses', 0]],
      ['devices[0].aliases[0]', ['devices', 0, 'aliases', 0]],
      ['devices[0].services[0].name', ['devices', 0, 'services', 0, 'name']],
      ['glueVersion', ['glueVersion']],
    ];
    for (const [field, at] of fields) {
      for (const value of hostile) {
        const { status, body } = await backend.request(
          'POST',
          '/api/scaffolder/v2/tasks',
          {
            templateRef: 'template:default/development-environment',
            values: withValue(
              formValues(canonicalValues.development),
              at,
              value,
            ),
          },
        );
        expect({ field, value, status }).toEqual({ field, value, status: 400 });
        expect(
          (body.errors as { property: string }[]).map(e => e.property),
        ).toContain(`instance.${field}`);
      }
    }
  });

  it('renders hostile description text as inert literal text', async () => {
    const description = `it's "quoted" $(id) \`id\` {{ 7*7 }} \${{ parameters.name }} # not a comment`;
    const template = await loadTemplate('development');
    const { status, body } = await backend.dryRun(template, {
      ...formValues(canonicalValues.development),
      description,
    });
    expect(status).toBe(200);
    const files = decodeFiles(body.directoryContents);
    expect(parse(files.get('catalog-info.yaml')!).metadata.description).toBe(
      description,
    );
    expect(
      parse(files.get('.environment-answers.yaml')!).values.description,
    ).toBe(description);
    expect(files.get('README.md')).not.toContain('49');
  });
});
