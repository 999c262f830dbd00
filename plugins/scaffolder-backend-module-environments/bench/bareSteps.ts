/**
 * The bench's "bare" steps: the least any implementation of the production steps has to do,
 * each done the plainest way, to measure what the scaffolder itself costs for that work. They
 * exist only in the bench's backend (bench/backend.ts), never in the module.
 *  - bench:writeFiles writes a set of files given to it beforehand (in this process) into the
 *    workspace: `mkdir -p` and `writeFile` with the mode, nothing checked; what a render step
 *    must leave behind, without rendering anything. It takes the form's values as input too
 *    (`values: ${{ parameters }}`, unread), as a render step must: the scaffolder evaluates,
 *    validates and (in a dry-run) logs a step's input, and that cost grows with its size.
 *  - bench:readFiles reads every file under a workspace directory: what a validation of the
 *    files must read, without validating anything.
 *  - bench:getEntity asks the catalog for one entity with the plugin's own credentials: the round
 *    trip a name check must make.
 */
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A file bench:writeFiles writes. */
export interface BareFile {
  path: string;
  content: string | Uint8Array;
  mode: number;
}

const sets = new Map<string, readonly BareFile[]>();

/** Gives bench:writeFiles the files it writes for `set` (its input names the set). */
export function setBareFiles(set: string, files: readonly BareFile[]) {
  sets.set(set, files);
}

const writeFilesAction = createTemplateAction({
  id: 'bench:writeFiles',
  description: 'Bench only: writes a set of files given beforehand.',
  supportsDryRun: true,
  schema: {
    input: {
      set: z => z.string(),
      values: z => z.record(z.unknown()).optional(),
    },
  },
  async handler(ctx) {
    const files = sets.get(ctx.input.set);
    if (!files) throw new Error(`no bare file set ${ctx.input.set}`);
    const dirs = new Set(
      files.map(f => path.dirname(path.join(ctx.workspacePath, f.path))),
    );
    await Promise.all([...dirs].map(d => mkdir(d, { recursive: true })));
    await Promise.all(
      files.map(f =>
        writeFile(path.join(ctx.workspacePath, f.path), f.content, {
          mode: f.mode,
        }),
      ),
    );
  },
});

const readFilesAction = createTemplateAction({
  id: 'bench:readFiles',
  description: 'Bench only: reads every file under a workspace directory.',
  supportsDryRun: true,
  schema: { input: { path: z => z.string() } },
  async handler(ctx) {
    const root = path.join(ctx.workspacePath, ctx.input.path);
    const entries = await readdir(root, {
      recursive: true,
      withFileTypes: true,
    });
    await Promise.all(
      entries
        .filter(e => e.isFile())
        .map(e => readFile(path.join(e.parentPath, e.name), 'utf8')),
    );
  },
});

/** The bench backend's module adding the bare steps. */
export const bareStepsModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'bench-bare-steps',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
      },
      async init({ scaffolder, catalog, auth }) {
        scaffolder.addActions(
          writeFilesAction,
          readFilesAction,
          createTemplateAction({
            id: 'bench:getEntity',
            description: 'Bench only: asks the catalog for one entity.',
            supportsDryRun: true,
            schema: { input: { entityRef: z => z.string() } },
            async handler(ctx) {
              await catalog.getEntityByRef(ctx.input.entityRef, {
                credentials: await auth.getOwnServiceCredentials(),
              });
            },
          }),
        );
      },
    });
  },
});
