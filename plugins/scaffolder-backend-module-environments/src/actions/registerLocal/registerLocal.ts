import { AuthService, RootConfigService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import path from 'node:path';
import {
  readLocalPublisherSettings,
  requireLocalDirectory,
} from '../publishLocal/localPublisher';
import {
  entityRef,
  LOCAL_CATALOG_FILE,
  readLocalRepository,
  refreshLocalRepositories,
} from '../../catalog/localRepositories';
import { examples } from './registerLocal.examples';
import { isInside, resolveInsideWithoutLinks } from '../../workspace/pathGuard';

export const REGISTER_LOCAL_ACTION_ID = 'unifiCloudflare:catalog:registerLocal';

/** The annotation holding where the catalog first read an entity. */
const ORIGIN_LOCATION = 'backstage.io/managed-by-origin-location';

/** Dependencies of the local registration action. */
export interface RegisterLocalActionOptions {
  config: RootConfigService;
  catalog: CatalogService;
  /** The plugin's auth service: the catalog is asked with the plugin's own credentials. */
  auth: AuthService;
  /** How long to wait for the catalog to ingest the repository (default 60 s). */
  timeoutMs?: number;
}

/**
 * Creates the action that has a repository made by `unifiCloudflare:repository:publishLocal`
 * registered in the catalog and waits until the catalog holds its entity, read from that very
 * file. It does not call the catalog's locations API (which accepts `url` locations only): the
 * catalog module of this package (`catalogModuleLocalRepositories`) emits a `file` location for
 * each repository inside the configured directory, and this action asks it to scan now. Off
 * unless `unifiCloudflare.localPublisher.enabled` is true.
 * @public
 */
export function createRegisterLocalAction(options: RegisterLocalActionOptions) {
  const { config, catalog, auth, timeoutMs = 60_000 } = options;
  return createTemplateAction({
    id: REGISTER_LOCAL_ACTION_ID,
    description:
      'Has the catalog register the catalog-info.yaml of a local repository (made by unifiCloudflare:repository:publishLocal) and waits until the catalog holds its entity, read from that file. For local development only: refuses to run unless unifiCloudflare.localPublisher.enabled is true; registers only repositories directly inside unifiCloudflare.localPublisher.directory; needs the catalog module of this package.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        localPath: z =>
          z
            .string()
            .max(4096)
            .describe(
              'The localPath output of unifiCloudflare:repository:publishLocal.',
            ),
        catalogInfoPath: z =>
          z
            .string()
            .max(1024)
            .optional()
            .describe(
              'Path of the catalog file inside the repository; only /catalog-info.yaml (the default) is registered.',
            ),
      },
      output: {
        entityRef: z =>
          z
            .string()
            .optional()
            .describe(
              'The registered entity, once the catalog holds it from this repository; absent in dry-run.',
            ),
        catalogInfoUrl: z =>
          z
            .string()
            .describe(
              'The registered location target: the catalog file on the backend host.',
            ),
      },
    },
    async handler(ctx) {
      const directory = requireLocalDirectory(
        readLocalPublisherSettings(config),
        REGISTER_LOCAL_ACTION_ID,
      );
      const repository = path.resolve(ctx.input.localPath);
      const relative = path.relative(directory, repository);
      if (
        !relative ||
        !isInside(directory, repository) ||
        relative.includes(path.sep)
      ) {
        throw new NotAllowedError(
          `${REGISTER_LOCAL_ACTION_ID} registers only repositories directly inside ${directory}; got ${JSON.stringify(ctx.input.localPath)}`,
        );
      }
      const catalogFile = await resolveInsideWithoutLinks(
        repository,
        (ctx.input.catalogInfoPath ?? `/${LOCAL_CATALOG_FILE}`).replace(
          /^\/+/,
          '',
        ),
        {
          name: 'catalogInfoPath',
          example: `/${LOCAL_CATALOG_FILE}`,
          root: 'repository',
        },
        'file',
        'read',
      );
      if (path.relative(repository, catalogFile) !== LOCAL_CATALOG_FILE) {
        throw new InputError(
          `${REGISTER_LOCAL_ACTION_ID} registers the repository's /${LOCAL_CATALOG_FILE} only; got catalogInfoPath ${JSON.stringify(ctx.input.catalogInfoPath)}`,
        );
      }
      ctx.output('catalogInfoUrl', catalogFile);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would register ${catalogFile} in the catalog as a file location`,
        );
        return;
      }
      const found = await readLocalRepository(directory, relative);
      if ('problem' in found) {
        throw new InputError(
          `Cannot register the local repository ${relative}: ${found.problem}. Publish it with unifiCloudflare:repository:publishLocal first`,
        );
      }
      const ref = entityRef(found.entity);
      const origin = `file:${catalogFile}`;

      const emitted = await refreshLocalRepositories();
      if (emitted === undefined) {
        throw new InputError(
          `${REGISTER_LOCAL_ACTION_ID} needs the catalog module of this package: add catalogModuleLocalRepositories (import { catalogModuleLocalRepositories } from '@unifi-cloudflare-glue/plugin-scaffolder-backend-module-environments') to the backend`,
        );
      }
      if (!emitted.includes(catalogFile)) {
        throw new InputError(
          `The catalog module did not pick up ${catalogFile}; see the backend log for why`,
        );
      }
      ctx.logger.info(
        `Registered ${catalogFile} in the catalog as a file location; waiting for ${ref}`,
      );

      // The plugin's own credentials: whether the user may see the entity does not matter here.
      const credentials = await auth.getOwnServiceCredentials();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const entity = await catalog.getEntityByRef(ref, { credentials });
        const from = entity?.metadata.annotations?.[ORIGIN_LOCATION];
        if (entity && from === origin) break;
        if (entity) {
          // Someone else's entity holds the name: the catalog never ingests ours beside it.
          throw new ConflictError(
            `The catalog already holds ${ref}, registered from another location, so it will not take the one in ${catalogFile}. Choose another name, or ask a catalog administrator about the existing ${ref}`,
          );
        }
        if (Date.now() > deadline) {
          throw new InputError(
            `The catalog did not ingest ${ref} from ${catalogFile} within ${Math.round(timeoutMs / 1000)} s; see the catalog's processing errors for that location`,
          );
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      ctx.output('entityRef', ref);
      ctx.logger.info(`The catalog holds ${ref}, read from ${catalogFile}`);
    },
  });
}
