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
import { waitUntil } from './waitUntil';
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
 * The scaffolder's task event poll (StorageTaskBroker.event$, behind /v2/tasks/:id/events and
 * each claimed task's cancel watch) queries its database once a second until it notices that its
 * subscriber left; backend.stop() does not wait for it. A database with no query started for
 * longer than that period has no such loop left.
 */
const DATABASE_QUIET_MS = 2_000;

/** Records when a query last started on a plugin's database client. */
function watchQueries(db: DatabaseClient) {
  let lastQuery = Date.now();
  db.on('query', () => {
    lastQuery = Date.now();
  });
  return { quietFor: () => Date.now() - lastQuery };
}

/**
 * The databases of a test backend, one per plugin: `factory` is the database service to add to
 * its features, `close` is for after backend.stop(). By default each plugin gets an in-memory
 * SQLite database owned here (backend-defaults' own database service never destroys SQLite
 * connections on shutdown, and their pools' reaping timers would keep the jest worker alive);
 * `database` supplies them instead (their owner closes them, e.g. TestDatabases).
 *
 * `close` handles an upstream teardown race: after stop, the scaffolder's task event polls (see
 * DATABASE_QUIET_MS) can still be running, each with a timer pending and one more query to
 * make. It waits until every plugin database has gone quiet (a query reaching a destroyed knex
 * would reject unhandled in whichever test file runs next, and a poll still pending when the
 * file ends keeps the jest worker alive), then destroys the databases owned here.
 */
export function pluginDatabases(
  database?: (pluginId: string) => Promise<DatabaseClient>,
) {
  const owned: DatabaseClient[] = [];
  const watched: ReturnType<typeof watchQueries>[] = [];
  const open =
    database ??
    (async () => {
      // One connection: every connection to ':memory:' would be a database of its own.
      const db = knex({
        client: 'better-sqlite3',
        connection: { filename: ':memory:' },
        useNullAsDefault: true,
        pool: { min: 1, max: 1 },
      });
      owned.push(db);
      return db;
    });
  return {
    factory: perPluginDatabase(async pluginId => {
      const db = await open(pluginId);
      watched.push(watchQueries(db));
      return db;
    }),
    async close() {
      await waitUntil(
        "the backend's databases going quiet after stop",
        () => watched.every(w => w.quietFor() >= DATABASE_QUIET_MS),
        {
          timeoutMs: 30_000,
          intervalMs: 200,
          describeLast: () =>
            `quiet for ${watched.map(w => w.quietFor()).join(', ')} ms`,
        },
      );
      await Promise.all(owned.map(db => db.destroy()));
    },
  };
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
  const databases = pluginDatabases(options.database);
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
      databases.factory,
      ...(options.features ?? []),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;

  const api = apiClient(`http://127.0.0.1:${port}`);

  return {
    ...api,
    stop: async () => {
      await backend.stop();
      await databases.close();
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
