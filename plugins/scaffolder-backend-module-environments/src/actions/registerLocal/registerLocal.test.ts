import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import { JsonObject } from '@backstage/types';
import path from 'node:path';
import { createRegisterLocalAction } from './registerLocal';
import {
  LocalRepositoriesProvider,
  registerLocalRepositoriesProvider,
} from '../../catalog/localRepositories';

const RESOURCE =
  'apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: homelab-dns-dev\nspec:\n  type: environment\n  owner: group:default/platform-team\n';
const TEMPLATE =
  'apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: evil\nspec:\n  type: service\n  steps: []\n';

describe('unifiCloudflare:catalog:registerLocal', () => {
  const root = createMockDirectory();
  let repos: string;
  let unregister: (() => void) | undefined;
  let connection: jest.Mocked<EntityProviderConnection>;
  beforeEach(() => {
    root.clear();
    repos = root.resolve('repos');
    root.addContent({
      repos: {
        'homelab-dns-dev': { 'catalog-info.yaml': RESOURCE },
        evil: { 'catalog-info.yaml': TEMPLATE },
      },
      outside: { 'catalog-info.yaml': RESOURCE },
    });
    connection = {
      applyMutation: jest.fn(async (_mutation: unknown) => {}),
      refresh: jest.fn(async (_options: unknown) => {}),
    } as jest.Mocked<EntityProviderConnection>;
  });
  afterEach(() => unregister?.());

  const target = () => path.join(repos, 'homelab-dns-dev', 'catalog-info.yaml');

  async function setup(
    options: {
      localPublisher?: JsonObject | null;
      held?: 'ours' | 'theirs' | 'none';
      provider?: boolean;
    } = {},
  ) {
    const {
      localPublisher = { enabled: true, directory: repos },
      held = 'ours',
      provider = true,
    } = options;
    unregister?.();
    unregister = undefined;
    if (provider) {
      const p = new LocalRepositoriesProvider(repos, { warn: () => {} });
      await p.connect(connection);
      unregister = registerLocalRepositoriesProvider(p);
    }
    const origin =
      held === 'ours'
        ? `file:${target()}`
        : 'url:https://github.com/squatter/x/blob/main/catalog-info.yaml';
    const entities =
      held === 'none'
        ? []
        : [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Resource',
              metadata: {
                name: 'homelab-dns-dev',
                namespace: 'default',
                annotations: {
                  'backstage.io/managed-by-origin-location': origin,
                },
              },
              spec: {},
            },
          ];
    const catalog = catalogServiceMock({ entities: entities as any });
    jest.spyOn(catalog, 'addLocation');
    const config = mockServices.rootConfig({
      data: localPublisher ? { unifiCloudflare: { localPublisher } } : {},
    });
    return {
      catalog,
      action: createRegisterLocalAction({
        config,
        catalog,
        auth: mockServices.auth(),
        timeoutMs: 1500,
      }),
    };
  }

  it('has the provider emit a file location for the repository, waits for our entity and outputs it', async () => {
    const { catalog, action } = await setup();
    const ctx = createMockActionContext({
      input: { localPath: path.join(repos, 'homelab-dns-dev') },
    });
    await action.handler(ctx);
    const emitted = connection.applyMutation.mock.calls.at(-1)![0] as any;
    expect(emitted.entities.map((e: any) => e.entity.spec)).toEqual([
      { type: 'file', target: target(), presence: 'optional' },
    ]);
    // The Template in repos/evil is never emitted, and the locations API is never called.
    expect(catalog.addLocation).not.toHaveBeenCalled();
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'resource:default/homelab-dns-dev',
    );
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', target());
  });

  it('fails, naming the entity, when the catalog holds it from another location', async () => {
    const { action } = await setup({ held: 'theirs' });
    const ctx = createMockActionContext({
      input: { localPath: path.join(repos, 'homelab-dns-dev') },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /already holds resource:default\/homelab-dns-dev, registered from another location/,
    );
    expect(ctx.output).not.toHaveBeenCalledWith('entityRef', expect.anything());
  });

  it('fails in plain words when the catalog never ingests the entity', async () => {
    const { action } = await setup({ held: 'none' });
    await expect(
      action.handler(
        createMockActionContext({
          input: { localPath: path.join(repos, 'homelab-dns-dev') },
        }),
      ),
    ).rejects.toThrow(
      /did not ingest resource:default\/homelab-dns-dev from .* within 2 s/,
    );
  });

  it('refuses a repository whose catalog file is not one environment Resource', async () => {
    const { action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: { localPath: path.join(repos, 'evil') },
        }),
      ),
    ).rejects.toThrow(/does not describe a Resource of type environment/);
  });

  it('says which module is missing when no provider runs', async () => {
    const { action } = await setup({ provider: false });
    await expect(
      action.handler(
        createMockActionContext({
          input: { localPath: path.join(repos, 'homelab-dns-dev') },
        }),
      ),
    ).rejects.toThrow(
      /needs the catalog module of this package: add catalogModuleLocalRepositories/,
    );
  });

  it('refuses when the local publisher is not enabled', async () => {
    const { action } = await setup({ localPublisher: null });
    await expect(
      action.handler(
        createMockActionContext({
          input: { localPath: path.join(repos, 'homelab-dns-dev') },
        }),
      ),
    ).rejects.toThrow(/is disabled/);
  });

  it.each([
    ['outside the directory', () => root.resolve('outside')],
    ['the directory itself', () => repos],
    ['a traversal', () => `${repos}/../outside`],
    ['a nested path', () => path.join(repos, 'homelab-dns-dev', 'sub')],
  ])('refuses a localPath %s', async (_, localPath) => {
    const { action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({ input: { localPath: localPath() } }),
      ),
    ).rejects.toThrow(/registers only repositories directly inside/);
  });

  it('refuses a catalogInfoPath that leaves the repository or names another file', async () => {
    const { action } = await setup();
    const localPath = path.join(repos, 'homelab-dns-dev');
    await expect(
      action.handler(
        createMockActionContext({
          input: {
            localPath,
            catalogInfoPath: '../../outside/catalog-info.yaml',
          },
        }),
      ),
    ).rejects.toThrow(/catalogInfoPath must stay inside the repository/);
    await expect(
      action.handler(
        createMockActionContext({
          input: { localPath, catalogInfoPath: '/other.yaml' },
        }),
      ),
    ).rejects.toThrow(/registers the repository's \/catalog-info.yaml only/);
  });

  it('fails plainly when the repository has no catalog file', async () => {
    const { action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: { localPath: path.join(repos, 'missing') },
        }),
      ),
    ).rejects.toThrow(
      /Cannot register the local repository missing: .* is not a directory .*Publish it with unifiCloudflare:repository:publishLocal first/,
    );
  });

  it('registers nothing in dry-run', async () => {
    const { action } = await setup();
    const ctx = {
      ...createMockActionContext({
        input: { localPath: path.join(repos, 'not-yet') },
      }),
      isDryRun: true,
    };
    const before = connection.applyMutation.mock.calls.length;
    await action.handler(ctx);
    expect(connection.applyMutation.mock.calls.length).toBe(before);
    expect(ctx.output).toHaveBeenCalledWith(
      'catalogInfoUrl',
      path.join(repos, 'not-yet', 'catalog-info.yaml'),
    );
  });
});
