import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleGithub from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderModuleEnvironments } from '../module';
import { REPO_ROOT } from '../testing/backend';

/**
 * The backend of `src/testing/backend.ts` (same plugins, modules and catalog), with one
 * difference: `scaffolder.concurrentTasksLimit: 0`, so no task worker runs. `POST /v2/tasks`
 * still validates the form and answers 400 or 201 exactly as before (the answer is given
 * before any worker sees the task), but the thousands of tasks the hostile corpus gets
 * accepted stay queued instead of rendering and failing at publish:github in the background.
 * Dry-runs do not use the worker and are unaffected.
 */
export async function startSecurityBackend() {
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModuleGithub,
      catalogPlugin,
      catalogModuleScaffolderEntityModel,
      scaffolderModuleEnvironments,
      mockServices.rootConfig.factory({
        data: {
          scaffolder: { concurrentTasksLimit: 0 },
          catalog: {
            rules: [{ allow: ['Component', 'Location', 'Template', 'Resource', 'System', 'Group', 'User'] }],
            locations: [{ type: 'file', target: path.join(REPO_ROOT, 'catalog-info.yaml') }],
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  async function request(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Waits until the catalog has read the three templates. */
  async function templatesReady(): Promise<void> {
    for (let attempt = 0; attempt < 240; attempt++) {
      const { body } = await request('GET', '/api/catalog/entities/by-query?filter=kind=template');
      if ((body?.items ?? []).length >= 3) return;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error('The catalog did not register the three templates');
  }

  return {
    request,
    templatesReady,
    stop: () => backend.stop(),
    /** Posts a template definition and values to /api/scaffolder/v2/dry-run. */
    dryRun(template: object, values: Record<string, unknown>, directoryContents: { path: string; base64Content: string }[] = []) {
      return request('POST', '/api/scaffolder/v2/dry-run', { template, values, secrets: {}, directoryContents });
    },
  };
}
