import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { parse } from 'yaml';
import { createCheckNameAction } from './checkName';
import { examples } from './checkName.examples';

const ours = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'homelab-dns',
    namespace: 'default',
    annotations: {
      'backstage.io/managed-by-origin-location':
        'url:https://github.com/acme/homelab-dns/blob/main/catalog-info.yaml',
    },
  },
  spec: { type: 'environment', owner: 'group:default/platform-team' },
};

function action(entities: object[] = []) {
  return createCheckNameAction({
    catalog: catalogServiceMock({ entities: entities as any }),
    auth: mockServices.auth(),
  });
}

describe('unifiCloudflare:catalog:checkName', () => {
  it('passes a free name and refuses a taken one, in dry-run too', async () => {
    await action().handler(
      createMockActionContext({
        input: { entityRef: 'resource:default/homelab-dns' },
      }),
    );
    for (const isDryRun of [false, true]) {
      const ctx = {
        ...createMockActionContext({
          input: { entityRef: 'resource:default/homelab-dns' },
        }),
        isDryRun,
      };
      await expect(action([ours]).handler(ctx)).rejects.toThrow(
        /already holds resource:default\/homelab-dns.*Choose another name/,
      );
    }
  });

  it('after registration, passes our entity (or none yet) and refuses one from another location', async () => {
    const input = {
      entityRef: 'resource:default/homelab-dns',
      origin:
        'url:https://github.com/acme/homelab-dns/blob/main/catalog-info.yaml',
    };
    await action([ours]).handler(createMockActionContext({ input }));
    await action([]).handler(createMockActionContext({ input }));
    await expect(
      action([ours]).handler(
        createMockActionContext({
          input: {
            ...input,
            origin:
              'url:https://github.com/other/x/blob/main/catalog-info.yaml',
          },
        }),
      ),
    ).rejects.toThrow(
      /holds resource:default\/homelab-dns from another location/,
    );
  });

  it('in a dry run after registration, does not ask the catalog: the dry run registered nothing', async () => {
    const catalog = catalogServiceMock({ entities: [] });
    const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
    const ctx = {
      ...createMockActionContext({
        input: {
          entityRef: 'resource:default/homelab-dns',
          origin:
            'url:https://github.com/acme/homelab-dns/blob/main/catalog-info.yaml',
        },
      }),
      isDryRun: true,
    };
    await createCheckNameAction({
      catalog,
      auth: mockServices.auth(),
    }).handler(ctx);
    expect(getEntityByRef).not.toHaveBeenCalled();
    await expect(
      createCheckNameAction({ catalog, auth: mockServices.auth() }).handler({
        ...ctx,
        input: { entityRef: 'homelab dns', origin: ctx.input.origin },
      }),
    ).rejects.toThrow(/kind:namespace\/name/);
  });

  it('refuses an entity reference that is not kind:namespace/name', async () => {
    await expect(
      action().handler(
        createMockActionContext({ input: { entityRef: 'homelab dns' } }),
      ),
    ).rejects.toThrow(/kind:namespace\/name/);
  });

  it.each(examples.map(e => [e.description, e] as const))(
    'runs the example: %s',
    async (_, example) => {
      const step = parse(example.example).steps[0];
      const input = {
        entityRef: 'resource:default/homelab-dns',
        ...(step.input.origin
          ? {
              origin:
                ours.metadata.annotations[
                  'backstage.io/managed-by-origin-location'
                ],
            }
          : {}),
      };
      const ctx = createMockActionContext({ input });
      await action(step.input.origin ? [ours] : []).handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith(
        'exists',
        Boolean(step.input.origin),
      );
    },
  );
});
