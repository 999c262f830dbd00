import { startTestBackend } from '@backstage/backend-test-utils';
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleEnvironments } from '../../src/module';

describe('scaffolderModuleEnvironments', () => {
  it('registers the render action, with examples, on the scaffolder extension point', async () => {
    const actions: TemplateAction<any, any, any>[] = [];
    // A stand-in scaffolder plugin that only collects what modules register.
    const scaffolder = createBackendPlugin({
      pluginId: 'scaffolder',
      register(env) {
        env.registerExtensionPoint(scaffolderActionsExtensionPoint, {
          addActions: (...added: TemplateAction<any, any, any>[]) =>
            void actions.push(...added),
        });
        env.registerInit({ deps: {}, async init() {} });
      },
    });
    const backend = await startTestBackend({
      features: [scaffolder, scaffolderModuleEnvironments],
    });
    try {
      const render = actions.find(
        a => a.id === 'unifiCloudflare:environment:render',
      );
      expect(render?.supportsDryRun).toBe(true);
      expect(render?.examples?.length).toBeGreaterThanOrEqual(3);
      const input = render?.schema?.input as any;
      expect(Object.keys(input.properties)).toEqual(
        expect.arrayContaining([
          'environment',
          'name',
          'zoneName',
          'devices',
          'vault',
        ]),
      );
      // The parameter shape of kit 0.3.0: the device fields are gone from the top level and
      // live in each device, with its services.
      expect(
        ['deviceHostname', 'deviceMac', 'services'].filter(
          field => field in input.properties,
        ),
      ).toEqual([]);
      expect(Object.keys(input.properties.devices.items.properties)).toEqual(
        expect.arrayContaining([
          'hostname',
          'macAddresses',
          'aliases',
          'services',
        ]),
      );
    } finally {
      await backend.stop();
    }
  });
});
