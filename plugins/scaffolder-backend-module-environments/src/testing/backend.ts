import { coreServices, createServiceFactory, DatabaseService } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { readFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleGithub from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderModuleEnvironments } from '../module';

/**
 * Upstream teardown race: when a test backend stops, the catalog's processing loop or the
 * scaffolder's task polling can still have a query in flight against the in-memory database the
 * backend has just closed. knex then rejects with "Unable to acquire a connection", unhandled,
 * and jest blames whichever test file runs at that moment. Once a backend of this harness has
 * stopped, that one rejection is ignored; any other unhandled rejection still fails the run.
 */
const stoppedBackends = ((globalThis as any).__unifiCloudflareStoppedBackends ??= { count: 0, installed: false }) as {
  count: number;
  installed: boolean;
};
if (!stoppedBackends.installed) {
  stoppedBackends.installed = true;
  process.on('unhandledRejection', reason => {
    if (stoppedBackends.count > 0 && /^Unable to acquire a connection/.test(String((reason as Error)?.message))) return;
    throw reason;
  });
}

/** The repository root, where templates/ and catalog-info.yaml live. */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export type EnvironmentName = 'development' | 'staging' | 'production';

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
   * Default: an in-memory SQLite database per plugin.
   */
  database?: (pluginId: string) => Promise<DatabaseClient>;
  /** Config merged over the default; each top-level key replaces the default's (e.g. `catalog`). */
  config?: JsonObject;
  /** More backend features, for example a test-only module with extra actions. */
  features?: Parameters<typeof startTestBackend>[0]['features'];
}

/** A database service factory that asks `database` for one client per plugin. */
function perPluginDatabase(database: (pluginId: string) => Promise<DatabaseClient>) {
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
export async function startScaffolderBackend(options: ScaffolderBackendOptions = {}) {
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
            rules: [{ allow: ['Component', 'Location', 'Template', 'Resource', 'System', 'Group', 'User'] }],
            locations: [{ type: 'file', target: path.join(REPO_ROOT, 'catalog-info.yaml') }],
          },
          ...options.config,
        },
      }),
      ...(options.database ? [perPluginDatabase(options.database)] : []),
      ...(options.features ?? []),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  async function request(method: string, route: string, body?: unknown) {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  return {
    baseUrl,
    request,
    stop: async () => {
      stoppedBackends.count++;
      await backend.stop();
    },
    /** Posts a template definition, values and optional starting files to /api/scaffolder/v2/dry-run. */
    async dryRun(template: object, values: Record<string, unknown>, directoryContents: { path: string; base64Content: string }[] = []) {
      return request('POST', '/api/scaffolder/v2/dry-run', { template, values, secrets: {}, directoryContents });
    },
    /** Waits until the catalog has read the three templates from catalog-info.yaml. */
    async templatesReady(): Promise<void> {
      for (let attempt = 0; attempt < 240; attempt++) {
        const { body } = await request('GET', '/api/catalog/entities/by-query?filter=kind=template');
        if ((body?.items ?? []).length >= 3) return;
        await new Promise(r => setTimeout(r, 250));
      }
      throw new Error('The catalog did not register the three templates');
    },
  };
}

/** The parsed template.yaml of an environment. */
export async function loadTemplate(environment: EnvironmentName): Promise<any> {
  return parse(await readFile(path.join(REPO_ROOT, 'templates', `${environment}-environment`, 'template.yaml'), 'utf8'));
}

/** Form values for a template: the render input without the fields the template fixes. */
export function formValues(input: Record<string, unknown>): Record<string, unknown> {
  const { environment: _environment, targetPath: _targetPath, ...values } = input;
  return values;
}

/** Decodes dry-run files into a map of path to text. */
export function decodeFiles(files: DryRunFile[]): Map<string, string> {
  return new Map(files.map(f => [f.path, Buffer.from(f.base64Content, 'base64').toString('utf8')]));
}
