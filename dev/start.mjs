#!/usr/bin/env node
// `npm start`: the development backend (plugins/scaffolder-backend-module-environments, port 7007)
// and the development frontend (dev/app, port 3000) together, each through `backstage-cli package
// start` (which sets NODE_ENV=development, so the guest sign-in works). Extra arguments (for
// example `--config /abs/app-config.yaml --config /abs/override.yaml`) go to both. Ctrl-C, or
// either side exiting, stops both.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
const parts = [
  { name: 'backend', workspace: 'plugins/scaffolder-backend-module-environments' },
  { name: 'app', workspace: 'dev/app' },
];

const children = parts.map(({ name, workspace }) => {
  const child = spawn('npm', ['run', '--silent', 'start', `--workspace=${workspace}`, '--', ...extra], {
    cwd: root,
    // Its own process group, so stopping it also stops the dev server or backend it started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.on('data', chunk => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  child.on('exit', code => stopAll(code ?? 1, `${name} exited with code ${code}`));
  return child;
});

let stopping = false;
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
