import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { MODULE_DIR, REPO_ROOT } from './packModule';
import { apiClient, ApiClient } from '../http';
import { runOrFail, startService, userEnv } from '../processes';

/**
 * A brand-new Backstage backend in a temporary directory, made only of standard Backstage packages
 * from the registry, with the packed module installed from its tarball: what a platform team gets
 * after following README.md. Nothing in it links back to this repository.
 */

export const PACKAGE_NAME =
  '@unifi-cloudflare-glue/plugin-scaffolder-backend-module-environments';

/** The standard packages of the fresh backend; their versions come from this package's devDependencies. */
export const STANDARD_PACKAGES = [
  '@backstage/backend-defaults',
  '@backstage/plugin-catalog-backend',
  '@backstage/plugin-catalog-backend-module-scaffolder-entity-model',
  '@backstage/plugin-scaffolder-backend',
  '@backstage/plugin-scaffolder-backend-module-github',
  'better-sqlite3',
];

/** Bump to throw away cached backends when the way they are set up changes. */
const CACHE_FORMAT = 2;

/** The lockfile of the standard packages alone, kept to reset the cached backend before each run. */
const BASE_LOCK = 'package-lock.standard.json';

export async function freshBackendPackageJson(): Promise<
  Record<string, unknown>
> {
  const own = JSON.parse(
    await readFile(path.join(MODULE_DIR, 'package.json'), 'utf8'),
  );
  const dependencies: Record<string, string> = {};
  for (const name of STANDARD_PACKAGES) {
    const version = own.devDependencies?.[name];
    if (!version)
      throw new Error(
        `${name} is not in ${PACKAGE_NAME}'s devDependencies, so its version is unknown`,
      );
    dependencies[name] = version;
  }
  return {
    name: 'fresh-backstage-backend',
    version: '0.0.0',
    private: true,
    dependencies,
  };
}

/**
 * The one line README.md tells users to add to their backend, taken from the README itself so that
 * the test fails if the documented line stops working.
 */
export async function readmeInstallLine(): Promise<string> {
  const readme = await readFile(path.join(MODULE_DIR, 'README.md'), 'utf8');
  const lines = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .flatMap(match => match[1].split('\n'))
    .filter(line => line.includes('backend.add('));
  if (lines.length !== 1) {
    throw new Error(
      `README.md should show exactly one backend.add(...) line in a ts code block; found ${lines.length}`,
    );
  }
  return lines[0].trim();
}

/** Where cached backends live: outside any repository, so that no parent node_modules is visible. */
export function cacheRoot(): string {
  return (
    process.env.INSTALL_TEST_CACHE_DIR ??
    path.join(os.tmpdir(), 'unifi-cloudflare-glue-install-test')
  );
}

/** Node resolution walks up the tree: a node_modules above the backend would hide a missing dependency. */
function assertNoParentNodeModules(dir: string) {
  for (
    let parent = path.dirname(dir);
    parent !== path.dirname(parent);
    parent = path.dirname(parent)
  ) {
    if (existsSync(path.join(parent, 'node_modules'))) {
      throw new Error(
        `${path.join(parent, 'node_modules')} exists above the fresh backend ${dir}; Node would resolve packages from it. ` +
          'Set INSTALL_TEST_CACHE_DIR to a directory without node_modules above it.',
      );
    }
  }
  if (path.resolve(dir).startsWith(REPO_ROOT + path.sep)) {
    throw new Error(
      `The fresh backend ${dir} must not live inside the repository ${REPO_ROOT}`,
    );
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface PreparedBackend {
  dir: string;
  /** Whether the standard packages came from the cache. */
  cached: boolean;
  timings: Record<string, number>;
}

const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

/** A backend directory with the standard packages installed, before the module's tarball. */
export interface StandardBackend {
  dir: string;
  packageJson: Record<string, unknown>;
  /** Whether the standard packages came from the cache. */
  cached: boolean;
  timings: Record<string, number>;
}

/**
 * Installs the standard packages (once per package.json, Node ABI and platform: the directory is
 * cached). Needs nothing of the module, so it can run while the module is built and packed.
 */
export async function prepareStandardBackend(): Promise<StandardBackend> {
  const timings: Record<string, number> = {};
  const packageJson = await freshBackendPackageJson();
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        packageJson,
        CACHE_FORMAT,
        abi: process.versions.modules,
        platform: process.platform,
        arch: process.arch,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const root = cacheRoot();
  const dir = path.join(root, `backend-${key}`);
  await mkdir(root, { recursive: true });
  assertNoParentNodeModules(dir);

  const complete = path.join(dir, '.install-complete');
  const cached = existsSync(complete);
  if (!cached) {
    // Install next to the final directory and rename it into place when complete, so that an
    // interrupted install is never taken for a cached one.
    const partial = `${dir}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await writeFile(
      path.join(partial, 'package.json'),
      `${JSON.stringify(packageJson, null, 2)}\n`,
    );
    const installed = await runOrFail(
      'npm install of the standard Backstage packages',
      'npm',
      ['install', ...NPM_FLAGS],
      {
        cwd: partial,
      },
    );
    timings.installStandardPackages = installed.ms;
    await writeFile(path.join(partial, 'install.log'), installed.output);
    await copyFile(
      path.join(partial, 'package-lock.json'),
      path.join(partial, BASE_LOCK),
    );
    await writeFile(
      path.join(partial, '.install-complete'),
      new Date().toISOString(),
    );
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    // Backends of other package.json versions are stale now, and so are partial installs of
    // runs that no longer exist.
    for (const entry of await readdir(root)) {
      const partialOf = /\.partial-(\d+)$/.exec(entry);
      const stale = partialOf
        ? !isRunning(Number(partialOf[1]))
        : entry.startsWith('backend-') && entry !== path.basename(dir);
      if (stale)
        await rm(path.join(root, entry), { recursive: true, force: true });
    }
  }
  return { dir, packageJson, cached, timings };
}

/**
 * Installs the module's tarball into a standard backend (from {@link prepareStandardBackend}, or
 * prepared now), and writes src/index.js and app-config.yaml.
 */
export async function prepareBackend(
  tarball: string,
  port: number,
  standard?: StandardBackend,
): Promise<PreparedBackend> {
  const { dir, packageJson, cached, timings } =
    standard ?? (await prepareStandardBackend());

  // The tarball, installed as a user would (`npm install ./file.tgz` saves it in package.json, where
  // Backstage finds its configuration schema), on top of the cached standard packages: package.json
  // and the lockfile go back to their state before any tarball, and the previous run's copy of the
  // module is removed so that npm cannot keep it.
  await writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify(packageJson, null, 2)}\n`,
  );
  await copyFile(
    path.join(dir, BASE_LOCK),
    path.join(dir, 'package-lock.json'),
  );
  await rm(path.join(dir, 'node_modules', ...PACKAGE_NAME.split('/')), {
    recursive: true,
    force: true,
  });
  for (const entry of await readdir(dir)) {
    if (entry.endsWith('.tgz')) await rm(path.join(dir, entry));
  }
  await copyFile(tarball, path.join(dir, path.basename(tarball)));
  timings.installTarball = (
    await runOrFail(
      'npm install of the packed module',
      'npm',
      ['install', ...NPM_FLAGS, `./${path.basename(tarball)}`],
      {
        cwd: dir,
      },
    )
  ).ms;

  const line = await readmeInstallLine();
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(
    path.join(dir, 'src', 'index.js'),
    [
      '// A minimal Backstage backend: the standard scaffolder and catalog packages, plus the one line',
      "// the module's README tells users to add.",
      "const { createBackend } = require('@backstage/backend-defaults');",
      '',
      'const backend = createBackend();',
      "backend.add(import('@backstage/plugin-catalog-backend'));",
      "backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));",
      "backend.add(import('@backstage/plugin-scaffolder-backend'));",
      "backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));",
      line,
      'backend.start();',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'app-config.yaml'),
    stringify({
      app: { baseUrl: 'http://localhost:3000' },
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { host: '127.0.0.1', port },
        database: { client: 'better-sqlite3', connection: ':memory:' },
        // For this test only: no frontend signs anyone in here.
        auth: { dangerouslyDisableDefaultAuthPolicy: true },
      },
      catalog: {
        rules: [
          {
            allow: [
              'Component',
              'System',
              'API',
              'Resource',
              'Location',
              'Template',
              'Group',
              'User',
            ],
          },
        ],
        locations: [
          // Registering the templates as README.md says, from this repository's catalog-info.yaml.
          {
            type: 'file',
            target: path.join(REPO_ROOT, 'catalog-info.yaml'),
            rules: [{ allow: ['Component', 'Location', 'Template'] }],
          },
        ],
      },
    }),
  );
  return { dir, cached, timings };
}

export interface RunningBackend {
  baseUrl: string;
  /** Everything the backend printed so far. */
  output(): string;
  request: ApiClient['request'];
  /** The HTTP client of the backend. */
  api: ApiClient;
  stop(): Promise<void>;
}

/** Starts `node src/index.js --config app-config.yaml` and waits until the backend is ready. */
export async function startBackend(
  dir: string,
  port: number,
  timeoutMs = 180_000,
): Promise<RunningBackend> {
  const api = apiClient(`http://127.0.0.1:${port}`, undefined, {
    timeoutMs: 60_000,
  });
  const service = await startService({
    name: 'the fresh backend',
    command: 'node',
    args: ['src/index.js', '--config', 'app-config.yaml'],
    cwd: dir,
    env: userEnv({ NODE_ENV: 'production' }),
    logFile: path.join(dir, 'backend.log'),
    ready: api.isReady,
    timeoutMs,
  });
  return {
    baseUrl: api.baseUrl,
    output: service.output,
    request: api.request,
    api,
    stop: () => service.stop(),
  };
}
