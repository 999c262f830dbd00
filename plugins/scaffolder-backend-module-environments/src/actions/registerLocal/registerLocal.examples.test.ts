import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createMockDirectory, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import path from 'node:path';
import { parse } from 'yaml';
import { createRegisterLocalAction } from './registerLocal';
import { examples } from './registerLocal.examples';

describe('unifiCloudflare:catalog:registerLocal examples', () => {
  const root = createMockDirectory();

  it.each(examples.map(e => [e.description, e] as const))('%s', async (_, example) => {
    root.clear();
    root.addContent({ repos: { 'homelab-dns-dev': { 'catalog-info.yaml': 'kind: Resource\n' } } });
    const repos = root.resolve('repos');
    const step = parse(example.example).steps[0];
    const input = { ...step.input, localPath: path.join(repos, 'homelab-dns-dev') };
    const catalog = catalogServiceMock.mock({ addLocation: jest.fn(async () => ({ location: {} as any, entities: [] })) });
    const config = mockServices.rootConfig({ data: { unifiCloudflare: { localPublisher: { enabled: true, directory: repos } } } });
    const ctx = createMockActionContext({ input });
    await createRegisterLocalAction({ config, catalog }).handler(ctx);
    expect(catalog.addLocation).toHaveBeenCalledWith(
      { type: 'file', target: path.join(repos, 'homelab-dns-dev', 'catalog-info.yaml') },
      expect.anything(),
    );
  });
});
