import { resolveSafeChildPath, RootConfigService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { readLocalPublisherSettings, requireLocalDirectory } from '../publishLocal/localPublisher';
import { examples } from './registerLocal.examples';

export const REGISTER_LOCAL_ACTION_ID = 'unifiCloudflare:catalog:registerLocal';

/** Dependencies of the local registration action. */
export interface RegisterLocalActionOptions {
  config: RootConfigService;
  catalog: CatalogService;
}

/**
 * Creates the action that registers a repository made by `unifiCloudflare:repository:publishLocal`
 * in the catalog as a `file` location. The builtin `catalog:register` cannot: it always registers
 * a `url` location, and no URL reader reads `file://` URLs. The catalog must also allow the `file`
 * location type (it allows only `url` by default; see dev/index.ts). Like the publisher, it is
 * off unless `unifiCloudflare.localPublisher.enabled` is true, and it registers only files inside
 * the configured directory.
 * @public
 */
export function createRegisterLocalAction(options: RegisterLocalActionOptions) {
  const { config, catalog } = options;
  return createTemplateAction({
    id: REGISTER_LOCAL_ACTION_ID,
    description:
      'Registers the catalog-info.yaml of a local repository (made by unifiCloudflare:repository:publishLocal) in the catalog as a file location. For local development only: refuses to run unless unifiCloudflare.localPublisher.enabled is true, and registers only files inside unifiCloudflare.localPublisher.directory.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        localPath: z => z.string().max(4096).describe('The localPath output of unifiCloudflare:repository:publishLocal.'),
        catalogInfoPath: z =>
          z.string().max(1024).optional().describe('Path of the catalog file inside the repository; defaults to /catalog-info.yaml.'),
      },
      output: {
        entityRef: z => z.string().optional().describe('The registered entity; absent in dry-run.'),
        catalogInfoUrl: z => z.string().describe('The registered location target: the catalog file on the backend host.'),
      },
    },
    async handler(ctx) {
      const directory = requireLocalDirectory(readLocalPublisherSettings(config), REGISTER_LOCAL_ACTION_ID);
      const repository = path.resolve(ctx.input.localPath);
      const relative = path.relative(directory, repository);
      if (!relative || relative.startsWith('..') || path.isAbsolute(relative) || relative.includes(path.sep)) {
        throw new NotAllowedError(
          `${REGISTER_LOCAL_ACTION_ID} registers only repositories directly inside ${directory}; got ${JSON.stringify(ctx.input.localPath)}`,
        );
      }
      const catalogFile = resolveSafeChildPath(
        resolveSafeChildPath(directory, relative),
        (ctx.input.catalogInfoPath ?? '/catalog-info.yaml').replace(/^\/+/, ''),
      );
      ctx.output('catalogInfoUrl', catalogFile);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would register ${catalogFile} in the catalog as a file location`);
        return;
      }
      const stat = await lstat(catalogFile).catch(() => undefined);
      if (!stat?.isFile()) {
        throw new InputError(`There is no catalog file at ${catalogFile}; publish the repository first`);
      }

      const credentials = await ctx.getInitiatorCredentials();
      ctx.logger.info(`Registering ${catalogFile} in the catalog as a file location`);
      await catalog.addLocation({ type: 'file', target: catalogFile }, { credentials });
      const { entities } = await catalog.addLocation({ type: 'file', target: catalogFile, dryRun: true }, { credentials });
      const entity = entities.find(e => !e.metadata.name.startsWith('generated-')) ?? entities[0];
      if (entity) {
        const ref = `${entity.kind.toLocaleLowerCase('en-US')}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`;
        ctx.output('entityRef', ref);
      }
    },
  });
}
