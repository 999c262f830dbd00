import { createBackend } from '@backstage/backend-defaults';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogModuleLocalRepositories } from '../src';

/**
 * A standalone backend for `npm start`: scaffolder, catalog with the scaffolder entity model,
 * GitHub publishing, this module, and the auth backend with the guest provider that the
 * development frontend (dev/app) signs in with, on embedded SQLite.
 */
const backend = createBackend();

// Guest sign-in for the development frontend. The guest provider issues tokens only when
// NODE_ENV=development, which `backstage-cli package start` sets.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('../src'));

// Local publishing: the catalog reads the repositories that unifiCloudflare:repository:publishLocal
// creates through this package's entity provider (it does nothing unless
// unifiCloudflare.localPublisher.enabled is true). The catalog's locations API keeps accepting
// `url` locations only, so no caller can register a file of this host through it.
backend.add(catalogModuleLocalRepositories);

// Says where the backend listens and which templates the catalog registered.
backend.add(
  createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'startup-report',
    register(env) {
      env.registerInit({
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.logger,
          lifecycle: coreServices.rootLifecycle,
          catalog: catalogServiceRef,
          auth: coreServices.auth,
        },
        async init({ config, logger, lifecycle, catalog, auth }) {
          const report = async () => {
            const credentials = await auth.getOwnServiceCredentials();
            for (let attempt = 0; attempt < 60; attempt++) {
              const { items } = await catalog.getEntities(
                { filter: { kind: 'Template' } },
                { credentials },
              );
              if (items.length >= 3 || attempt === 59) {
                const names = items.map(
                  e =>
                    `template:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`,
                );
                logger.info(
                  `Templates registered: ${names.sort().join(', ') || 'none yet'}`,
                );
                return;
              }
              await new Promise(resolve => setTimeout(resolve, 1000));
            }
          };
          lifecycle.addStartupHook(() => {
            const baseUrl = config.getString('backend.baseUrl');
            logger.info(
              `Backend listening on ${baseUrl} (scaffolder API ${baseUrl}/api/scaffolder/v2)`,
            );
            // The catalog ingests locations in the background; report without holding start-up.
            report().catch(error =>
              logger.warn(`Could not list templates: ${error}`),
            );
          });
        },
      });
    },
  }),
);

backend.start();
