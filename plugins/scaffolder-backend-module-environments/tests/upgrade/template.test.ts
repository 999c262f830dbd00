/**
 * The "Upgrade an environment" template through /v2/tasks to completion: an environment made by
 * the development template is edited on main, then upgraded with a new glue version and an added
 * service. A repository on the local GitHub-compatible host (packages/github-host) gets a pull
 * request from publish:github:pull-request; a local repository gets a new branch. main is never
 * touched; the git CLI reads the result.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadExampleValues } from '../../src/__testUtils__/backend';
import { PACKAGE_DIR } from '../../src/__testUtils__/paths';
import {
  git,
  GITHUB_ORG as ORG,
  GITHUB_TOKEN as TOKEN,
  startTaskBackend,
  TaskBackend,
  taskLog as messages,
} from '../../src/__testUtils__/taskBackend';

jest.setTimeout(180_000);

const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'),
).version;

const commitAs = ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com'];

describe('the upgrade template through /v2/tasks', () => {
  let harness: TaskBackend;
  let api: TaskBackend['backend'];
  let scratch: string;
  let localRepositories: string;
  let host: TaskBackend['host'];

  beforeAll(async () => {
    harness = await startTaskBackend({
      scratchPrefix: 'upgrade-template-test-',
    });
    ({ host, backend: api, scratch, localRepositories } = harness);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  function runTask(templateRef: string, values: Record<string, unknown>) {
    return harness.runTask(templateRef, values);
  }

  it('upgrades a local repository on a new branch, keeping the edit made on main, and leaves main alone', async () => {
    const example = await loadExampleValues('development');
    const name = 'upgrade-me-local';
    const created = await runTask('template:default/development-environment', {
      ...example,
      name,
      publishTarget: 'local',
      repoUrl: 'github.com?',
    });
    expect({
      status: created.task.status,
      log: created.task.status === 'completed' ? '' : messages(created.events),
    }).toEqual({ status: 'completed', log: '' });
    await api.waitForEntity(`resource:default/${name}`);

    // The team's own edit, committed on main.
    const repository = path.join(localRepositories, name);
    const notes = '\n## Our notes\n\nThe NAS reboots on Sundays at 03:00.\n';
    await writeFile(
      path.join(repository, 'README.md'),
      (await readFile(path.join(repository, 'README.md'), 'utf8')) + notes,
    );
    await git(repository, [
      ...commitAs,
      'commit',
      '--quiet',
      '-am',
      'Our notes',
    ]);
    const mainBefore = (await git(repository, ['rev-parse', 'main'])).trim();

    const service = {
      name: 'photos',
      port: 2283,
      protocol: 'http',
      distribution: 'both',
      publicHostname: 'photos.example.com',
    };
    const upgraded = await runTask('template:default/upgrade-environment', {
      environment: `resource:default/${name}`,
      glueVersion: 'v0.13.0',
      addServices: [service],
    });
    expect({
      status: upgraded.task.status,
      log:
        upgraded.task.status === 'completed' ? '' : messages(upgraded.events),
    }).toEqual({ status: 'completed', log: '' });
    expect(
      upgraded.events.some(
        e => e.body.stepId === 'pullRequest' && e.body.status === 'completed',
      ),
    ).toBe(false);

    // main and the working tree are untouched; the branch holds one commit on top of main.
    const branch = `upgrade/kit-${PACKAGE_VERSION}`;
    expect((await git(repository, ['rev-parse', 'main'])).trim()).toBe(
      mainBefore,
    );
    expect((await git(repository, ['status', '--porcelain'])).trim()).toBe('');
    expect((await git(repository, ['rev-parse', `${branch}^`])).trim()).toBe(
      mainBefore,
    );
    const readme = await git(repository, ['show', `${branch}:README.md`]);
    expect(readme.endsWith(notes)).toBe(true);
    expect(readme).toContain('`v0.13.0`');
    const answers = parse(
      await git(repository, ['show', `${branch}:.environment-answers.yaml`]),
    );
    expect(answers.values.glueVersion).toBe('v0.13.0');
    // One device: the added service names none and goes to it.
    expect(example.devices).toHaveLength(1);
    expect(
      answers.values.devices.map((d: any) =>
        d.services.map((s: any) => s.name),
      ),
    ).toEqual([
      [...example.devices[0].services.map((s: any) => s.name), 'photos'],
    ]);
    expect(await git(repository, ['show', `${branch}:kcl/main.k`])).toContain(
      'photos',
    );
    expect(
      await git(repository, ['diff', '--name-only', 'main', branch]),
    ).toContain('kcl/kcl.mod');

    // The task's text and the commit message list what changed, what merged and the conflicts.
    const text: { title: string; content: string }[] = upgraded.output.text;
    expect(text[0].title).toBe(
      `Upgrade to kit ${PACKAGE_VERSION} on branch ${branch}`,
    );
    expect(text[0].content).toMatch(/### What changed\n\n[^#]*`kcl\/kcl\.mod`/);
    expect(text[0].content).toMatch(
      /### Merged cleanly with your changes\n\n- `README\.md`/,
    );
    expect(text[0].content).toMatch(/### Conflicts\n\n- none/);
    expect(
      await git(repository, ['log', '-1', '--format=%B', branch]),
    ).toContain('### What changed');
    const link = upgraded.output.links.find(
      (l: any) => l.title === 'Local repository (git clone URL)',
    );
    expect(fileURLToPath(link.url)).toBe(repository);

    // A second run finds the branch taken and says so; nothing moves.
    const branchHead = (await git(repository, ['rev-parse', branch])).trim();
    const again = await runTask('template:default/upgrade-environment', {
      environment: `resource:default/${name}`,
    });
    expect(again.task.status).toBe('failed');
    expect(messages(again.events)).toContain(`already has a branch ${branch}`);
    expect((await git(repository, ['rev-parse', branch])).trim()).toBe(
      branchHead,
    );
    expect((await git(repository, ['rev-parse', 'main'])).trim()).toBe(
      mainBefore,
    );
  });

  it('opens a pull request on the GitHub-compatible host, keeping the edit pushed to main, and leaves main alone', async () => {
    const example = await loadExampleValues('staging');
    const name = 'upgrade-me-github';
    const created = await runTask('template:default/staging-environment', {
      ...example,
      name,
      publishTarget: 'github',
      repoUrl: `${host.host}?owner=${ORG}&repo=${name}`,
    });
    expect({
      status: created.task.status,
      log: created.task.status === 'completed' ? '' : messages(created.events),
    }).toEqual({ status: 'completed', log: '' });
    const entity = await api.waitForEntity(`resource:default/${name}`);
    expect(entity.spec.scaffoldedFrom).toBe(
      'template:default/staging-environment',
    );
    expect(entity.metadata.annotations['backstage.io/template-version']).toBe(
      PACKAGE_VERSION,
    );

    // The team's own edit, pushed to main over smart HTTP.
    const clone = path.join(scratch, 'clone-github');
    await git(scratch, [
      'clone',
      '--quiet',
      `http://x-access-token:${TOKEN}@${host.host}/${ORG}/${name}.git`,
      clone,
    ]);
    const notes = '\n## Our notes\n\nThe NAS reboots on Sundays at 03:00.\n';
    await writeFile(
      path.join(clone, 'README.md'),
      (await readFile(path.join(clone, 'README.md'), 'utf8')) + notes,
    );
    await git(clone, [...commitAs, 'commit', '--quiet', '-am', 'Our notes']);
    await git(clone, ['push', '--quiet', 'origin', 'main']);
    const bare = host.repositoryPath(ORG, name);
    const mainBefore = (await git(bare, ['rev-parse', 'main'])).trim();

    // Several devices: the added service names the one that runs it.
    const device = example.devices[example.devices.length - 1].hostname;
    expect(example.devices.length).toBeGreaterThan(1);
    const upgraded = await runTask('template:default/upgrade-environment', {
      environment: `resource:default/${name}`,
      glueVersion: 'v0.13.0',
      addServices: [
        {
          name: 'wiki',
          port: 3001,
          protocol: 'http',
          distribution: 'unifi_only',
          device,
        },
      ],
    });
    expect({
      status: upgraded.task.status,
      log:
        upgraded.task.status === 'completed' ? '' : messages(upgraded.events),
    }).toEqual({ status: 'completed', log: '' });
    expect(host.unimplemented).toEqual([]);

    const branch = `upgrade/kit-${PACKAGE_VERSION}`;
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(mainBefore);
    expect((await git(bare, ['rev-parse', `${branch}^`])).trim()).toBe(
      mainBefore,
    );
    const readme = await git(bare, ['show', `${branch}:README.md`]);
    expect(readme.endsWith(notes)).toBe(true);
    expect(readme).toContain('`v0.13.0`');
    const answers = parse(
      await git(bare, ['show', `${branch}:.environment-answers.yaml`]),
    );
    expect(answers.values.glueVersion).toBe('v0.13.0');
    expect(
      answers.values.devices.map((d: any) => [
        d.hostname,
        d.services.map((s: any) => s.name),
      ]),
    ).toEqual(
      example.devices.map((d: any) => [
        d.hostname,
        [
          ...d.services.map((s: any) => s.name),
          ...(d.hostname === device ? ['wiki'] : []),
        ],
      ]),
    );
    // Modes survive the trip through the workspace and the Git Data API.
    expect(await git(bare, ['ls-tree', branch, 'scripts/load-env.sh'])).toMatch(
      /^100644 /,
    );

    const link = upgraded.output.links.find(
      (l: any) => l.title === 'Pull request',
    );
    expect(link.url).toBe(`${host.baseUrl}/${ORG}/${name}/pull/1`);
    const pull = await fetch(
      `${host.apiBaseUrl}/repos/${ORG}/${name}/pulls/1`,
      { headers: { authorization: `token ${TOKEN}` } },
    ).then(r => r.json());
    expect(pull).toMatchObject({
      state: 'open',
      head: { ref: branch },
      base: { ref: 'main', sha: mainBefore },
    });
    expect(pull.title).toBe(`Upgrade ${name} to kit ${PACKAGE_VERSION}`);
    expect(pull.body).toMatch(/### What changed\n\n[^#]*`kcl\/kcl\.mod`/);
    expect(pull.body).toMatch(
      /### Merged cleanly with your changes\n\n- `README\.md`/,
    );
    expect(pull.body).toMatch(/### Conflicts\n\n- none/);

    // Nothing can move main through the API either: publish:github protected it.
    const push = await fetch(
      `${host.apiBaseUrl}/repos/${ORG}/${name}/git/refs/heads/main`,
      {
        method: 'PATCH',
        headers: {
          authorization: `token ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          sha: (await git(bare, ['rev-parse', branch])).trim(),
          force: true,
        }),
      },
    );
    expect(push.status).toBe(422);
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(mainBefore);
  });
});
