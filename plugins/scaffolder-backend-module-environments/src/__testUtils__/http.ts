/**
 * The one HTTP client of the test code, for every backend the tests talk to (the in-process
 * test backend, the fresh backend of the install test, the replicas of the scale tests), and
 * the one `freePort`.
 */
import { waitUntil } from './waitUntil';

export { freePort } from '../../dev/localBackend';

/** A scaffolder task event as /api/scaffolder/v2/tasks/:id/events returns it. */
export interface TaskEvent {
  id: number;
  type: 'log' | 'completion' | 'cancelled' | 'recovered';
  body: {
    message?: string;
    stepId?: string;
    status?: string;
    output?: any;
    recoverStrategy?: string;
  };
  createdAt: string;
}

/** An answer: the status and the body, parsed as JSON when it is JSON, else the text. */
export interface ApiResponse {
  status: number;
  body: any;
}

/** A task as GET /api/scaffolder/v2/tasks/:id returns it. */
export interface Task {
  id: string;
  status: string;
  spec: any;
}

const FINISHED = ['completed', 'failed', 'cancelled'];

/**
 * A small JSON client for one backend's REST API, optionally with a token: `Bearer` for
 * Backstage, or `token` as octokit sends it to a GitHub API.
 */
export function apiClient(
  baseUrl: string,
  token?: string,
  options: {
    scheme?: 'Bearer' | 'token';
    /** Abort a request after this many milliseconds (for servers in other processes). */
    timeoutMs?: number;
  } = {},
) {
  async function request(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `${options.scheme ?? 'Bearer'} ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const send = () =>
      fetch(`${baseUrl}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal:
          options.timeoutMs === undefined
            ? undefined
            : AbortSignal.timeout(options.timeoutMs),
      });
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      // A kept-alive socket the server closed as idle just as we reused it: the request never
      // reached the server, so sending it again on a new connection is safe.
      if (
        (error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET'
      ) {
        throw error;
      }
      response = await send();
    }
    const text = await response.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (an error page): keep the text for the assertion message.
    }
    return { status: response.status, body: parsed };
  }

  async function expectStatus(
    expected: number,
    method: string,
    route: string,
    body?: unknown,
  ) {
    const answer = await request(method, route, body);
    if (answer.status !== expected) {
      throw new Error(
        `${method} ${route}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    return answer.body;
  }

  const client = {
    baseUrl,
    request,
    /** True when /.backstage/health/v1/readiness answers 200. */
    async isReady(): Promise<boolean> {
      return request('GET', '/.backstage/health/v1/readiness').then(
        r => r.status === 200,
        () => false,
      );
    },
    /** Posts a template definition, values and optional starting files to /api/scaffolder/v2/dry-run. */
    dryRun(
      template: object,
      values: Record<string, unknown>,
      directoryContents: { path: string; base64Content: string }[] = [],
    ): Promise<ApiResponse> {
      return request('POST', '/api/scaffolder/v2/dry-run', {
        template,
        values,
        secrets: {},
        directoryContents,
      });
    },
    /** Submits a task; returns its id or throws with the answer. */
    async createTask(
      templateRef: string,
      values: Record<string, unknown>,
    ): Promise<string> {
      const body = await expectStatus(201, 'POST', '/api/scaffolder/v2/tasks', {
        templateRef,
        values,
      });
      return body.id;
    },
    getTask(id: string): Promise<Task> {
      return expectStatus(
        200,
        'GET',
        `/api/scaffolder/v2/tasks/${encodeURIComponent(id)}`,
      );
    },
    events(id: string): Promise<TaskEvent[]> {
      return expectStatus(
        200,
        'GET',
        `/api/scaffolder/v2/tasks/${encodeURIComponent(id)}/events`,
      );
    },
    /** Polls until the task is completed, failed or cancelled (bounded), and returns it. */
    async waitForTask(id: string, timeoutMs = 60_000): Promise<Task> {
      let last: Task | undefined;
      return waitUntil(
        `task ${id} finishing`,
        async () => {
          last = await client.getTask(id);
          return FINISHED.includes(last.status) && last;
        },
        {
          timeoutMs,
          intervalMs: 250,
          describeLast: () => `status ${last?.status}`,
        },
      );
    },
    /** Every task the scaffolder lists (all pages). */
    async listTasks(): Promise<{ id: string; status: string }[]> {
      const tasks: { id: string; status: string }[] = [];
      for (let offset = 0; ; offset += 100) {
        const body = await expectStatus(
          200,
          'GET',
          `/api/scaffolder/v2/tasks?limit=100&offset=${offset}`,
        );
        tasks.push(...body.tasks);
        if (body.tasks.length < 100) return tasks;
      }
    },
    /** The names of the templates the catalog holds, sorted. */
    async templateNames(): Promise<string[]> {
      const { status, body } = await request(
        'GET',
        '/api/catalog/entities/by-query?filter=kind=template&limit=500',
      );
      return status === 200
        ? body.items.map((e: any) => e.metadata.name).sort()
        : [];
    },
    /** Polls the catalog until every named template is there (bounded). */
    async waitForTemplates(names: string[], timeoutMs = 60_000): Promise<void> {
      let found: string[] = [];
      await waitUntil(
        `the templates ${names.join(', ')} appearing in the catalog`,
        async () => {
          found = await client.templateNames();
          return names.every(n => found.includes(n));
        },
        {
          timeoutMs,
          intervalMs: 250,
          describeLast: () =>
            `missing ${names.filter(n => !found.includes(n))}`,
        },
      );
    },
    /** Polls the catalog until it holds `ref` (`kind:namespace/name`); returns the entity. */
    async waitForEntity(ref: string, timeoutMs = 60_000): Promise<any> {
      const [kind, rest] = ref.split(':');
      const [namespace, name] = rest.split('/');
      return waitUntil(
        `${ref} appearing in the catalog`,
        async () => {
          const { status, body } = await request(
            'GET',
            `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
          );
          return status === 200 && body;
        },
        { timeoutMs, intervalMs: 250 },
      );
    },
  };
  return client;
}

/** The client of one backend. */
export type ApiClient = ReturnType<typeof apiClient>;

/** How often each step started and finished, from a task's events: stepId -> status -> count. */
export function stepRuns(
  events: TaskEvent[],
): Record<string, Record<string, number>> {
  const runs: Record<string, Record<string, number>> = {};
  for (const { body } of events) {
    if (!body.stepId || !body.status) continue;
    runs[body.stepId] ??= {};
    runs[body.stepId][body.status] = (runs[body.stepId][body.status] ?? 0) + 1;
  }
  return runs;
}

/** The output of the task's completion event. */
export function taskOutput(events: TaskEvent[]): any {
  return events.find(e => e.type === 'completion')?.body.output;
}
