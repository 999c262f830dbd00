import { startTestBackend } from '@backstage/backend-test-utils';
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleEnvironments } from '../../module';

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
      expect(Object.keys((render?.schema?.input as any).properties)).toEqual(
        expect.arrayContaining([
          'environment',
          'name',
          'zoneName',
          'services',
          'vault',
        ]),
      );
    } finally {
      await backend.stop();
    }
  });
});
