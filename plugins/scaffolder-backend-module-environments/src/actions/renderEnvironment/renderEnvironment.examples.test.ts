import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { parse } from 'yaml';
import { kitManifest } from '../../kits/manifest';
import { loadTestKits } from '../../__testUtils__/kits';
import { createRenderEnvironmentAction } from './renderEnvironment';
import { examples } from './renderEnvironment.examples';

describe('unifiCloudflare:environment:render examples', () => {
  const workspace = createMockDirectory();
  beforeEach(() => workspace.clear());

  it.each(examples.map(e => [e.description, e] as const))(
    '%s',
    async (_, example) => {
      const action = createRenderEnvironmentAction({
        kits: await loadTestKits(),
        kitVersion: '1.0.0',
      });
      const input = parse(example.example).steps[0].input;
      const ctx = createMockActionContext({
        input,
        workspacePath: workspace.path,
      });
      await action.handler(ctx);
      const prefix = input.targetPath ? `${input.targetPath}/` : '';
      expect(ctx.output).toHaveBeenCalledWith(
        'files',
        kitManifest[input.environment as 'development'].map(
          f => prefix + f.path,
        ),
      );
    },
  );
});
