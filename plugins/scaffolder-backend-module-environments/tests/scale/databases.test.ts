import { TestDatabases } from '@backstage/backend-test-utils';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DatabaseClient,
  decodeFiles,
  EnvironmentName,
  formValues,
  loadTemplate,
  startScaffolderBackend,
} from '../../src/__testUtils__/backend';
import { kitManifest } from '../../src/kits/manifest';
import { canonicalValues } from '../../src/__testUtils__/values';
import { apiClient, stepRuns, taskOutput } from '../../src/__testUtils__/http';
import { configuredPostgres } from '../../src/__testUtils__/scale/postgres';
import { createRecordModule } from '../../src/__testUtils__/scale/recordAction';
import { delay } from '../../src/__testUtils__/waitUntil';
import {
  buildVariant,
  kitPaths,
  variantValues,
  writeCatalogFile,
} from '../../src/__testUtils__/scale/variants';

jest.setTimeout(120_000);

const ENVIRONMENTS: EnvironmentName[] = [
  'development',
  'staging',
  'production',
];
const postgres = configuredPostgres();
// Never docker here: PostgreSQL comes from .ci/postgres.sh or is skipped.
const databases = TestDatabases.create({
  ids: [...(postgres ? [postgres.id] : []), 'SQLITE_3'],
  disableDocker: true,
});

let fixtures: string;
let catalogFile: string;
beforeAll(async () => {
  fixtures = await mkdtemp(path.join(os.tmpdir(), 'scale-databases-'));
  catalogFile = await writeCatalogFile(
    fixtures,
    await Promise.all(
      ENVIRONMENTS.map(env => buildVariant(env, { name: `scale-${env}` })),
    ),
  );
});
afterAll(async () => {
  await rm(fixtures, { recursive: true, force: true });
});

if (!postgres) {
  // Visible in the test report as a todo: set BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING (source .ci/postgres.sh).
  it.todo(
    'runs the suite on PostgreSQL (no BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING set)',
  );
}

describe.each(databases.eachSupportedId())(
  'the real scaffolder and catalog on %s',
  databaseId => {
    let backend: Awaited<ReturnType<typeof startScaffolderBackend>>;
    const clients = new Map<string, DatabaseClient>();

    beforeAll(async () => {
      backend = await startScaffolderBackend({
        database: async pluginId => {
          const client = await databases.init(databaseId);
          clients.set(pluginId, client);
          return client;
        },
        catalogFiles: [catalogFile],
        features: [createRecordModule('in-process')],
      });
    });
    afterAll(async () => {
      await backend?.stop();
      // Upstream teardown race: a catalog or scaffolder loop can still have a query in flight
      // after stop; TestDatabases destroys these databases right after this hook, and a query
      // reaching a destroyed knex rejects unhandled in whichever test file runs next. Give the
      // loops time to end first (the harness's own SQLite databases close late for the same reason).
      await delay(3000);
    });

    it('keeps the catalog and the scaffolder in their own databases of that kind', async () => {
      const driver = databaseId.startsWith('POSTGRES')
        ? 'pg'
        : 'better-sqlite3';
      expect([...clients.keys()].sort()).toEqual(['catalog', 'scaffolder']);
      for (const client of clients.values())
        expect(client.client.config.client).toBe(driver);
      expect(await clients.get('scaffolder')!.schema.hasTable('tasks')).toBe(
        true,
      );
      expect(
        await clients.get('catalog')!.schema.hasTable('final_entities'),
      ).toBe(true);
    });

    it.each(ENVIRONMENTS)(
      'dry-runs the %s template and returns the complete kit',
      async environment => {
        const template = await loadTemplate(environment);
        const { status, body } = await backend.dryRun(
          template,
          formValues(canonicalValues[environment]),
        );
        expect(status).toBe(200);
        expect([...decodeFiles(body.directoryContents).keys()].sort()).toEqual(
          kitPaths(environment),
        );
      },
    );

    it('runs a task of each template variant through /v2/tasks, each step once, and stores it', async () => {
      const api = apiClient(backend.baseUrl);
      await api.waitForTemplates(ENVIRONMENTS.map(env => `scale-${env}`));
      const ids = await Promise.all(
        ENVIRONMENTS.map(env =>
          api.createTask(
            `template:default/scale-${env}`,
            variantValues(env, `db-${env}`),
          ),
        ),
      );
      for (const [index, environment] of ENVIRONMENTS.entries()) {
        const task = await api.waitForTask(ids[index]);
        const events = await api.events(ids[index]);
        expect({ environment, status: task.status }).toEqual({
          environment,
          status: 'completed',
        });

        const runs = stepRuns(events);
        const steps = task.spec.steps.map((s: any) => s.id);
        expect(Object.keys(runs).sort()).toEqual([...steps].sort());
        for (const step of steps)
          expect({ step, ...runs[step] }).toEqual({
            step,
            processing: 1,
            completed: 1,
          });

        const output = taskOutput(events);
        // In the order the render action writes and lists them.
        expect(output.files).toEqual(kitManifest[environment].map(f => f.path));
        expect(output.entityName).toBe(`db-${environment}`);
        expect(Object.keys(output.record.files)).toEqual(kitPaths(environment));
        expect(output.record.answersName).toBe(`db-${environment}`);
      }

      // The rows are in this database: one per task, completed.
      const rows = await clients.get('scaffolder')!('tasks')
        .whereIn('id', ids)
        .select('id', 'status');
      expect(rows.map(r => r.status)).toEqual([
        'completed',
        'completed',
        'completed',
      ]);
    });
  },
);
