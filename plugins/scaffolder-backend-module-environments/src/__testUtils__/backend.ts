import {
  coreServices,
  createServiceFactory,
  DatabaseService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { readFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import knex from 'knex';
import { parse } from 'yaml';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleGithub from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderModuleEnvironments } from '../module';
import { apiClient } from './http';
import { REPO_ROOT } from './paths';
import { LOCAL_CATALOG_RULES } from '../../dev/localBackend';

/** The repository root, where templates/ and catalog-info.yaml live. */
export { REPO_ROOT };

export type EnvironmentName = 'development' | 'staging' | 'production';

/** The templates catalog-info.yaml registers. */
export const TEMPLATE_NAMES = [
  'development-environment',
  'production-environment',
  'staging-environment',
  'upgrade-environment',
];

/** A file as the scaffolder's dry-run API returns it. */
export interface DryRunFile {
  path: string;
  base64Content: string;
  executable?: boolean;
}

export interface DryRunResponse {
  log: { body: { message: string; stepId?: string; status?: string } }[];
  directoryContents: DryRunFile[];
  output: Record<string, unknown>;
  steps: { id: string; name: string; action: string }[];
}

/** A Knex client as the database service hands it out. */
export type DatabaseClient = Awaited<ReturnType<DatabaseService['getClient']>>;

/** Optional changes to the test backend; without them it runs as described on startScaffolderBackend. */
export interface ScaffolderBackendOptions {
  /**
   * Gives each plugin its own database, for example from backend-test-utils' TestDatabases:
   * `pluginId => databases.init('POSTGRES_15')`. Called once per plugin (catalog, scaffolder).
   * Default: an in-memory SQLite database per plugin, owned by the harness.
   */
  database?: (pluginId: string) => Promise<DatabaseClient>;
  /** Catalog files (absolute paths) read besides the repository's catalog-info.yaml. */
  catalogFiles?: string[];
  /** Config merged over the default; each top-level key replaces the default's (e.g. `catalog`). */
  config?: JsonObject;
  /** More backend features, for example a test-only module with extra actions. */
  features?: Parameters<typeof startTestBackend>[0]['features'];
}

/** A database service factory that asks `database` for one client per plugin. */
function perPluginDatabase(
  database: (pluginId: string) => Promise<DatabaseClient>,
) {
  const clients = new Map<string, Promise<DatabaseClient>>();
  return createServiceFactory({
    service: coreServices.database,
    deps: { pluginMetadata: coreServices.pluginMetadata },
    factory({ pluginMetadata }) {
      const pluginId = pluginMetadata.getId();
      return {
        getClient() {
          if (!clients.has(pluginId)) clients.set(pluginId, database(pluginId));
          return clients.get(pluginId)!;
        },
      };
    },
  });
}

/**
 * A real scaffolder backend (scaffolder with GitHub publishing, catalog with the scaffolder entity model, this module)
 * on an in-memory SQLite database, serving HTTP on a free port, with the catalog reading the
 * repository's catalog-info.yaml. `options` can put it on another database, change its config
 * and add features.
 */
export async function startScaffolderBackend(
  options: ScaffolderBackendOptions = {},
) {
  const ownDatabases: DatabaseClient[] = [];
  const database =
    options.database ??
    (async () => {
      // One connection: every connection to ':memory:' would be a database of its own.
      const db = knex({
        client: 'better-sqlite3',
        connection: { filename: ':memory:' },
        useNullAsDefault: true,
        pool: { min: 1, max: 1 },
      });
      ownDatabases.push(db);
      return db;
    });
  const backend = await startTestBackend({
    features: [
      // Static imports: jest cannot run dynamic import() without experimental VM modules.
      scaffolderPlugin,
      scaffolderModuleGithub,
      catalogPlugin,
      catalogModuleScaffolderEntityModel,
      scaffolderModuleEnvironments,
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            rules: LOCAL_CATALOG_RULES,
            locations: [
              path.join(REPO_ROOT, 'catalog-info.yaml'),
              ...(options.catalogFiles ?? []),
            ].map(target => ({ type: 'file', target })),
          },
          ...options.config,
        },
      }),
      perPluginDatabase(database),
      ...(options.features ?? []),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;

  const api = apiClient(`http://127.0.0.1:${port}`);

  return {
    ...api,
    stop: async () => {
      await backend.stop();
      // Upstream teardown race: after stop, a catalog or scaffolder loop can still have a query
      // in flight; against a destroyed knex it rejects unhandled ("Unable to acquire a
      // connection") and jest blames whichever test file runs then. The harness's own SQLite
      // databases therefore close a little later, once those loops have ended.
      if (ownDatabases.length > 0) {
        setTimeout(
          () => ownDatabases.forEach(db => void db.destroy()),
          10_000,
        ).unref();
      }
    },
    /** Waits until the catalog has read every template catalog-info.yaml registers. */
    templatesReady(): Promise<void> {
      return api.waitForTemplates(TEMPLATE_NAMES);
    },
  };
}

/** A file of an environment's template folder (templates/<environment>-environment/), parsed. */
async function templateFile(
  environment: EnvironmentName,
  file: 'template.yaml' | 'example-values.yaml',
): Promise<any> {
  return parse(
    await readFile(
      path.join(REPO_ROOT, 'templates', `${environment}-environment`, file),
      'utf8',
    ),
  );
}

/** The parsed template.yaml of an environment. */
export function loadTemplate(environment: EnvironmentName): Promise<any> {
  return templateFile(environment, 'template.yaml');
}

/** The parsed example-values.yaml beside an environment's template. */
export function loadExampleValues(
  environment: EnvironmentName,
): Promise<Record<string, any>> {
  return templateFile(environment, 'example-values.yaml');
}

/** Form values for a template: the render input without the fields the template fixes. */
export function formValues(
  input: Record<string, unknown>,
): Record<string, unknown> {
  const {
    environment: _environment,
    targetPath: _targetPath,
    ...values
  } = input;
  return values;
}

/** Decodes dry-run files into a map of path to text. */
export function decodeFiles(files: DryRunFile[]): Map<string, string> {
  return new Map(
    files.map(f => [
      f.path,
      Buffer.from(f.base64Content, 'base64').toString('utf8'),
    ]),
  );
}
