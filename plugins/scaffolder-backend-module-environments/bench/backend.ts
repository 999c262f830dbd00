/**
 * The backend the bench measures: the same plugins as `npm start`'s dev/index.ts (scaffolder,
 * catalog with the scaffolder entity model, GitHub publishing, this module) built with
 * `createBackend` from @backstage/backend-defaults, on in-memory SQLite, on a free port. It is
 * not the test harness (src/__testUtils__), and needs no token: the bench's config switches the
 * default auth policy off, as the cold-start probe does. It also has the bench's bare steps
 * (bareSteps.ts), which the product never has.
 */
import { createBackend } from '@backstage/backend-defaults';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import path from 'node:path';
import { freePort, LOCAL_CATALOG_RULES } from '../dev/localBackend';
import { bareStepsModule } from './bareSteps';

/** Where templates/ and catalog-info.yaml live. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A started backend: its base URL, a JSON request helper and stop. */
export interface BenchBackend {
  baseUrl: string;
  request(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Starts the backend; `config` is merged over the default (top-level keys replace). */
export async function startBenchBackend(
  config: JsonObject = {},
): Promise<BenchBackend> {
  // The step loggers write every step's input at info level; the bench reads nothing of it.
  process.env.LOG_LEVEL ??= 'warn';
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const data: JsonObject = {
    backend: {
      baseUrl,
      listen: { host: '127.0.0.1', port },
      database: { client: 'better-sqlite3', connection: ':memory:' },
      auth: { dangerouslyDisableDefaultAuthPolicy: true },
    },
    catalog: {
      rules: LOCAL_CATALOG_RULES,
      locations: [
        { type: 'file', target: path.join(REPO_ROOT, 'catalog-info.yaml') },
      ],
    },
    ...config,
  };
  const backend = createBackend();
  backend.add(
    createServiceFactory({
      service: coreServices.rootConfig,
      deps: {},
      factory: () => new ConfigReader(data),
    }),
  );
  backend.add(import('@backstage/plugin-catalog-backend'));
  backend.add(
    import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
  );
  backend.add(import('@backstage/plugin-scaffolder-backend'));
  backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
  backend.add(import('../src'));
  // bench:writeFiles, bench:readFiles, bench:getEntity: the floor of sections 2 and 3 (bareSteps.ts).
  backend.add(bareStepsModule);
  await backend.start();

  async function request(method: string, route: string, body?: unknown) {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : undefined,
    };
  }
  return { baseUrl, request, stop: () => backend.stop() };
}
