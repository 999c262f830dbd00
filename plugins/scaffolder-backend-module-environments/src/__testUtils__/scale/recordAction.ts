import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { createHash } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { waitUntil } from '../waitUntil';

/** The id of the test-only action that records where a step ran and what its workspace holds. */
export const RECORD_ACTION_ID = 'scaleTest:workspace:record';

/** What the record action outputs. */
export interface WorkspaceRecord {
  /** The replica (backend process) that ran the step. */
  replica: string;
  /** Every regular file in the workspace: relative POSIX path to the SHA-256 of its bytes. */
  files: Record<string, string>;
  /** `values.name` of the workspace's .environment-answers.yaml, if there is one. */
  answersName?: string;
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async entry => {
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) return listFiles(root, absolute);
      return entry.isFile()
        ? [path.relative(root, absolute).split(path.sep).join('/')]
        : [];
    }),
  );
  return nested.flat().sort();
}

/** Hashes every file of a workspace and reads the answers file's name, for the scale tests. */
export async function recordWorkspace(
  workspacePath: string,
  replica: string,
): Promise<WorkspaceRecord> {
  const files: Record<string, string> = {};
  let answersName: string | undefined;
  for (const file of await listFiles(workspacePath)) {
    const bytes = await readFile(path.join(workspacePath, file));
    files[file] = createHash('sha256').update(bytes).digest('hex');
    if (file === '.environment-answers.yaml')
      answersName = parse(bytes.toString('utf8'))?.values?.name;
  }
  return {
    replica,
    files,
    ...(answersName === undefined ? {} : { answersName }),
  };
}

/**
 * Test-only action: logs which replica runs it and outputs the workspace's file hashes, so the
 * scale tests can tell which backend ran a step and that a workspace holds only its own files.
 */
export function createRecordAction(options: { replicaId: string }) {
  return createTemplateAction({
    id: RECORD_ACTION_ID,
    description:
      'Test only: records the replica that runs the step and the workspace contents.',
    supportsDryRun: true,
    schema: {
      input: {
        label: z =>
          z.string().describe('A name for this record, shown in the log.'),
      },
      output: {
        replica: z => z.string().describe('The replica that ran the step.'),
        files: z =>
          z.record(z.string()).describe('Workspace files and their SHA-256.'),
        answersName: z =>
          z
            .string()
            .optional()
            .describe('values.name of .environment-answers.yaml.'),
      },
    },
    async handler(ctx) {
      const record = await recordWorkspace(
        ctx.workspacePath,
        options.replicaId,
      );
      ctx.logger.info(
        `record ${ctx.input.label}: replica=${record.replica} files=${Object.keys(record.files).length}`,
      );
      ctx.output('replica', record.replica);
      ctx.output('files', record.files);
      if (record.answersName !== undefined)
        ctx.output('answersName', record.answersName);
    },
  });
}

/** The id of the test-only action that holds a task until the test opens its gate. */
export const GATE_ACTION_ID = 'scaleTest:task:gate';

/** The file that opens the gate of a task: `<directory>/<task id>.open`. */
export function gateFile(directory: string, taskId: string): string {
  return path.join(directory, `${taskId}.open`);
}

/**
 * Test-only action: waits until the file `<directory>/<task id>.open` exists (bounded), so a test
 * can kill the replica at a known point of a task: while this step runs, every earlier step has
 * completed and its state (and, with a workspace provider, its workspace) is saved.
 */
export function createGateAction(options: { replicaId: string }) {
  return createTemplateAction({
    id: GATE_ACTION_ID,
    description:
      'Test only: waits until the test creates <directory>/<task id>.open.',
    schema: {
      input: {
        directory: z =>
          z.string().describe('Absolute directory of the gate files.'),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .min(1)
            .max(600)
            .optional()
            .describe('Fail after this long; default 120.'),
      },
      output: {
        replica: z => z.string().describe('The replica that passed the gate.'),
      },
    },
    async handler(ctx) {
      const file = gateFile(ctx.input.directory, ctx.task.id);
      ctx.logger.info(`gate: replica=${options.replicaId} waiting for ${file}`);
      await waitUntil(
        `the gate ${file} opening`,
        () =>
          access(file).then(
            () => true,
            () => false,
          ),
        {
          timeoutMs: (ctx.input.timeoutSeconds ?? 120) * 1000,
          intervalMs: 100,
          signal: ctx.signal,
        },
      );
      ctx.output('replica', options.replicaId);
    },
  });
}

/** A scaffolder module adding the record and gate actions, for test backends and the replica processes. */
export function createRecordModule(replicaId: string) {
  return createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'scale-test-record',
    register(env) {
      env.registerInit({
        deps: { scaffolder: scaffolderActionsExtensionPoint },
        async init({ scaffolder }) {
          scaffolder.addActions(
            createRecordAction({ replicaId }),
            createGateAction({ replicaId }),
          );
        },
      });
    },
  });
}
