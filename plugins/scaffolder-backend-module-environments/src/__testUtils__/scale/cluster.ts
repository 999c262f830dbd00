import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../backend';
import { apiClient, ApiClient, freePort } from '../http';
import { Service, startService } from '../processes';
import { connectionParts } from './postgres';
import { PACKAGE_DIR } from '../paths';

const REPLICA_ENTRY = path.join(__dirname, 'replica.ts');
const PRODUCTION_CONFIG = path.join(REPO_ROOT, 'app-config.production.yaml');

/** One backend process of the cluster. */
export interface Replica {
  id: string;
  port: number;
  api: ApiClient;
  process: ChildProcess;
  /** The process, started and stopped by the one process runner. */
  service: Service;
  logFile: string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | string>;
}

/** What every replica shares: the database, the catalog locations and scaffolder settings. */
export interface ClusterOptions {
  /** A postgresql:// URL (host, port, user, password) of the server. */
  connectionString: string;
  /** The database the replicas share; each plugin gets a schema in it. */
  database: string;
  /** A directory for config files, logs and working directories. */
  directory: string;
  /** Catalog file locations besides the repository's catalog-info.yaml. */
  catalogFiles: string[];
  /** Settings merged over app-config.production.yaml's `scaffolder`. */
  scaffolder?: Record<string, unknown>;
  /** Enables unifiCloudflare.localPublisher with this directory for the local repositories. */
  localRepositories?: string;
  /**
   * Runs the replicas on a copy of app-config.production.yaml without
   * `scaffolder.taskRecovery.workspaceProvider` (config files can add keys, not remove them), to
   * show what task recovery does without a workspace provider.
   */
  withoutWorkspaceProvider?: boolean;
}

/**
 * Backend replicas as separate processes (src/__testUtils__/scale/replica.ts), each started with
 * app-config.production.yaml plus a file of test settings, all on one PostgreSQL database, each
 * on its own loopback port and with its own working directory (as on separate hosts).
 */
export class Cluster {
  readonly token = randomBytes(24).toString('base64url');
  readonly replicas: Replica[] = [];

  constructor(private readonly options: ClusterOptions) {}

  /** app-config.production.yaml, or the copy without a workspace provider. */
  private async productionConfig(): Promise<string> {
    if (!this.options.withoutWorkspaceProvider) return PRODUCTION_CONFIG;
    const config = parse(await readFile(PRODUCTION_CONFIG, 'utf8'));
    if (!config?.scaffolder?.taskRecovery?.workspaceProvider) {
      throw new Error(
        `${PRODUCTION_CONFIG} sets no scaffolder.taskRecovery.workspaceProvider to leave out`,
      );
    }
    delete config.scaffolder.taskRecovery.workspaceProvider;
    const file = path.join(
      this.options.directory,
      'app-config.production-without-workspace-provider.yaml',
    );
    await writeFile(file, stringify(config), 'utf8');
    return file;
  }

  /** Starts a replica and waits (bounded) until its readiness endpoint answers 200. */
  async start(id: string, timeoutMs = 120_000): Promise<Replica> {
    const { directory, connectionString, database, catalogFiles } =
      this.options;
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const workingDirectory = path.join(directory, `work-${id}`);
    await mkdir(workingDirectory, { recursive: true });

    // Test-only settings over the production file: loopback only, the shared test database (one
    // schema per plugin, so TestDatabases drops it all), fixture templates, faster recovery.
    const overrides = {
      backend: {
        listen: { host: '127.0.0.1' },
        workingDirectory,
        database: { pluginDivisionMode: 'schema', connection: { database } },
      },
      catalog: {
        locations: [
          path.join(REPO_ROOT, 'catalog-info.yaml'),
          ...catalogFiles,
        ].map(target => ({ type: 'file', target })),
      },
      ...(this.options.scaffolder
        ? { scaffolder: this.options.scaffolder }
        : {}),
      ...(this.options.localRepositories
        ? {
            unifiCloudflare: {
              localPublisher: {
                enabled: true,
                directory: this.options.localRepositories,
              },
            },
          }
        : {}),
    };
    const overridesFile = path.join(directory, `app-config.${id}.yaml`);
    await writeFile(overridesFile, stringify(overrides), 'utf8');

    const {
      host,
      port: pgPort,
      user,
      password,
    } = connectionParts(connectionString);
    const logFile = path.join(directory, `${id}.log`);
    const api = apiClient(baseUrl, this.token, { timeoutMs: 60_000 });
    const service = await startService({
      name: `replica ${id}`,
      command: process.execPath,
      args: [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        REPLICA_ENTRY,
        '--config',
        await this.productionConfig(),
        '--config',
        overridesFile,
      ],
      cwd: PACKAGE_DIR,
      logFile,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        SCALE_REPLICA_ID: id,
        BACKEND_BASE_URL: baseUrl,
        APP_BASE_URL: baseUrl,
        BACKEND_PORT: String(port),
        BACKEND_API_TOKEN: this.token,
        POSTGRES_HOST: host,
        POSTGRES_PORT: pgPort,
        POSTGRES_USER: user,
        POSTGRES_PASSWORD: password,
      },
      ready: api.isReady,
      timeoutMs,
    });
    const replica: Replica = {
      id,
      port,
      api,
      process: service.process,
      service,
      logFile,
      exited: service.exited,
    };
    this.replicas.push(replica);
    return replica;
  }

  /** The last lines a replica logged, for failure messages. */
  async tail(replica: Replica, lines = 40): Promise<string> {
    const text = await readFile(replica.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }

  /** Kills a replica the hard way (no shutdown hooks run) and waits until it is gone. */
  async kill(replica: Replica): Promise<void> {
    await replica.service.kill();
  }

  /** Stops every replica still running: SIGTERM, then SIGKILL after a grace period. */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(
      this.replicas.map(replica => replica.service.stop(graceMs)),
    );
  }

  /** Kills every replica at once, synchronously: for process exit handlers. */
  killAllNow(): void {
    for (const replica of this.replicas) {
      if (
        replica.process.exitCode === null &&
        replica.process.signalCode === null
      )
        replica.process.kill('SIGKILL');
    }
  }
}
