/**
 * The local GitHub-compatible host (packages/github-host) against the Backstage code that talks
 * to GitHub: the real publish:github action, the real GitHub URL reader, the git CLI. A stand-in
 * that accepts what GitHub refuses would make tasks.test.ts lie, so the refusals are tested here.
 */
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createPublishGithubAction } from '@backstage/plugin-scaffolder-backend-module-github';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  githubIntegrations,
  GithubHost,
  startGithubHost,
} from '@internal/github-host';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run, runOrFail } from '../../src/__testUtils__/processes';
import { apiClient } from '../../src/__testUtils__/http';
import { gitEnv } from '../../src/__testUtils__/taskBackend';

jest.setTimeout(60_000);

const TOKEN = 'ghp_host_test_token';
const OTHER_TOKEN = 'ghp_other_user_token';

describe('the local GitHub-compatible host', () => {
  let host: GithubHost;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'github-host-test-'));
    host = await startGithubHost({
      root: path.join(scratch, 'github'),
      accounts: [
        { login: 'scaffolder-bot', type: 'User', token: TOKEN },
        { login: 'outsider', type: 'User', token: OTHER_TOKEN },
        { login: 'acme', type: 'Organization', members: ['scaffolder-bot'] },
      ],
    });
  });
  afterAll(async () => {
    await host?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  function rest(method: string, route: string, token?: string, body?: unknown) {
    return apiClient(host.apiBaseUrl, token, { scheme: 'token' }).request(
      method,
      route,
      body,
    );
  }

  function publishAction(token: string) {
    const config = new ConfigReader({
      integrations: { github: githubIntegrations(host, token) },
    });
    return createPublishGithubAction({
      integrations: ScmIntegrations.fromConfig(config),
      config,
    });
  }

  async function workspace() {
    const dir = await mkdtemp(path.join(scratch, 'workspace-'));
    await writeFile(
      path.join(dir, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: x\n',
    );
    await mkdir(path.join(dir, 'kcl'));
    await writeFile(path.join(dir, 'kcl', 'main.k'), 'x = 1\n');
    await writeFile(
      path.join(dir, 'deploy.sh'),
      '#!/usr/bin/env bash\necho deploy\n',
    );
    await chmod(path.join(dir, 'deploy.sh'), 0o755);
    return dir;
  }

  it('answers the REST API as GitHub does: 401 for a wrong or missing token, 404 for an unknown owner, 422 for a taken name', async () => {
    expect(await rest('GET', '/users/acme', 'wrong')).toMatchObject({
      status: 401,
      body: { message: 'Bad credentials' },
    });
    expect(
      await rest('POST', '/orgs/acme/repos', undefined, { name: 'a' }),
    ).toMatchObject({
      status: 401,
      body: { message: 'Requires authentication' },
    });
    expect(await rest('GET', '/users/nobody-here')).toMatchObject({
      status: 404,
      body: { message: 'Not Found' },
    });
    expect(
      await rest('POST', '/orgs/nobody-here/repos', TOKEN, { name: 'a' }),
    ).toMatchObject({ status: 404 });
    expect(
      await rest('POST', '/orgs/acme/repos', OTHER_TOKEN, { name: 'a' }),
    ).toMatchObject({ status: 403 });
    expect(await rest('GET', '/users/acme')).toMatchObject({
      status: 200,
      body: { login: 'acme', type: 'Organization' },
    });
    expect(await rest('GET', '/users/scaffolder-bot')).toMatchObject({
      status: 200,
      body: { type: 'User' },
    });

    const created = await rest('POST', '/orgs/acme/repos', TOKEN, {
      name: 'taken',
      private: true,
      visibility: 'private',
    });
    expect(created).toMatchObject({
      status: 201,
      body: {
        full_name: 'acme/taken',
        private: true,
        default_branch: 'main',
        clone_url: `${host.baseUrl}/acme/taken.git`,
        html_url: `${host.baseUrl}/acme/taken`,
      },
    });
    const again = await rest('POST', '/orgs/acme/repos', TOKEN, {
      name: 'Taken',
    });
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({
      message: 'Repository creation failed.',
      errors: [
        { field: 'name', message: 'name already exists on this account' },
      ],
    });
    // Private: hidden from anyone who is not the owner or a member.
    expect((await rest('GET', '/repos/acme/taken')).status).toBe(404);
    expect((await rest('GET', '/repos/acme/taken', OTHER_TOKEN)).status).toBe(
      404,
    );
    expect((await rest('GET', '/repos/acme/taken', TOKEN)).status).toBe(200);
    // An empty repository has no commits and no contents.
    expect(
      await rest('GET', '/repos/acme/taken/commits/main/status', TOKEN),
    ).toMatchObject({
      status: 409,
      body: { message: 'Git Repository is empty.' },
    });
  });

  it('lets the real publish:github push a workspace with its modes, to an organization and to the user', async () => {
    for (const [owner, repo] of [
      ['acme', 'published'],
      ['scaffolder-bot', 'mine'],
    ]) {
      const ctx = createMockActionContext({
        input: {
          repoUrl: `${host.host}?owner=${owner}&repo=${repo}`,
          defaultBranch: 'main',
          repoVisibility: 'private',
          description: 'd',
        },
        workspacePath: await workspace(),
      });
      await publishAction(TOKEN).handler(ctx as any);
      expect(ctx.output).toHaveBeenCalledWith(
        'remoteUrl',
        `${host.baseUrl}/${owner}/${repo}.git`,
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'repoContentsUrl',
        `${host.baseUrl}/${owner}/${repo}/blob/main`,
      );
      const { output } = await runOrFail(
        'git ls-tree',
        'git',
        ['ls-tree', '-r', 'main'],
        { cwd: host.repositoryPath(owner, repo), env: gitEnv() },
      );
      expect(output).toMatch(/^100755 blob [0-9a-f]{40}\tdeploy\.sh$/m);
      expect(output).toMatch(/^100644 blob [0-9a-f]{40}\tkcl\/main\.k$/m);
    }
    // The same repository again: GitHub's 422, through the action's own message.
    const again = createMockActionContext({
      input: {
        repoUrl: `${host.host}?owner=acme&repo=published`,
        defaultBranch: 'main',
      },
      workspacePath: await workspace(),
    });
    await expect(publishAction(TOKEN).handler(again as any)).rejects.toThrow(
      /^Failed to create the Organization repository acme\/published, Repository creation failed\.: .*name already exists on this account/,
    );
    const calls = host.requests
      .filter(
        r => r.path.startsWith('/api/v3/users/') || r.path.endsWith('/repos'),
      )
      .map(r => `${r.method} ${r.path}`);
    expect(calls).toEqual(
      expect.arrayContaining([
        'GET /api/v3/users/acme',
        'POST /api/v3/orgs/acme/repos',
        'GET /api/v3/users/scaffolder-bot',
        'POST /api/v3/user/repos',
      ]),
    );
    expect(host.unimplemented).toEqual([]);
  });

  it("fails publish:github with GitHub's answer for a wrong token, and creates nothing", async () => {
    const ctx = createMockActionContext({
      input: {
        repoUrl: `${host.host}?owner=acme&repo=never`,
        defaultBranch: 'main',
      },
      workspacePath: await workspace(),
    });
    await expect(
      publishAction('ghp_wrong').handler(ctx as any),
    ).rejects.toThrow(/Bad credentials/);
    expect((await rest('GET', '/repos/acme/never', TOKEN)).status).toBe(404);
    await expect(stat(host.repositoryPath('acme', 'never'))).rejects.toThrow(
      /ENOENT/,
    );
  });

  it('serves git over smart HTTP only with the token, and hides private repositories from others', async () => {
    const url = (user?: string, token?: string) =>
      `http://${user ? `${user}:${token}@` : ''}${host.host}/acme/published.git`;
    const clone = (from: string) =>
      run(
        'git',
        [
          'clone',
          '--quiet',
          from,
          path.join(scratch, `clone-${Math.random()}`),
        ],
        { cwd: scratch, env: gitEnv() },
      );
    expect(await clone(url())).toMatchObject({
      code: 128,
      output: expect.stringMatching(
        /could not read Username|Authentication failed/,
      ),
    });
    expect(await clone(url('x-access-token', 'wrong'))).toMatchObject({
      code: 128,
      output: expect.stringContaining('Authentication failed'),
    });
    expect(await clone(url('x-access-token', OTHER_TOKEN))).toMatchObject({
      code: 128,
      output: expect.stringContaining('not found'),
    });
    expect(await clone(url('x-access-token', TOKEN))).toMatchObject({
      code: 0,
    });
  });

  it('serves the GitHub URL reader: files through the contents API, trees as tarballs with modes, glob search', async () => {
    const logger = mockServices.logger.mock();
    const reader = UrlReaders.default({
      config: new ConfigReader({
        integrations: { github: githubIntegrations(host, TOKEN) },
      }),
      logger,
    });
    const base = `${host.baseUrl}/acme/published`;

    const file = await reader.readUrl(`${base}/blob/main/catalog-info.yaml`);
    expect((await file.buffer()).toString()).toContain('kind: Resource');
    // The ETag lets the catalog skip unchanged files, as on GitHub.
    await expect(
      reader.readUrl(`${base}/blob/main/catalog-info.yaml`, {
        etag: file.etag,
      }),
    ).rejects.toMatchObject({ name: 'NotModifiedError' });
    await expect(
      reader.readUrl(`${base}/blob/main/missing.yaml`),
    ).rejects.toMatchObject({ name: 'NotFoundError' });

    const tree = await reader.readTree(`${base}/tree/main`);
    const dir = await tree.dir();
    expect((await stat(path.join(dir, 'deploy.sh'))).mode & 0o111).not.toBe(0);
    expect((await stat(path.join(dir, 'kcl', 'main.k'))).mode & 0o111).toBe(0);

    const found = await reader.search(`${base}/blob/main/**/*.k`);
    expect(found.files.map(f => f.url)).toEqual([
      `${base}/blob/main/kcl/main.k`,
    ]);
    expect((await found.files[0].content()).toString()).toBe('x = 1\n');

    // Without a token the reader uses rawBaseUrl, and a private repository is not there for it.
    const anonymous = UrlReaders.default({
      config: new ConfigReader({
        integrations: {
          github: [
            {
              host: host.host,
              apiBaseUrl: host.apiBaseUrl,
              rawBaseUrl: host.rawBaseUrl,
            },
          ],
        },
      }),
      logger,
    });
    await expect(
      anonymous.readUrl(`${base}/blob/main/catalog-info.yaml`),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(
      host.requests.some(
        r =>
          r.path === '/raw/acme/published/main/catalog-info.yaml' &&
          r.status === 404,
      ),
    ).toBe(true);
    expect(host.unimplemented).toEqual([]);
  });
});
