import { startScaffolderBackend } from '../backend';

/**
 * The backend of `src/__testUtils__/backend.ts` with `scaffolder.concurrentTasksLimit: 0`, so no task
 * worker runs. `POST /v2/tasks` still validates the form and answers 400 or 201 exactly as
 * before (the answer is given before any worker sees the task), but the thousands of tasks the
 * hostile corpus gets accepted stay queued instead of rendering and failing at publish:github in
 * the background. Dry-runs do not use the worker and are unaffected.
 */
export function startSecurityBackend() {
  return startScaffolderBackend({
    config: { scaffolder: { concurrentTasksLimit: 0 } },
  });
}
