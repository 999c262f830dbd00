/**
 * Every template through /v2/tasks to completion, not a dry-run: on the default path (publish to
 * a GitHub host with publish:github, register with catalog:register, the catalog reading the file
 * back through the GitHub URL reader) against the local GitHub-compatible host of
 * packages/github-host (real bare repositories, real pushes), and on the local path
 * (unifiCloudflare:repository:publishLocal and :catalog:registerLocal). Each repository is checked
 * with the git CLI: the files the dry-run of the same values renders, byte for byte, with their
 * modes, on `main`; the entity is checked in the catalog, the task's links are followed, and a
 * second run with the same name must fail with a clear message and change nothing.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { kitManifest } from '../../src/kits/manifest';
import { apiClient, TaskEvent } from '../../src/__testUtils__/http';
import {
  DryRunFile,
  EnvironmentName,
  loadExampleValues,
  loadTemplate,
} from '../../src/__testUtils__/backend';
import {
  git,
  GITHUB_ORG,
  GITHUB_TOKEN,
  startTaskBackend,
  TaskBackend,
  taskLog,
} from '../../src/__testUtils__/taskBackend';

jest.setTimeout(180_000);

const ENVIRONMENTS: EnvironmentName[] = [
  'development',
  'staging',
  'production',
];

const exampleValues = loadExampleValues;

/** path -> { mode, content } of a commit, read with `git ls-tree` and `git cat-file`. */
async function treeOf(repository: string, ref: string) {
  const listing = await git(repository, ['ls-tree', '-r', '-z', ref]);
  const files = new Map<string, { mode: string; content: string }>();
  for (const line of listing.split('\0').filter(Boolean)) {
    const [meta, file] = line.split('\t');
    const [mode, , sha] = meta.split(' ');
    files.set(file, {
      mode,
      content: await git(repository, ['cat-file', 'blob', sha]),
    });
  }
  return files;
}

/** What the dry-run renders for the same values, with the modes the kit manifest gives. */
async function expectedTree(
  backend: Backend,
  environment: EnvironmentName,
  values: Record<string, unknown>,
) {
  const { status, body } = await backend.dryRun(
    await loadTemplate(environment),
    values,
  );
  expect(status).toBe(200);
  const modes = new Map(
    kitManifest[environment].map(f => [
      f.path,
      f.mode === 0o755 ? '100755' : '100644',
    ]),
  );
  return new Map(
    (body.directoryContents as DryRunFile[]).map(f => [
      f.path,
      {
        mode: modes.get(f.path) ?? 'not in the kit manifest',
        content: Buffer.from(f.base64Content, 'base64').toString('utf8'),
      },
    ]),
  );
}

type Backend = TaskBackend['backend'];

/**
 * A second run with a taken name fails at the publish step with the publisher's own message, or
 * earlier, at a step that checks the name first, with a message naming it.
 */
function expectRefusal(
  events: TaskEvent[],
  publishStep: string,
  publisherMessages: string[],
  name: string,
) {
  const failed = events.find(e => e.body.stepId && e.body.status === 'failed');
  expect(failed).toBeDefined();
  const failedStep = failed!.body.stepId!;
  const log = events
    .filter(e => e.body.stepId === failedStep)
    .map(e => e.body.message ?? '')
    .join('\n');
  if (failedStep === publishStep) {
    for (const message of publisherMessages) expect(log).toContain(message);
  } else {
    expect(
      events.some(
        e => e.body.stepId === publishStep && e.body.status === 'completed',
      ),
    ).toBe(false);
    expect(log).toContain(name);
  }
}

describe('the templates through /v2/tasks to completion', () => {
  let harness: TaskBackend;
  let host: TaskBackend['host'];
  let backend: Backend;
  let api: Backend;
  let scratch: string;
  let localRepositories: string;

  beforeAll(async () => {
    // The host as a GitHub Enterprise-style integration, and github.com sent to it as
    // `npm start` does with LOCAL_GITHUB_HOST=1 (so the example values work verbatim).
    harness = await startTaskBackend({
      scratchPrefix: 'tasks-test-',
      interceptGithubCom: true,
    });
    ({ host, backend, scratch, localRepositories } = harness);
    api = backend;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  async function runTask(
    environment: EnvironmentName,
    values: Record<string, unknown>,
  ) {
    return harness.runTask(
      `template:default/${environment}-environment`,
      values,
    );
  }

  /** The local GitHub host's REST API, as octokit calls it. */
  function githubApi() {
    return apiClient(host.apiBaseUrl, GITHUB_TOKEN, { scheme: 'token' });
  }

  function entityEventually(ref: string) {
    return api.waitForEntity(ref, 60_000);
  }

  async function clone(url: string, into: string) {
    await git(scratch, ['clone', '--quiet', url, into]);
    return into;
  }

  it('passes every step only inputs its action declares', async () => {
    // publish:github refuses undeclared inputs only when it runs, and dry-runs skip it.
    const { body: actions } = await api.request(
      'GET',
      '/api/scaffolder/v2/actions',
    );
    const schemas = new Map<string, any>(
      actions.map((a: any) => [a.id, a.schema?.input]),
    );
    const declared = (schema: any): Set<string> =>
      new Set([
        ...Object.keys(schema?.properties ?? {}),
        ...[...(schema?.anyOf ?? []), ...(schema?.oneOf ?? [])].flatMap(
          (s: any) => [...declared(s)],
        ),
      ]);
    for (const environment of ENVIRONMENTS) {
      for (const step of (await loadTemplate(environment)).spec.steps) {
        expect({ step: step.id, known: schemas.has(step.action) }).toEqual({
          step: step.id,
          known: true,
        });
        const allowed = declared(schemas.get(step.action));
        const undeclared = Object.keys(step.input ?? {}).filter(
          key => !allowed.has(key),
        );
        expect({ environment, step: step.id, undeclared }).toEqual({
          environment,
          step: step.id,
          undeclared: [],
        });
      }
    }
  });

  describe.each(ENVIRONMENTS)('%s', environment => {
    let values: Record<string, any>;
    let repository: string;
    let firstHead: string;

    beforeAll(async () => {
      const example = await exampleValues(environment);
      // The example's owner and repository, on the host's own name (as for GitHub Enterprise).
      const owner = new URL(`https://${example.repoUrl}`).searchParams.get(
        'owner',
      );
      values = {
        ...example,
        publishTarget: 'github',
        repoUrl: `${host.host}?owner=${owner}&repo=${example.name}`,
      };
      repository = host.repositoryPath(owner!, example.name);
    });

    it('publishes to the GitHub-compatible host, registers the entity, and its links resolve', async () => {
      // Before the run: a name check in the template refuses a dry-run of a name that is taken.
      const expected = await expectedTree(backend, environment, values);
      const { task, events, output } = await runTask(environment, values);
      expect({
        status: task.status,
        log: task.status === 'completed' ? '' : taskLog(events),
      }).toEqual({ status: 'completed', log: '' });
      const completedSteps = events
        .filter(e => e.body.status === 'completed' && e.body.stepId)
        .map(e => e.body.stepId);
      expect(completedSteps.indexOf('render')).toBeLessThan(
        completedSteps.indexOf('publish'),
      );
      expect(completedSteps.indexOf('publish')).toBeLessThan(
        completedSteps.indexOf('register'),
      );
      // Production: nothing is published before the secrets layout of the render is checked.
      const validated = completedSteps.indexOf('validate-secrets');
      expect({
        environment,
        validatedBetweenRenderAndPublish:
          validated > completedSteps.indexOf('render') &&
          validated < completedSteps.indexOf('publish'),
      }).toEqual({
        environment,
        validatedBetweenRenderAndPublish: environment === 'production',
      });

      // The repository: a real clone over smart HTTP, main holds exactly the rendered files and modes.
      const remoteUrl = `${host.baseUrl}/${GITHUB_ORG}/${values.name}.git`;
      const cloned = await clone(
        `http://x-access-token:${GITHUB_TOKEN}@${host.host}/${GITHUB_ORG}/${values.name}.git`,
        path.join(scratch, `clone-${environment}`),
      );
      expect(
        (await git(cloned, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim(),
      ).toBe('main');
      expect((await git(cloned, ['rev-list', '--count', 'main'])).trim()).toBe(
        '1',
      );
      expect(
        (await git(cloned, ['log', '-1', '--format=%s', 'main'])).trim(),
      ).toBe(`Create the ${environment} environment ${values.name}`);
      const actual = await treeOf(cloned, 'main');
      expect([...actual.keys()].sort()).toEqual(
        kitManifest[environment].map(f => f.path).sort(),
      );
      for (const [file, want] of expected)
        expect({ file, ...actual.get(file) }).toEqual({ file, ...want });
      firstHead = (await git(repository, ['rev-parse', 'main'])).trim();

      // publish:github protected the default branch (its default), through the host's API.
      const protection = await githubApi().request(
        'GET',
        `/repos/${GITHUB_ORG}/${values.name}/branches/main/protection`,
      );
      expect(protection.status).toBe(200);

      // The task page's links: the repository answers, the entity exists in the catalog.
      const links: { title: string; url?: string; entityRef?: string }[] =
        output.links;
      const repoLink = links.find(l => l.title === 'Repository')!;
      expect(repoLink.url).toBe(remoteUrl);
      const page = await fetch(repoLink.url!, {
        headers: { authorization: `token ${GITHUB_TOKEN}` },
      });
      expect({ status: page.status, url: page.url }).toEqual({
        status: 200,
        url: `${host.baseUrl}/${GITHUB_ORG}/${values.name}`,
      });
      expect((await fetch(repoLink.url!)).status).toBe(404); // private, as on GitHub
      const entityRef = links.find(
        l => l.title === 'Open in catalog' && l.entityRef,
      )!.entityRef!;
      expect(entityRef).toBe(`resource:default/${values.name}`);
      const entity = await entityEventually(entityRef);
      expect(entity.spec).toMatchObject({
        type: 'environment',
        owner: values.owner,
      });
      // catalog:register resolves the file against repoContentsUrl (.../blob/main) with the GitHub
      // integration's resolveUrl, which writes tree/ (GitHub redirects it to blob/ for a file).
      const location = `${host.baseUrl}/${GITHUB_ORG}/${values.name}/tree/main/catalog-info.yaml`;
      expect(
        entity.metadata.annotations['backstage.io/managed-by-location'],
      ).toBe(`url:${location}`);
      // ... read from the host by the GitHub URL reader (token configured: the contents API).
      const reads = host.requests.filter(
        r =>
          r.path ===
          `/api/v3/repos/${GITHUB_ORG}/${values.name}/contents/catalog-info.yaml`,
      );
      expect(reads.map(r => r.status)).toContain(200);
      const file = await fetch(location, {
        headers: { authorization: `token ${GITHUB_TOKEN}` },
      });
      expect({ status: file.status, url: file.url }).toEqual({
        status: 200,
        url: location.replace('/tree/', '/blob/'),
      });
      expect(host.unimplemented).toEqual([]);
    });

    it('refuses a second run with the same name and leaves the repository and the catalog unchanged', async () => {
      expect(firstHead).toMatch(/^[0-9a-f]{40}$/);
      const { body: before } = await api.request(
        'GET',
        '/api/catalog/locations',
      );
      const { task, events } = await runTask(environment, values);
      expect(task.status).toBe('failed');
      expectRefusal(
        events,
        'publish',
        [
          `Failed to create the Organization repository ${GITHUB_ORG}/${values.name}`,
          'name already exists on this account',
        ],
        values.name,
      );
      expect(
        events.some(
          e => e.body.stepId === 'register' && e.body.status === 'completed',
        ),
      ).toBe(false);
      expect((await git(repository, ['rev-parse', 'main'])).trim()).toBe(
        firstHead,
      );
      expect(
        (await git(repository, ['for-each-ref', '--format=%(refname)'])).trim(),
      ).toBe('refs/heads/main');
      const { body: after } = await api.request(
        'GET',
        '/api/catalog/locations',
      );
      expect(after.length).toBe(before.length);
    });

    it('publishes locally, with no leftover GitHub location in the answers file, and refuses a second run', async () => {
      // As the Create page sends it: the RepoUrlPicker's "github.com?" stays in the form data
      // after the developer switches to the local target.
      const localValues = {
        ...values,
        name: `${values.name}-local`,
        publishTarget: 'local',
        repoUrl: 'github.com?',
      };
      // Before the run: a dry-run of publishLocal (or a name check) refuses a name that is taken.
      const expected = await expectedTree(backend, environment, localValues);
      const { task, events, output } = await runTask(environment, localValues);
      expect({
        status: task.status,
        log: task.status === 'completed' ? '' : taskLog(events),
      }).toEqual({ status: 'completed', log: '' });
      expect(
        events.some(
          e => e.body.stepId === 'publish' && e.body.status === 'completed',
        ),
      ).toBe(false);

      const links: { title: string; url?: string; entityRef?: string }[] =
        output.links;
      const cloneUrl = links.find(
        l => l.title === 'Local repository (git clone URL)',
      )!.url!;
      expect(fileURLToPath(cloneUrl)).toBe(
        path.join(localRepositories, localValues.name),
      );
      const cloned = await clone(
        cloneUrl,
        path.join(scratch, `local-clone-${environment}`),
      );
      const actual = await treeOf(cloned, 'main');
      expect([...actual.keys()].sort()).toEqual(
        kitManifest[environment].map(f => f.path).sort(),
      );
      for (const [file, want] of expected)
        expect({ file, ...actual.get(file) }).toEqual({ file, ...want });

      const answers = parse(actual.get('.environment-answers.yaml')!.content);
      expect(answers.values.publishTarget).toBe('local');
      expect(answers.values).not.toHaveProperty('repoUrl');
      const entity = parse(actual.get('catalog-info.yaml')!.content);
      expect(JSON.stringify(entity)).not.toContain('github.com?');
      expect(entity.metadata.annotations).not.toHaveProperty(
        'backstage.io/source-location',
      );

      const entityRef = links.find(
        l => l.title === 'Open in catalog' && l.entityRef,
      )!.entityRef!;
      expect(entityRef).toBe(`resource:default/${localValues.name}`);
      await entityEventually(entityRef);

      const head = (await git(cloned, ['rev-parse', 'main'])).trim();
      const again = await runTask(environment, localValues);
      expect(again.task.status).toBe('failed');
      expectRefusal(
        again.events,
        'publishLocal',
        [`A local repository named ${localValues.name} already exists`],
        localValues.name,
      );
      const local = fileURLToPath(cloneUrl);
      expect((await git(local, ['rev-parse', 'main'])).trim()).toBe(head);
      expect((await git(local, ['status', '--porcelain'])).trim()).toBe('');
    });
  });

  it('publishes the example values verbatim when github.com is sent to the host (npm start with LOCAL_GITHUB_HOST=1)', async () => {
    const example = await exampleValues('development');
    const name = `${example.name}-via-github-com`;
    const values = {
      ...example,
      name,
      repoUrl: `github.com?owner=${GITHUB_ORG}&repo=${name}`,
    };
    const { task, events, output } = await runTask('development', values);
    expect({
      status: task.status,
      log: task.status === 'completed' ? '' : taskLog(events),
    }).toEqual({ status: 'completed', log: '' });
    expect(output.links.find((l: any) => l.title === 'Repository').url).toBe(
      `${host.baseUrl}/${GITHUB_ORG}/${name}.git`,
    );
    expect(
      (
        await git(host.repositoryPath(GITHUB_ORG, name), [
          'ls-tree',
          '--name-only',
          'main',
          'deploy.sh',
        ])
      ).trim(),
    ).toBe('deploy.sh');
    await entityEventually(`resource:default/${name}`);
  });

  it("fails the task with GitHub's answer for an owner that does not exist, and creates nothing", async () => {
    const example = await exampleValues('development');
    const values = {
      ...example,
      name: 'no-such-owner-env',
      repoUrl: `${host.host}?owner=nobody-here&repo=no-such-owner-env`,
    };
    const { task, events } = await runTask('development', values);
    expect(task.status).toBe('failed');
    expect(taskLog(events)).toMatch(/\[publish failed\][^\n]*Not Found/);
    const listing = await githubApi().request(
      'GET',
      '/repos/nobody-here/no-such-owner-env',
    );
    expect(listing.status).toBe(404);
  });
});
