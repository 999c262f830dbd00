import { TemplateAction } from '@backstage/plugin-scaffolder-node';

/** Errors the user fixes by changing input; their stack says nothing to them. */
const USER_ERRORS = new Set([
  'InputError',
  'NotAllowedError',
  'ConflictError',
  'NotFoundError',
]);

/**
 * The scaffolder writes a failed step's `error.stack` into the task log the user reads
 * (NunjucksWorkflowRunner: `task.emitLog(String(err.stack))`), so an InputError would show
 * stack frames with the backend host's file paths. This wraps an action so that the errors a
 * user can fix carry their name and message only; other errors keep their stack for operators.
 */
export function withPlainUserErrors<A extends TemplateAction<any, any, any>>(
  action: A,
): A {
  const handler = action.handler;
  return {
    ...action,
    async handler(ctx: Parameters<A['handler']>[0]) {
      try {
        return await handler(ctx);
      } catch (error) {
        if (error instanceof Error && USER_ERRORS.has(error.name)) {
          error.stack = `${error.name}: ${error.message}`;
        }
        throw error;
      }
    },
  } as A;
}
