import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createMockDirectory, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { JsonObject } from '@backstage/types';
import path from 'node:path';
import { createRegisterLocalAction } from './registerLocal';

type AddLocationRequest = Parameters<CatalogService['addLocation']>[0];

describe('unifiCloudflare:catalog:registerLocal', () => {
  const root = createMockDirectory();
  let repos: string;
  beforeEach(() => {
    root.clear();
    repos = root.resolve('repos');
    root.addContent({ repos: { 'homelab-dns-dev': { 'catalog-info.yaml': 'kind: Resource\n' } }, outside: { 'catalog-info.yaml': 'x' } });
  });

  function setup(localPublisher: JsonObject | null = { enabled: true, directory: repos }) {
    const catalog = catalogServiceMock.mock({
      addLocation: jest.fn(async (request: AddLocationRequest) => ({
        location: { id: '1', type: request.type ?? 'url', target: request.target, entityRef: 'location:default/generated-1' },
        entities: request.dryRun
          ? [{ apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'homelab-dns-dev', namespace: 'default' } }]
          : [],
      })),
    });
    const config = mockServices.rootConfig({ data: localPublisher ? { unifiCloudflare: { localPublisher } } : {} });
    return { catalog, action: createRegisterLocalAction({ config, catalog }) };
  }

  it('registers the catalog file as a file location and outputs the entity', async () => {
    const { catalog, action } = setup();
    const ctx = createMockActionContext({ input: { localPath: path.join(repos, 'homelab-dns-dev') }, workspacePath: root.resolve('ws') });
    await action.handler(ctx);
    const target = path.join(repos, 'homelab-dns-dev', 'catalog-info.yaml');
    expect(catalog.addLocation).toHaveBeenCalledWith({ type: 'file', target }, expect.objectContaining({ credentials: expect.anything() }));
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'resource:default/homelab-dns-dev');
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', target);
  });

  it('refuses when the local publisher is not enabled', async () => {
    const { catalog, action } = setup(null);
    const ctx = createMockActionContext({ input: { localPath: path.join(repos, 'homelab-dns-dev') } });
    await expect(action.handler(ctx)).rejects.toThrow(/is disabled/);
    expect(catalog.addLocation).not.toHaveBeenCalled();
  });

  it.each([
    ['outside the directory', () => root.resolve('outside')],
    ['the directory itself', () => repos],
    ['a traversal', () => `${repos}/../outside`],
    ['a nested path', () => path.join(repos, 'homelab-dns-dev', 'sub')],
  ])('refuses a localPath %s', async (_, localPath) => {
    const { catalog, action } = setup();
    await expect(action.handler(createMockActionContext({ input: { localPath: localPath() } }))).rejects.toThrow(
      /registers only repositories directly inside/,
    );
    expect(catalog.addLocation).not.toHaveBeenCalled();
  });

  it('refuses a catalogInfoPath that leaves the repository', async () => {
    const { catalog, action } = setup();
    const input = { localPath: path.join(repos, 'homelab-dns-dev'), catalogInfoPath: '../../outside/catalog-info.yaml' };
    await expect(action.handler(createMockActionContext({ input }))).rejects.toThrow(/outside its parent/);
    expect(catalog.addLocation).not.toHaveBeenCalled();
  });

  it('fails plainly when the repository has no catalog file', async () => {
    const { action } = setup();
    const input = { localPath: path.join(repos, 'missing') };
    await expect(action.handler(createMockActionContext({ input }))).rejects.toThrow(/There is no catalog file at .*publish the repository first/);
  });

  it('registers nothing in dry-run', async () => {
    const { catalog, action } = setup();
    const ctx = { ...createMockActionContext({ input: { localPath: path.join(repos, 'not-yet') } }), isDryRun: true };
    await action.handler(ctx);
    expect(catalog.addLocation).not.toHaveBeenCalled();
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', path.join(repos, 'not-yet', 'catalog-info.yaml'));
  });
});
