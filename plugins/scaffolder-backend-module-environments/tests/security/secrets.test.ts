/**
 * Secrets and the forms: no form field takes a secret, and a secret pasted into a field is
 * refused, or, where the field cannot tell it from a legitimate value, never echoed by the
 * render action (its messages, log lines and outputs). The same through the real scaffolder
 * (dry-run output and step logs) is checked in hostileInput.test.ts.
 */
import {
  mockServices,
  createMockDirectory,
} from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createRenderEnvironmentAction } from '../../src/actions/renderEnvironment/renderEnvironment';
import { ENVIRONMENTS, parseParameters } from '../../src/parameters/model';
import { loadTemplate } from '../../src/__testUtils__/backend';
import { loadTestKits } from '../../src/__testUtils__/kits';
import { canonicalValues } from '../../src/__testUtils__/values';
import { secretShaped } from '../../src/__testUtils__/hostile/corpus';
import {
  textFields,
  withValue,
} from '../../src/__testUtils__/hostile/formAndModelVerdicts';

type Json = Record<string, any>;

/** Every `ui:field` and `ui:widget` in a schema tree, with where it sits. */
function uiFields(
  node: unknown,
  at = '',
): { at: string; key: string; value: unknown }[] {
  if (Array.isArray(node))
    return node.flatMap((n, i) => uiFields(n, `${at}[${i}]`));
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node as Json).flatMap(([key, value]) => [
    ...(key === 'ui:field' || key === 'ui:widget' ? [{ at, key, value }] : []),
    ...uiFields(value, at ? `${at}.${key}` : key),
  ]);
}

describe('secrets and the forms', () => {
  it.each(ENVIRONMENTS)(
    'the %s template has no Secret field and no password widget',
    async environment => {
      const template = await loadTemplate(environment);
      const ui = uiFields(template.spec.parameters);
      // Not vacuous: the pickers are found.
      expect(ui.map(u => u.value)).toEqual(
        expect.arrayContaining([
          'OwnerPicker',
          'EntityPicker',
          'RepoUrlPicker',
        ]),
      );
      // A Secret field would need this file (and hostileInput.test.ts) extended: its value goes
      // to ctx.secrets, not to the parameters, and must never reach a rendered file.
      expect(
        ui.filter(u => u.value === 'Secret' || u.value === 'password'),
      ).toEqual([]);
      expect(template.spec.secrets).toBeUndefined();
      expect(JSON.stringify(template.spec.steps)).not.toMatch(
        /\$\{\{\s*secrets\./,
      );
    },
  );

  describe('a secret-shaped value in any field', () => {
    const workspace = createMockDirectory();

    it.each(secretShaped.map(s => [s.label, s] as const))(
      '%s: refused without echo, or rendered without echo',
      async (_label, secret) => {
        const accepted: string[] = [];
        const leaks: string[] = [];
        for (const environment of ENVIRONMENTS) {
          const template = await loadTemplate(environment);
          for (const field of textFields(template)) {
            const input = withValue(
              { ...canonicalValues[environment] },
              field.path,
              secret.value,
            );
            const result = parseParameters(input);
            if (!result.success) {
              for (const p of result.problems)
                if (p.message.includes(secret.value))
                  leaks.push(
                    `${environment} ${field.field}: message ${p.message}`,
                  );
              continue;
            }
            accepted.push(field.field);
            leaks.push(
              ...(await renderLeaks(input, secret.value)).map(
                l => `${environment} ${field.field}: ${l}`,
              ),
            );
          }
        }
        expect(leaks).toEqual([]);
        // Issue 18: every tier refuses a secret-looking value in every field (it was accepted in
        // owner, system, description, keys and item names of development and staging before).
        expect([...new Set(accepted)].sort()).toEqual([]);
      },
    );

    /** Runs the render action's handler and returns what of its messages or outputs holds the secret. */
    async function renderLeaks(input: Json, secret: string): Promise<string[]> {
      workspace.clear();
      const logger = mockServices.logger.mock();
      const action = createRenderEnvironmentAction({
        kits: await loadTestKits(),
        kitVersion: '0.0.0-test',
      });
      const ctx = createMockActionContext({
        input: input as any,
        workspacePath: workspace.path,
        logger: logger as any,
      });
      let error = '';
      await action.handler(ctx).catch((e: Error) => {
        error = e.message;
      });
      const said = [
        ...[logger.info, logger.warn, logger.error, logger.debug].flatMap(fn =>
          fn.mock.calls.map(call => JSON.stringify(call)),
        ),
        ...(ctx.output as jest.Mock).mock.calls.map(call =>
          JSON.stringify(call),
        ),
        error,
      ];
      const escaped = JSON.stringify(secret).slice(1, -1);
      return said
        .filter(line => line.includes(secret) || line.includes(escaped))
        .map(line => `said ${line.slice(0, 160)}`);
    }
  });
});
