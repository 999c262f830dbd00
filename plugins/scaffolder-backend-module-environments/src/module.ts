import {
  coreServices,
  createBackendModule,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createRenderEnvironmentAction } from './actions/renderEnvironment/renderEnvironment';
import { createPublishLocalAction } from './actions/publishLocal/publishLocal';
import { createRegisterLocalAction } from './actions/registerLocal/registerLocal';
import {
  LocalRepositoriesProvider,
  registerLocalRepositoriesProvider,
} from './catalog/localRepositories';
import { createCheckNameAction } from './actions/checkName/checkName';
import { withPlainUserErrors } from './actions/userErrors/userErrors';
import { readLocalPublisherSettings } from './actions/publishLocal/localPublisher';
import { createValidateSecretsLayoutAction } from './actions/validateSecretsLayout/validateSecretsLayout';
import { KitRenderer } from './kits/engine';
import { loadKitsOnce, PACKAGE_NAME } from './kits/render';
import { createUpgradeEnvironmentAction } from './actions/upgradeEnvironment/upgradeEnvironment';
import { createKitReleases } from './upgrade';

/**
 * Loads and compiles the kits shipped in this package (once per process), with the package
 * version they write into every repository; fails start-up if any kit is unsafe.
 * @public
 */
export async function loadPackagedKits(): Promise<{
  kits: KitRenderer;
  kitVersion: string;
}> {
  const { kits, kitVersion } = await loadKitsOnce();
  return { kits, kitVersion };
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
        auth: coreServices.auth,
      },
      async init({ scaffolder, logger, config, catalog, auth }) {
        const { kits, kitVersion } = await loadPackagedKits();
        const actions = [
          createRenderEnvironmentAction({ kits, kitVersion }),
          createValidateSecretsLayoutAction(),
          createCheckNameAction({ catalog, auth }),
          // Local publishing for development; both actions refuse to run unless config enables it.
          createPublishLocalAction({ config }),
          createRegisterLocalAction({ config, catalog, auth }),
          createUpgradeEnvironmentAction({
            releases: createKitReleases({
              kits,
              kitVersion,
              releasesRoot: resolvePackagePath(PACKAGE_NAME, 'kits-releases'),
            }),
            config,
          }),
        ];
        scaffolder.addActions(
          ...actions.map(action => withPlainUserErrors(action)),
        );
        logger.info(
          `Compiled ${kits.templates.length} kit templates (kit version ${kitVersion})`,
        );
      },
    });
  },
});

/**
 * The catalog module for local publishing: while `unifiCloudflare.localPublisher.enabled` is
 * true, it provides the catalog with one `file` location per repository directly inside
 * `unifiCloudflare.localPublisher.directory` (see `LocalRepositoriesProvider`), which
 * `unifiCloudflare:catalog:registerLocal` has it scan. The catalog's locations API stays
 * `url`-only: no caller can register a `file` location through it. Does nothing when disabled.
 * @public
 */
export const catalogModuleLocalRepositories = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'unifi-cloudflare-local-repositories',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
      },
      async init({ catalog, config, logger, scheduler, lifecycle }) {
        const settings = readLocalPublisherSettings(config);
        if (!settings.enabled || !settings.directory) return;
        const provider = new LocalRepositoriesProvider(
          settings.directory,
          logger,
        );
        catalog.addEntityProvider(provider);
        lifecycle.addShutdownHook(registerLocalRepositoriesProvider(provider));
        // Repositories made by another replica (or by hand) show up within a minute.
        await scheduler.scheduleTask({
          id: 'unifi-cloudflare-local-repositories',
          frequency: { seconds: 60 },
          timeout: { seconds: 30 },
          initialDelay: { seconds: 60 },
          scope: 'local',
          fn: async () => void (await provider.refresh()),
        });
        logger.warn(
          `Local publishing is enabled: templates may create git repositories in ${settings.directory} on this host, and the catalog reads their catalog-info.yaml (the catalog API still accepts url locations only)`,
        );
      },
    });
  },
});
