import { TestDatabases } from '@backstage/backend-test-utils';
import { restoreWorkspace } from '@backstage/plugin-scaffolder-node/alpha';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runOrFail } from '../../src/__testUtils__/processes';
import { kitManifest } from '../../src/kits/manifest';
import {
  DatabaseClient,
  EnvironmentName,
} from '../../src/__testUtils__/backend';
import {
  apiClient,
  ApiClient,
  stepRuns,
  TaskEvent,
  taskOutput,
} from '../../src/__testUtils__/http';
import { Cluster, Replica } from '../../src/__testUtils__/scale/cluster';
import { configuredPostgres } from '../../src/__testUtils__/scale/postgres';
import {
  gateFile,
  recordWorkspace,
} from '../../src/__testUtils__/scale/recordAction';
import { delay, waitUntil } from '../../src/__testUtils__/waitUntil';
import {
  buildVariant,
  kitPaths,
  variantValues,
  writeCatalogFile,
} from '../../src/__testUtils__/scale/variants';

/*
 * Several real backend processes (src/__testUtils__/scale/replica.ts with app-config.production.yaml) on one
 * PostgreSQL database: tasks submitted across them run exactly once, a task whose replica is
 * killed is finished by another, and one killed between render and publish publishes every file
 * (the workspace provider of app-config.production.yaml), which it does not without the provider
 * (the last describe block). PostgreSQL only (SQLite cannot be shared between processes);
 * skipped without one, except where UNIFI_CLOUDFLARE_REQUIRE_POSTGRES is set (CI).
 */

jest.setTimeout(180_000);

const ENVIRONMENTS: EnvironmentName[] = [
  'development',
  'staging',
  'production',
];
const REPLICAS = ['r1', 'r2', 'r3'];
const TASKS_PER_ENVIRONMENT = 15;
/** Tasks submitted all at once before the rest, round by round. */
const BURST = 15;
/** Long enough to kill the replica in the middle of it. */
const WAIT_SECONDS = 8;
/**
 * Tasks each replica runs at once. With the default 10, one replica took almost a whole burst
 * (seen: 44, 1 and 0 of 45 tasks): a replica looks for open tasks only when one is submitted to it
 * or a slot of its own frees up, and one that loses the race for a task waits for its next
 * submission (StorageTaskBroker.claim).
 */
const TASK_SLOTS = 2;
/** How old a heartbeat must be before another replica takes the task (production: 30 s). */
const STALE_SECONDS = 5;

const postgres = configuredPostgres();
const databases = TestDatabases.create({
  ids: postgres ? [postgres.id] : [],
  disableDocker: true,
});

/** Polls a task's events until `done` says so (bounded). */
async function waitForEvents(
  api: ApiClient,
  id: string,
  done: (events: TaskEvent[]) => boolean,
  timeoutMs = 30_000,
) {
  let events: TaskEvent[] = [];
  return waitUntil(
    `task ${id} reaching the awaited events`,
    async () => {
      events = await api.events(id);
      return done(events) && events;
    },
    { timeoutMs, intervalMs: 200, describeLast: () => JSON.stringify(events) },
  );
}

/** The replica named in a record step's log line ("record start: replica=r1 ..."). */
function startedOn(events: TaskEvent[]): string | undefined {
  for (const { body } of events) {
    // The task log keeps the logger's colour codes: "\u001b[32minfo\u001b[39m: record start: ...".
    const match = /record start: replica=(\S+)/.exec(body.message ?? '');
    if (match) return match[1];
  }
  return undefined;
}

const isAlive = (replica: Replica) =>
  replica.process.exitCode === null && replica.process.signalCode === null;

/** The template and values of the gated publishing runs: development, whose scripts are executable. */
const GATED_TEMPLATE = 'gated-publish-development';
function gatedValues(name: string): Record<string, unknown> {
  const { repoUrl: _repoUrl, ...values } = variantValues('development', name);
  return { ...values, publishTarget: 'local' };
}

/** A file of a published repository as git has it on main: mode and the SHA-256 of its bytes. */
interface PublishedFile {
  mode: string;
  sha256: string;
}

/**
 * The files of a local repository on main, read with the real git: `ls-tree` for paths and modes,
 * the bytes from the working tree, which `git status` must find identical to the commit.
 */
async function publishedFiles(
  localPath: string,
): Promise<Record<string, PublishedFile>> {
  const git = (...args: string[]) =>
    runOrFail(`git ${args[0]}`, 'git', ['-C', localPath, ...args], {
      cwd: localPath,
    });
  expect((await git('status', '--porcelain')).output).toBe('');
  const files: Record<string, PublishedFile> = {};
  for (const line of (await git('ls-tree', '-r', 'main')).output
    .split('\n')
    .filter(Boolean)) {
    const [meta, file] = line.split('\t');
    const bytes = await readFile(path.join(localPath, file));
    files[file] = {
      mode: meta.split(' ')[0],
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }
  return files;
}

/** What a kill at the gate left behind, for the assertions. */
interface GatedRun {
  taskId: string;
  victim: string;
  status: string;
  output: any;
  runs: Record<string, Record<string, number>>;
  /** The workspace the database held for the task when the victim was killed, if any. */
  storedAtKill?: Record<string, string>;
  /** The size of that stored workspace (a tar archive). */
  storedBytes?: number;
  /** Whether the database still holds a workspace for the task after it ended. */
  storedAfterEnd: boolean;
  published: Record<string, PublishedFile>;
  recoveredIn: number;
}

/**
 * Runs a gated publishing task, kills (SIGKILL) the replica running it while it waits at the gate
 * (after the render and record-before steps completed, before the publish step started), opens
 * the gate, and waits (bounded) for another replica to finish the task.
 */
async function killAtGate(options: {
  cluster: Cluster;
  db: DatabaseClient;
  gates: string;
  name: string;
  rawEvents: (taskId: string) => Promise<TaskEvent[]>;
}): Promise<GatedRun> {
  const { cluster, db, gates, name, rawEvents } = options;
  const alive = cluster.replicas.filter(isAlive);
  expect(alive.length).toBeGreaterThanOrEqual(2);
  const taskId = await alive[0].api.createTask(
    `template:default/${GATED_TEMPLATE}`,
    gatedValues(name),
  );
  const atGate = await waitForEvents(alive[0].api, taskId, events =>
    events.some(
      e => e.body.stepId === 'gate' && e.body.status === 'processing',
    ),
  );
  const victim = alive.find(r => r.id === startedOn(atGate))!;
  expect(victim).toBeDefined();

  // What the workspace provider stored for the task when the step before the gate completed.
  const workspaces = () =>
    db
      .withSchema('scaffolder')
      .from('scaffolder_task_workspaces')
      .where('task_id', taskId);
  const row = await workspaces().first();
  let storedAtKill: Record<string, string> | undefined;
  if (row) {
    const extracted = await mkdtemp(path.join(os.tmpdir(), 'scale-stored-'));
    try {
      await restoreWorkspace({ path: extracted, buffer: row.workspace });
      storedAtKill = (await recordWorkspace(extracted, 'database')).files;
    } finally {
      await rm(extracted, { recursive: true, force: true });
    }
  }

  await cluster.kill(victim);
  const killedAt = Date.now();
  // The gate opens only now: whichever replica runs the gate next passes it.
  await writeFile(gateFile(gates, taskId), '');
  const survivor = alive.find(r => r !== victim)!;
  const task = await survivor.api.waitForTask(taskId, 90_000);
  const recoveredIn = Date.now() - killedAt;
  const output = taskOutput(await survivor.api.events(taskId));
  return {
    taskId,
    victim: victim.id,
    status: task.status,
    output,
    runs: stepRuns(await rawEvents(taskId)),
    storedAtKill,
    storedBytes: row?.workspace?.length,
    storedAfterEnd: (await workspaces()).length > 0,
    published: output?.published?.localPath
      ? await publishedFiles(output.published.localPath)
      : {},
    recoveredIn,
  };
}

/** Raw rows of a shared scaffolder schema, not trimmed by the recovery strategy as the API is. */
function rawEventsOf(db: () => DatabaseClient) {
  return async (taskId: string): Promise<TaskEvent[]> =>
    (
      await db()
        .withSchema('scaffolder')
        .from('task_events')
        .where('task_id', taskId)
        .orderBy('id')
        .select()
    ).map(row => ({
      id: Number(row.id),
      type: row.event_type,
      body: JSON.parse(row.body),
      createdAt: String(row.created_at),
    }));
}

(postgres ? describe : describe.skip)(
  'several backend replicas on one PostgreSQL database',
  () => {
    let directory: string;
    let cluster: Cluster;
    let db: DatabaseClient;
    const killAll = () => cluster?.killAllNow();
    const removeExitHook = () => process.off('exit', killAll);
    const report: string[] = [];

    const rawEvents = rawEventsOf(() => db);
    let gates: string;

    beforeAll(async () => {
      const started = Date.now();
      directory = await mkdtemp(path.join(os.tmpdir(), 'scale-replicas-'));
      gates = path.join(directory, 'gates');
      const repositories = path.join(directory, 'repositories');
      await Promise.all([mkdir(gates), mkdir(repositories)]);
      db = await databases.init(postgres!.id);
      const catalogFile = await writeCatalogFile(directory, [
        ...(await Promise.all(
          ENVIRONMENTS.map(env => buildVariant(env, { name: `scale-${env}` })),
        )),
        await buildVariant('production', {
          name: 'recover-wait-first',
          wait: { seconds: WAIT_SECONDS, at: 'first' },
          recovery: { EXPERIMENTAL_strategy: 'startOver' },
        }),
        await buildVariant('production', {
          name: 'recover-after-render',
          wait: { seconds: WAIT_SECONDS, at: 'afterRender' },
          recovery: { EXPERIMENTAL_strategy: 'startOver' },
        }),
        await buildVariant('development', {
          name: GATED_TEMPLATE,
          gatedPublish: { gateDirectory: gates },
        }),
      ]);
      cluster = new Cluster({
        connectionString: postgres!.connectionString,
        database: db.client.config.connection.database,
        directory,
        catalogFiles: [catalogFile],
        localRepositories: repositories,
        scaffolder: {
          // Few slots per replica, so that a burst of tasks needs more than one of them.
          concurrentTasksLimit: TASK_SLOTS,
          taskRecovery: {
            enabled: true,
            staleTimeout: { seconds: STALE_SECONDS },
          },
        },
      });
      process.on('exit', killAll);
      // The first replica creates the schemas and runs the migrations; the others then start
      // together. (Replicas started together on a new database race for knex's migration lock and
      // the losers exit: "Migration table is already locked".)
      await cluster.start(REPLICAS[0]);
      await Promise.all(REPLICAS.slice(1).map(id => cluster.start(id)));
      await cluster.replicas[0].api.waitForTemplates([
        ...ENVIRONMENTS.map(env => `scale-${env}`),
        'recover-wait-first',
        'recover-after-render',
        GATED_TEMPLATE,
      ]);
      report.push(
        `${REPLICAS.length} replicas started and templates registered in ${Date.now() - started} ms`,
      );
    });

    afterAll(async () => {
      await cluster?.stopAll();
      removeExitHook();
      // SCALE_KEEP_LOGS=1 keeps the replicas' logs and config files for a look.
      if (process.env.SCALE_KEEP_LOGS)
        console.log(`Replica logs kept in ${directory}`);
      else await rm(directory, { recursive: true, force: true });
      // The figures of this run, for the record.
      console.log(report.join('\n'));
    });

    it('serves the API only with a token (app-config.production.yaml keeps the default auth policy)', async () => {
      const replica = cluster.replicas[0];
      const anonymous = apiClient(replica.api.baseUrl);
      expect(
        (await anonymous.request('GET', '/api/scaffolder/v2/tasks')).status,
      ).toBe(401);
      expect(
        (await anonymous.request('GET', '/api/catalog/entities?limit=1'))
          .status,
      ).toBe(401);
      expect(
        (
          await apiClient(replica.api.baseUrl, 'not-the-token').request(
            'GET',
            '/api/scaffolder/v2/tasks',
          )
        ).status,
      ).toBe(401);
      expect(
        (await replica.api.request('GET', '/api/scaffolder/v2/tasks?limit=1'))
          .status,
      ).toBe(200);
    });

    it(`runs ${TASKS_PER_ENVIRONMENT * ENVIRONMENTS.length} tasks submitted across the replicas exactly once`, async () => {
      const started = Date.now();
      const submit = async (i: number) => {
        const environment = ENVIRONMENTS[i % ENVIRONMENTS.length];
        const name = `multi-${environment.slice(0, 4)}-${String(i).padStart(2, '0')}`;
        const via = cluster.replicas[i % cluster.replicas.length];
        const id = await via.api.createTask(
          `template:default/scale-${environment}`,
          variantValues(environment, name),
        );
        return { id, environment, name, via: via.id };
      };
      const total = TASKS_PER_ENVIRONMENT * ENVIRONMENTS.length;
      // A burst (the replicas race for the same open tasks), then rounds of one task per replica.
      const submitted = await Promise.all(
        Array.from({ length: BURST }, (_, i) => submit(i)),
      );
      for (let i = BURST; i < total; i += REPLICAS.length) {
        const round = Array.from(
          { length: Math.min(REPLICAS.length, total - i) },
          (_, j) => submit(i + j),
        );
        submitted.push(...(await Promise.all(round)));
        // Paced rounds: each replica has claimed its task before the next round arrives.
        await delay(150);
      }
      const ranOn: Record<string, number> = {};
      let crossed = 0;
      for (const [i, task] of submitted.entries()) {
        // Read through any replica: they share the database.
        const api = cluster.replicas[(i + 1) % cluster.replicas.length].api;
        const final = await api.waitForTask(task.id, 120_000);
        const events = await api.events(task.id);
        expect({ name: task.name, status: final.status }).toEqual({
          name: task.name,
          status: 'completed',
        });

        // Each step started and finished once; nothing was recovered.
        const steps: string[] = final.spec.steps.map((s: any) => s.id);
        const runs = stepRuns(events);
        expect(Object.keys(runs).sort()).toEqual([...steps].sort());
        for (const step of steps)
          expect({ name: task.name, step, ...runs[step] }).toEqual({
            name: task.name,
            step,
            processing: 1,
            completed: 1,
          });
        expect(
          events
            .filter(e => e.type === 'recovered' || e.type === 'completion')
            .map(e => e.type),
        ).toEqual(['completion']);

        // The workspace held exactly its own kit, rendered from its own answers, on one replica.
        const output = taskOutput(events);
        expect(output.files).toEqual(
          kitManifest[task.environment].map(f => f.path),
        );
        expect(output.entityName).toBe(task.name);
        expect(Object.keys(output.record.files)).toEqual(
          kitPaths(task.environment),
        );
        expect(output.record.answersName).toBe(task.name);
        expect(output.record.replica).toBe(output.startedOn);
        ranOn[output.record.replica] = (ranOn[output.record.replica] ?? 0) + 1;
        if (output.record.replica !== task.via) crossed++;
      }
      const elapsed = Date.now() - started;

      // Every replica lists each task once, completed; the tasks table holds one row per task.
      const ids = submitted.map(t => t.id).sort();
      for (const replica of cluster.replicas) {
        const listed = (await replica.api.listTasks()).filter(t =>
          ids.includes(t.id),
        );
        expect(listed.map(t => t.id).sort()).toEqual(ids);
        expect(new Set(listed.map(t => t.status))).toEqual(
          new Set(['completed']),
        );
      }
      const rows = await db
        .withSchema('scaffolder')
        .from('tasks')
        .whereIn('id', ids)
        .select('id', 'status');
      expect(rows).toHaveLength(ids.length);
      expect(new Set(rows.map(r => r.status))).toEqual(new Set(['completed']));
      const completions = await db
        .withSchema('scaffolder')
        .from('task_events')
        .whereIn('task_id', ids)
        .andWhere('event_type', 'completion')
        .count({ n: '*' });
      expect(Number(completions[0].n)).toBe(ids.length);
      // The workspace provider stored each task's workspace after every step and deleted it when the
      // task completed.
      const stored = await db
        .withSchema('scaffolder')
        .from('scaffolder_task_workspaces')
        .whereIn('task_id', ids)
        .count({ n: '*' });
      expect(Number(stored[0].n)).toBe(0);

      // The work was shared: every replica ran some of the tasks. (In a burst alone one replica can
      // get none: a replica that loses the race for a task waits for the next task submitted to it.)
      expect(Object.keys(ranOn).sort()).toEqual([...REPLICAS].sort());
      const submittedVia = Object.fromEntries(
        REPLICAS.map(r => [r, submitted.filter(t => t.via === r).length]),
      );
      report.push(
        `multi-replica: ${ids.length} tasks (${TASKS_PER_ENVIRONMENT} per template; ${BURST} at once, then ${REPLICAS.length} every 150 ms), ` +
          `submitted via ${JSON.stringify(submittedVia)}, ` +
          `ran on ${JSON.stringify(ranOn)} (${crossed} on another replica than the one they were submitted to), ` +
          `all completed once in ${elapsed} ms`,
      );
    });

    it('finishes the tasks of a killed replica on another one, with the same bytes', async () => {
      const started = Date.now();
      const [first, second] = cluster.replicas;
      const values = variantValues('production', 'recovered-env');

      // An uninterrupted run of the same template and values, for the bytes: claimed by `second`
      // (a task is claimed by the replica it was submitted to while the others are idle).
      const controlId = await second.api.createTask(
        'template:default/recover-wait-first',
        values,
      );
      await waitForEvents(
        second.api,
        controlId,
        events => startedOn(events) !== undefined,
      );

      // Two tasks on `first`: one killed before our render ran, one after.
      const waitFirstId = await first.api.createTask(
        'template:default/recover-wait-first',
        values,
      );
      const afterRenderId = await first.api.createTask(
        'template:default/recover-after-render',
        variantValues('production', 'recovered-late'),
      );
      const inWait = (events: TaskEvent[]) =>
        events.some(
          e => e.body.stepId === 'wait' && e.body.status === 'processing',
        );
      const waitFirstEvents = await waitForEvents(
        first.api,
        waitFirstId,
        inWait,
      );
      const afterRenderEvents = await waitForEvents(
        first.api,
        afterRenderId,
        inWait,
      );
      const victimId = startedOn(waitFirstEvents)!;
      expect(startedOn(afterRenderEvents)).toBe(victimId);
      const victim = cluster.replicas.find(r => r.id === victimId)!;
      expect(victim.id).not.toBe(startedOn(await second.api.events(controlId)));

      await cluster.kill(victim);
      const killedAt = Date.now();
      const survivors = cluster.replicas.filter(r => r !== victim);
      const api = survivors[0].api;

      const [waitFirst, afterRender, control] = await Promise.all(
        [waitFirstId, afterRenderId, controlId].map(id =>
          api.waitForTask(id, 60_000),
        ),
      );
      const recoveredIn = Date.now() - killedAt;
      expect([waitFirst.status, afterRender.status, control.status]).toEqual([
        'completed',
        'completed',
        'completed',
      ]);
      const listed = (await survivors[1].api.listTasks()).filter(
        t => t.id === waitFirstId || t.id === afterRenderId,
      );
      expect(listed.map(t => t.status)).toEqual(['completed', 'completed']);

      // Killed before the render: a survivor ran the rest once, and our render wrote the same bytes
      // as the uninterrupted run.
      const raw = stepRuns(await rawEvents(waitFirstId));
      expect(
        (await rawEvents(waitFirstId)).filter(e => e.type === 'recovered'),
      ).toHaveLength(1);
      expect(raw.wait).toEqual({ processing: 2, completed: 1 });
      expect(raw.render).toEqual({ processing: 1, completed: 1 });
      expect(raw.record).toEqual({ processing: 1, completed: 1 });
      // `mark` had completed on the killed replica: the survivor skipped it (a "completed" log line).
      expect(raw.mark).toEqual({ processing: 1, completed: 2 });
      // With EXPERIMENTAL_strategy startOver the API shows the events from the recovery on.
      const shown = await api.events(waitFirstId);
      expect(shown[0].type).toBe('recovered');
      expect(
        shown.filter(e =>
          /Skipping step mark because it was already completed/.test(
            e.body.message ?? '',
          ),
        ),
      ).toHaveLength(1);
      const waitFirstOutput = taskOutput(shown);
      const controlOutput = taskOutput(await api.events(controlId));
      expect(waitFirstOutput.startedOn).toBe(victim.id);
      expect(survivors.map(r => r.id)).toContain(
        waitFirstOutput.record.replica,
      );
      expect(waitFirstOutput.files).toEqual(
        kitManifest.production.map(f => f.path),
      );
      expect(waitFirstOutput.record.answersName).toBe('recovered-env');
      expect(waitFirstOutput.record.files).toEqual(controlOutput.record.files);

      // Killed after the render: the survivor resumed after the last completed step, with that
      // step's output and, through the workspace provider of app-config.production.yaml, its files.
      const lateRaw = stepRuns(await rawEvents(afterRenderId));
      expect(lateRaw.render).toEqual({ processing: 1, completed: 2 });
      const lateOutput = taskOutput(await api.events(afterRenderId));
      expect(lateOutput.files).toEqual(kitManifest.production.map(f => f.path));
      expect(lateOutput.before.replica).toBe(victim.id);
      expect(Object.keys(lateOutput.before.files)).toEqual(
        kitPaths('production'),
      );
      expect(survivors.map(r => r.id)).toContain(lateOutput.record.replica);
      expect(lateOutput.record.files).toEqual(lateOutput.before.files);

      report.push(
        `recovery: killed ${victim.id} (SIGKILL) during the wait step of task ${waitFirstId} (render not yet run) and task ${afterRenderId} ` +
          `(render done); final status ${waitFirst.status} on ${waitFirstOutput.record.replica} and ${afterRender.status} on ` +
          `${lateOutput.record.replica}, ${recoveredIn} ms after the kill (stale timeout ${STALE_SECONDS} s); fault test ${Date.now() - started} ms`,
      );
    });

    it('publishes every file when the replica is killed between render and publish (workspace provider)', async () => {
      const started = Date.now();
      const run = await killAtGate({
        cluster,
        db,
        gates,
        name: 'gated-kept',
        rawEvents,
      });
      const { before, record, files } = run.output;

      // When the replica died, the render had written the kit and the database held all of it.
      expect(before.replica).toBe(run.victim);
      expect(Object.keys(before.files)).toEqual(kitPaths('development'));
      expect(run.storedAtKill).toEqual(before.files);

      // Another replica resumed after record-before (the render did not run again), passed the gate,
      // and published once, from the workspace it restored from the database.
      expect(run.status).toBe('completed');
      expect(run.runs.render).toEqual({ processing: 1, completed: 2 });
      expect(run.runs['record-before']).toEqual({
        processing: 1,
        completed: 2,
      });
      expect(run.runs.gate).toEqual({ processing: 2, completed: 1 });
      expect(run.runs.publishLocal).toEqual({ processing: 1, completed: 1 });
      expect(record.replica).not.toBe(run.victim);
      expect(record.files).toEqual(before.files);

      // The repository on main holds every file of the kit, with its mode, byte for byte as rendered.
      expect(files).toEqual(kitManifest.development.map(f => f.path));
      expect(run.published).toEqual(
        Object.fromEntries(
          kitManifest.development.map(f => [
            f.path,
            {
              mode: f.mode === 0o755 ? '100755' : '100644',
              sha256: before.files[f.path],
            },
          ]),
        ),
      );
      // A completed task's stored workspace is deleted.
      expect(run.storedAfterEnd).toBe(false);

      report.push(
        `kill between render and publish: killed ${run.victim} at the gate of task ${run.taskId}; ${run.status} on ${record.replica} ` +
          `${run.recoveredIn} ms after the kill, published ${Object.keys(run.published).length} of ${kitManifest.development.length} files ` +
          `(workspace kept in the database: ${run.storedBytes} bytes of tar); test ${Date.now() - started} ms`,
      );
    });
  },
);

/*
 * The same kill on replicas whose config leaves out scaffolder.taskRecovery.workspaceProvider:
 * the task still completes, and publishes an empty repository. This is what the test above guards
 * against; it fails there if the workspace provider stops working.
 */
(postgres ? describe : describe.skip)(
  'task recovery without a workspace provider',
  () => {
    let directory: string;
    let gates: string;
    let cluster: Cluster;
    let db: DatabaseClient;
    const rawEvents = rawEventsOf(() => db);
    const killAll = () => cluster?.killAllNow();

    beforeAll(async () => {
      directory = await mkdtemp(path.join(os.tmpdir(), 'scale-no-provider-'));
      gates = path.join(directory, 'gates');
      const repositories = path.join(directory, 'repositories');
      await Promise.all([mkdir(gates), mkdir(repositories)]);
      db = await databases.init(postgres!.id);
      const catalogFile = await writeCatalogFile(directory, [
        await buildVariant('development', {
          name: GATED_TEMPLATE,
          gatedPublish: { gateDirectory: gates },
        }),
      ]);
      cluster = new Cluster({
        connectionString: postgres!.connectionString,
        database: db.client.config.connection.database,
        directory,
        catalogFiles: [catalogFile],
        localRepositories: repositories,
        withoutWorkspaceProvider: true,
        scaffolder: {
          taskRecovery: {
            enabled: true,
            staleTimeout: { seconds: STALE_SECONDS },
          },
        },
      });
      process.on('exit', killAll);
      await cluster.start('n1');
      await cluster.start('n2');
      await cluster.replicas[0].api.waitForTemplates([GATED_TEMPLATE]);
    });

    afterAll(async () => {
      await cluster?.stopAll();
      process.off('exit', killAll);
      if (process.env.SCALE_KEEP_LOGS)
        console.log(`Replica logs kept in ${directory}`);
      else await rm(directory, { recursive: true, force: true });
    });

    it('publishes an empty repository when the replica is killed between render and publish', async () => {
      const run = await killAtGate({
        cluster,
        db,
        gates,
        name: 'gated-lost',
        rawEvents,
      });
      const { before, record } = run.output;
      expect(Object.keys(before.files)).toEqual(kitPaths('development'));
      expect(run.storedAtKill).toBeUndefined();
      expect(run.status).toBe('completed');
      expect(run.runs.render).toEqual({ processing: 1, completed: 2 });
      expect(run.runs.publishLocal).toEqual({ processing: 1, completed: 1 });
      expect(record.replica).not.toBe(run.victim);
      expect(record.files).toEqual({});
      expect(run.published).toEqual({});
    });
  },
);
