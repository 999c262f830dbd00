import { coreServices, createBackendModule, resolvePackagePath } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { readFile } from 'node:fs/promises';
import { createRenderEnvironmentAction } from './actions/renderEnvironment/renderEnvironment';
import { createPublishLocalAction } from './actions/publishLocal/publishLocal';
import { createRegisterLocalAction } from './actions/registerLocal/registerLocal';
import { createValidateSecretsLayoutAction } from './actions/validateSecretsLayout/validateSecretsLayout';
import { KitRenderer } from './kits/engine';

export const PACKAGE_NAME = '@unifi-cloudflare-glue/plugin-scaffolder-backend-module-environments';

/** Loads and compiles the kits shipped in this package; fails start-up if any kit is unsafe. */
export async function loadPackagedKits(): Promise<{ kits: KitRenderer; kitVersion: string }> {
  const kits = await KitRenderer.load(resolvePackagePath(PACKAGE_NAME, 'kits'));
  const pkg = JSON.parse(await readFile(resolvePackagePath(PACKAGE_NAME, 'package.json'), 'utf8'));
  return { kits, kitVersion: pkg.version };
}

/**
 * The scaffolder module that adds the environment actions.
 * @public
 */
export const scaffolderModuleEnvironments = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'unifi-cloudflare-environments',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
      },
      async init({ scaffolder, logger, config, catalog }) {
        const { kits, kitVersion } = await loadPackagedKits();
        scaffolder.addActions(
          createRenderEnvironmentAction({ kits, kitVersion }),
          createValidateSecretsLayoutAction(),
          // Local publishing for development; both actions refuse to run unless config enables it.
          createPublishLocalAction({ config }),
          createRegisterLocalAction({ config, catalog }),
        );
        logger.info(`Compiled ${kits.templates.length} kit templates (kit version ${kitVersion})`);
      },
    });
  },
});
