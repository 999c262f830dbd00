import {
  githubIntegrations,
  GithubHost,
  startGithubHost,
} from '@internal/github-host';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { catalogModuleLocalRepositories } from '../module';
import { startScaffolderBackend } from './backend';
import { TaskEvent, taskOutput } from './http';
import { runOrFail, userEnv } from './processes';

/** The token of the bot account on the local GitHub host (one per test file). */
export const GITHUB_TOKEN = `ghp_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
/** The bot account the scaffolder publishes as. */
export const GITHUB_BOT = 'scaffolder-bot';
/** The organization the bot belongs to, where the templates create repositories. */
export const GITHUB_ORG = 'acme';

/** The environment git runs with in the tests: no prompt, no global or system configuration. */
export function gitEnv(): NodeJS.ProcessEnv {
  return userEnv({
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
  });
}

/** Runs git in `cwd` and resolves to its output; fails with git's message. */
export async function git(cwd: string, args: string[]): Promise<string> {
  return (await runOrFail('git', 'git', args, { cwd, env: gitEnv() })).output;
}

/** A task's events as lines `[step status] message`, for an assertion that shows the log. */
export function taskLog(events: TaskEvent[]): string {
  return events
    .map(
      e =>
        `[${e.body.stepId ?? e.type}${e.body.status ? ` ${e.body.status}` : ''}] ${e.body.message ?? ''}`,
    )
    .join('\n');
}

export interface TaskBackendOptions {
  /** Prefix of the scratch directory under the system temp directory. */
  scratchPrefix: string;
  /** Send github.com to the local host too, as `npm start` does with LOCAL_GITHUB_HOST=1. */
  interceptGithubCom?: boolean;
}

/**
 * The setup of the suites that run templates through /v2/tasks to completion: the local
 * GitHub-compatible host of packages/github-host (the bot, member of the organization) as the
 * backend's GitHub integration, the local publisher writing into `<scratch>/local-repositories`
 * with the catalog side of local publishing (as dev/index.ts adds it for npm start), and the
 * templates read by the catalog. `stop` ends both servers and removes the scratch directory.
 */
export async function startTaskBackend(options: TaskBackendOptions) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), options.scratchPrefix));
  const localRepositories = path.join(scratch, 'local-repositories');
  let host: GithubHost | undefined;
  let backend: Awaited<ReturnType<typeof startScaffolderBackend>> | undefined;
  const stop = async () => {
    await backend?.stop();
    await host?.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    host = await startGithubHost({
      root: path.join(scratch, 'github'),
      accounts: [
        { login: GITHUB_BOT, type: 'User', token: GITHUB_TOKEN },
        { login: GITHUB_ORG, type: 'Organization', members: [GITHUB_BOT] },
      ],
    });
    backend = await startScaffolderBackend({
      config: {
        integrations: {
          github: githubIntegrations(host, GITHUB_TOKEN, {
            interceptGithubCom: options.interceptGithubCom ?? false,
          }),
        },
        unifiCloudflare: {
          localPublisher: { enabled: true, directory: localRepositories },
        },
      },
      features: [catalogModuleLocalRepositories],
    });
    await backend.templatesReady();
  } catch (error) {
    await stop();
    throw error;
  }
  const api = backend;
  return {
    host,
    /** The scaffolder backend's API client (dry-runs, tasks, the catalog). */
    backend,
    scratch,
    localRepositories,
    stop,
    /** Creates a task, waits until it ends and reads its events and output. */
    async runTask(templateRef: string, values: Record<string, unknown>) {
      const id = await api.createTask(templateRef, values);
      const task = await api.waitForTask(id, 120_000);
      const events = await api.events(id);
      return { task, events, output: taskOutput(events) };
    },
  };
}

/** What startTaskBackend starts. */
export type TaskBackend = Awaited<ReturnType<typeof startTaskBackend>>;
