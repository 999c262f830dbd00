import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import path from 'node:path';
import { parse } from 'yaml';
import {
  LocalRepositoriesProvider,
  registerLocalRepositoriesProvider,
} from '../../catalog/localRepositories';
import { createRegisterLocalAction } from './registerLocal';
import { examples } from './registerLocal.examples';

describe('unifiCloudflare:catalog:registerLocal examples', () => {
  const root = createMockDirectory();

  it.each(examples.map(e => [e.description, e] as const))(
    '%s',
    async (_, example) => {
      root.clear();
      root.addContent({
        repos: {
          'homelab-dns-dev': {
            'catalog-info.yaml':
              'apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: homelab-dns-dev\nspec:\n  type: environment\n',
          },
        },
      });
      const repos = root.resolve('repos');
      const target = path.join(repos, 'homelab-dns-dev', 'catalog-info.yaml');
      const provider = new LocalRepositoriesProvider(repos, { warn: () => {} });
      const applyMutation = jest.fn(async () => {});
      await provider.connect({ applyMutation, refresh: jest.fn() });
      const unregister = registerLocalRepositoriesProvider(provider);
      try {
        const step = parse(example.example).steps[0];
        const input = {
          ...step.input,
          localPath: path.join(repos, 'homelab-dns-dev'),
        };
        const entity = {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: 'homelab-dns-dev',
            namespace: 'default',
            annotations: {
              'backstage.io/managed-by-origin-location': `file:${target}`,
            },
          },
          spec: {},
        };
        const config = mockServices.rootConfig({
          data: {
            unifiCloudflare: {
              localPublisher: { enabled: true, directory: repos },
            },
          },
        });
        const ctx = createMockActionContext({ input });
        await createRegisterLocalAction({
          config,
          catalog: catalogServiceMock({ entities: [entity as any] }),
          auth: mockServices.auth(),
        }).handler(ctx);
        expect(ctx.output).toHaveBeenCalledWith(
          'entityRef',
          'resource:default/homelab-dns-dev',
        );
      } finally {
        unregister();
      }
    },
  );
});
