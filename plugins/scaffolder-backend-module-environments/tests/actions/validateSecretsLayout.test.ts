import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleGithub from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { AddressInfo } from 'node:net';
import { loadPackagedKits } from '../../src/module';
import {
  formValues,
  loadTemplate,
  pluginDatabases,
} from '../../src/__testUtils__/backend';
import { canonicalValues } from '../../src/__testUtils__/values';
import { createRenderEnvironmentAction } from '../../src/actions/renderEnvironment/renderEnvironment';
import {
  createValidateSecretsLayoutAction,
  VALIDATE_SECRETS_LAYOUT_ACTION_ID,
} from '../../src/actions/validateSecretsLayout/validateSecretsLayout';

// Starts a backend, so it lives with the system tests; the handler's unit tests are beside the action.
describe(`${VALIDATE_SECRETS_LAYOUT_ACTION_ID} through the real scaffolder REST API`, () => {
  jest.setTimeout(120_000);
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let baseUrl: string;
  // Closed after stop: the default database service leaves SQLite pools (and their timers) open.
  const databases = pluginDatabases();

  beforeAll(async () => {
    // A module with both actions built from the packaged kits, independent of how module.ts
    // wires them (so this test neither depends on nor duplicates that registration).
    const validateModule = createBackendModule({
      pluginId: 'scaffolder',
      moduleId: 'validate-secrets-layout-test',
      register(env) {
        env.registerInit({
          deps: { scaffolder: scaffolderActionsExtensionPoint },
          async init({ scaffolder }) {
            const { kits, kitVersion } = await loadPackagedKits();
            scaffolder.addActions(
              createRenderEnvironmentAction({ kits, kitVersion }),
              createValidateSecretsLayoutAction(),
            );
          },
        });
      },
    });
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleGithub,
        catalogPlugin,
        validateModule,
        databases.factory,
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [{ allow: ['Template', 'Resource', 'Location'] }],
            },
          },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await backend?.stop();
    await databases.close();
  });

  /** The production template with steps inserted between render and publish, as template.yaml will have them. */
  async function productionTemplate(extraSteps: object[]) {
    const template = await loadTemplate('production');
    // This backend has only the render and validate actions: leave out the catalog checks.
    template.spec.steps = template.spec.steps.filter(
      (s: { action: string }) =>
        s.action !== 'unifiCloudflare:catalog:checkName',
    );
    const publish = template.spec.steps.findIndex(
      (s: { id: string }) => s.id === 'publish',
    );
    template.spec.steps.splice(publish, 0, ...extraSteps);
    return template;
  }

  const validateStep = {
    id: 'validate-secrets',
    name: 'Validate the secrets layout',
    action: VALIDATE_SECRETS_LAYOUT_ACTION_ID,
    input: {
      path: "${{ steps['render'].output.targetPath }}",
      vault: '${{ parameters.vault }}',
      secretsProvider: '${{ parameters.secretsProvider }}',
      items: {
        cloudflare: '${{ parameters.cloudflareItem }}',
        unifi: '${{ parameters.unifiItem }}',
        state: '${{ parameters.stateItem }}',
      },
    },
  };

  async function dryRun(template: object) {
    const response = await fetch(`${baseUrl}/api/scaffolder/v2/dry-run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        template,
        values: formValues(canonicalValues.production),
        secrets: {},
        directoryContents: [],
      }),
    });
    return { status: response.status, body: await response.json() };
  }

  it('lists the action with its schema and examples', async () => {
    const response = await fetch(`${baseUrl}/api/scaffolder/v2/actions`);
    const action = (await response.json()).find(
      (a: { id: string }) => a.id === VALIDATE_SECRETS_LAYOUT_ACTION_ID,
    );
    expect(action.examples).toHaveLength(2);
    expect(action.schema.input.properties.vault.description).toMatch(
      /Example: Infrastructure/,
    );
    expect(action.schema.output.properties.violations.description).toMatch(
      /Number of violations/,
    );
  });

  it('runs between render and publish in a dry run and passes on the rendered kit', async () => {
    const { status, body } = await dryRun(
      await productionTemplate([validateStep]),
    );
    expect(status).toBe(200);
    const log = body.log
      .map((l: { body: { message: string } }) => l.body.message)
      .join('\n');
    expect(log).toMatch(
      /Dry run: validating the production secrets layout in \. \(vault Infrastructure, provider op\)/,
    );
    expect(log).toMatch(/The secrets layout is valid: 8 references/);
    expect(log).not.toMatch(/secretsLayout:validate does not support dry-run/);
  });

  it('fails the dry run with every violation when a step breaks the layout', async () => {
    const breakIt = {
      id: 'break',
      name: 'Lose SECRETS.md',
      action: 'fs:delete',
      input: { files: ['SECRETS.md'] },
    };
    const { status, body } = await dryRun(
      await productionTemplate([breakIt, validateStep]),
    );
    // The scaffolder answers the dry run with the action's InputError: HTTP 400, one line per violation.
    expect(status).toBe(400);
    expect(body.error).toEqual({
      name: 'InputError',
      message:
        'SECRETS.md:0 [secretsDoc] SECRETS.md is missing; nobody can create the 1Password items without it — render the production kit again or restore SECRETS.md from git',
    });
  });
});
