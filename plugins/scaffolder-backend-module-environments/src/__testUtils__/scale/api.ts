import { kitManifest } from '../../kits/manifest';
import { EnvironmentName, formValues } from '../backend';
import { canonicalValues } from '../values';

/** A scaffolder task event as /api/scaffolder/v2/tasks/:id/events returns it. */
export interface TaskEvent {
  id: number;
  type: 'log' | 'completion' | 'cancelled' | 'recovered';
  body: { message?: string; stepId?: string; status?: string; output?: any; recoverStrategy?: string };
  createdAt: string;
}

/** A small JSON client for one backend's REST API, optionally with a bearer token. */
export function apiClient(baseUrl: string, token?: string) {
  async function request(method: string, route: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (an error page): keep the text for the assertion message.
    }
    return { status: response.status, body: parsed };
  }

  return {
    baseUrl,
    request,
    /** Submits a task; returns its id or throws with the answer. */
    async createTask(templateRef: string, values: Record<string, unknown>): Promise<string> {
      const { status, body } = await request('POST', '/api/scaffolder/v2/tasks', { templateRef, values });
      if (status !== 201) throw new Error(`POST /v2/tasks ${templateRef}: HTTP ${status} ${JSON.stringify(body)}`);
      return body.id;
    },
    async getTask(id: string): Promise<{ id: string; status: string; spec: any }> {
      const { status, body } = await request('GET', `/api/scaffolder/v2/tasks/${encodeURIComponent(id)}`);
      if (status !== 200) throw new Error(`GET /v2/tasks/${id}: HTTP ${status} ${JSON.stringify(body)}`);
      return body;
    },
    async events(id: string): Promise<TaskEvent[]> {
      const { status, body } = await request('GET', `/api/scaffolder/v2/tasks/${encodeURIComponent(id)}/events`);
      if (status !== 200) throw new Error(`GET /v2/tasks/${id}/events: HTTP ${status} ${JSON.stringify(body)}`);
      return body;
    },
    /** Polls until the task is completed, failed or cancelled (bounded), and returns it. */
    async waitForTask(id: string, timeoutMs = 60_000): Promise<{ id: string; status: string; spec: any }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const task = await this.getTask(id);
        if (['completed', 'failed', 'cancelled'].includes(task.status)) return task;
        if (Date.now() > deadline) throw new Error(`Task ${id} still ${task.status} after ${timeoutMs} ms`);
        await new Promise(resolve => setTimeout(resolve, 250));
      }
    },
    /** Every task the scaffolder lists (all pages). */
    async listTasks(): Promise<{ id: string; status: string }[]> {
      const tasks: { id: string; status: string }[] = [];
      for (let offset = 0; ; offset += 100) {
        const { status, body } = await request('GET', `/api/scaffolder/v2/tasks?limit=100&offset=${offset}`);
        if (status !== 200) throw new Error(`GET /v2/tasks: HTTP ${status} ${JSON.stringify(body)}`);
        tasks.push(...body.tasks);
        if (body.tasks.length < 100) return tasks;
      }
    },
    /** Polls the catalog until every named template is there (bounded). */
    async waitForTemplates(names: string[], timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let found: string[] = [];
      while (Date.now() < deadline) {
        const { status, body } = await request('GET', '/api/catalog/entities/by-query?filter=kind=template&limit=500');
        found = status === 200 ? body.items.map((e: any) => e.metadata.name) : [];
        if (names.every(n => found.includes(n))) return;
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      throw new Error(`Templates missing from the catalog after ${timeoutMs} ms: ${names.filter(n => !found.includes(n))}`);
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** How often each step started and finished, from a task's events: stepId -> status -> count. */
export function stepRuns(events: TaskEvent[]): Record<string, Record<string, number>> {
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

/** Form values for a variant task: the canonical values of the environment under another name. */
export function variantValues(environment: EnvironmentName, name: string): Record<string, unknown> {
  return { ...formValues(canonicalValues[environment]), name };
}

/** The paths the kit of an environment writes, sorted. */
export function kitPaths(environment: EnvironmentName): string[] {
  return kitManifest[environment].map(f => f.path).sort();
}
