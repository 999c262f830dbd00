#!/usr/bin/env node
// `npm start`: the development backend (plugins/scaffolder-backend-module-environments, port 7007)
// and the development frontend (dev/app, port 3000) together, each through `backstage-cli package
// start` (which sets NODE_ENV=development, so the guest sign-in works). Extra arguments (for
// example `--config /abs/app-config.yaml --config /abs/override.yaml`) go to both. Ctrl-C, or
// either side exiting, stops both.
//
// LOCAL_GITHUB_HOST=1 also starts the local GitHub-compatible host (packages/github-host) on
// 127.0.0.1:${LOCAL_GITHUB_PORT:-7008}, with its bare repositories in
// .local-repositories/.github-host, and gives the backend one more config layer (written there,
// owner-only) whose integrations.github sends both that host and github.com to it: the Create
// page's GitHub choice then publishes there and the catalog reads the entity back from it. The
// host accepts one token (LOCAL_GITHUB_TOKEN, or a random one printed at start) for the user
// `guest`, a member of the organization `acme` (the owner in the templates' example values).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
const children = [];
let stopping = false;

function relay(name, child) {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.on('data', chunk => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
}

/** Starts the local GitHub-compatible host; resolves with the backend's extra config arguments. */
function startGithubHost() {
  const directory = path.join(root, '.local-repositories', '.github-host');
  mkdirSync(directory, { recursive: true });
  const port = process.env.LOCAL_GITHUB_PORT ?? '7008';
  const token =
    process.env.LOCAL_GITHUB_TOKEN ??
    `local_${randomBytes(16).toString('hex')}`;
  const config = path.join(directory, 'app-config.github-host.yaml');
  const child = spawn(
    process.execPath,
    [
      '--require',
      '@backstage/cli/config/nodeTransform.cjs',
      'packages/github-host/src/cli.ts',
      '--root',
      path.join(directory, 'repositories'),
      '--port',
      port,
      '--user',
      'guest',
      '--org',
      'acme',
      '--config',
      config,
    ],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOCAL_GITHUB_TOKEN: token },
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let pending = '';
    const onData = chunk => {
      pending += chunk;
      const line = pending.split('\n').find(l => l.startsWith('{"ready":true'));
      if (!line) return;
      child.stdout.off('data', onData);
      relay('github', child);
      const { host } = JSON.parse(line);
      process.stdout.write(
        `[github] GitHub-compatible host on http://${host} (API http://${host}/api/v3); github.com is sent there.\n` +
          `[github] Repositories: ${path.relative(root, directory)}/repositories. Clone with git clone http://x-access-token:${token}@${host}/acme/<name>.git\n`,
      );
      // Without --config the backend would read app-config.yaml (and app-config.local.yaml) itself;
      // naming a layer replaces that default, so name them too.
      const defaults = extra.includes('--config')
        ? []
        : ['app-config.yaml', 'app-config.local.yaml']
            .filter(f => existsSync(path.join(root, f)))
            .flatMap(f => ['--config', path.join(root, f)]);
      resolve([...defaults, '--config', config]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', chunk => process.stderr.write(`[github] ${chunk}`));
    child.on('exit', code => {
      reject(new Error(`the GitHub-compatible host exited with code ${code}`));
      stopAll(code ?? 1, `github exited with code ${code}`);
    });
  });
}

const backendConfig =
  process.env.LOCAL_GITHUB_HOST === '1' ? await startGithubHost() : [];
const parts = [
  {
    name: 'backend',
    workspace: 'plugins/scaffolder-backend-module-environments',
    args: [...extra, ...backendConfig],
  },
  { name: 'app', workspace: 'dev/app', args: extra },
];

for (const { name, workspace, args } of parts) {
  const child = spawn(
    'npm',
    ['run', '--silent', 'start', `--workspace=${workspace}`, '--', ...args],
    {
      cwd: root,
      // Its own process group, so stopping it also stops the dev server or backend it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  relay(name, child);
  child.on('exit', code =>
    stopAll(code ?? 1, `${name} exited with code ${code}`),
  );
  children.push(child);
}

function stopAll(code, reason) {
  if (stopping) return;
  stopping = true;
  if (reason) process.stdout.write(`[start] ${reason}; stopping\n`);
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  setTimeout(() => process.exit(code), 500).unref();
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
