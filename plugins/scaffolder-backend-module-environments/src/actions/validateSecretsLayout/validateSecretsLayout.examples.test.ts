import { createMockDirectory } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { validate as validateJsonSchema } from 'jsonschema';
import { parse } from 'yaml';
import { loadTestKits } from '../../__testUtils__/kits';
import { canonicalValues } from '../../__testUtils__/values';
import { createRenderEnvironmentAction } from '../renderEnvironment/renderEnvironment';
import { createValidateSecretsLayoutAction } from './validateSecretsLayout';
import { examples } from './validateSecretsLayout.examples';

describe('unifiCloudflare:secretsLayout:validate examples', () => {
  const workspace = createMockDirectory();
  beforeEach(() => workspace.clear());

  it.each(examples.map(e => [e.description, e] as const))(
    '%s',
    async (_, example) => {
      const input = parse(example.example).steps[0].input;
      const render = createRenderEnvironmentAction({
        kits: await loadTestKits(),
        kitVersion: '1.0.0',
      });
      await render.handler(
        createMockActionContext({
          input: {
            ...canonicalValues.production,
            targetPath: input.path ?? '.',
          } as any,
          workspacePath: workspace.path,
        }),
      );
      const action = createValidateSecretsLayoutAction();
      // The scaffolder checks step input against the action's JSON Schema before the handler runs.
      expect(
        validateJsonSchema(input, action.schema!.input as any).errors,
      ).toEqual([]);
      const ctx = createMockActionContext({
        input,
        workspacePath: workspace.path,
      });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('violations', 0);
      expect(ctx.output).toHaveBeenCalledWith(
        'references',
        expect.arrayContaining([
          expect.objectContaining({ key: 'CF_TOKEN', vault: input.vault }),
        ]),
      );
    },
  );
});
