/**
 * Runs the local GitHub-compatible host on its own, for `npm start` (dev/start.mjs starts it
 * when LOCAL_GITHUB_HOST=1) or by hand:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs packages/github-host/src/cli.ts \
 *     --root .local-github --port 7008 --token dev-token --user guest --org acme [--config out.yaml]
 *
 * It prints one JSON line, `{"ready":true,"host":...,"apiBaseUrl":...,"rawBaseUrl":...}`, once it
 * listens, and with --config writes an app-config layer holding the `integrations.github`
 * entries (this host, and github.com sent to it). Stops on SIGINT or SIGTERM.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { githubIntegrations, startGithubHost } from './index';

async function main() {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: '.local-github' },
      port: { type: 'string', default: '0' },
      token: { type: 'string' },
      user: { type: 'string', default: 'guest' },
      org: { type: 'string', multiple: true, default: ['acme'] },
      config: { type: 'string' },
    },
  });
  const token = values.token ?? process.env.LOCAL_GITHUB_TOKEN;
  if (!token)
    throw new Error(
      'Give the token the host accepts with --token or LOCAL_GITHUB_TOKEN',
    );
  const user = values.user!;
  const host = await startGithubHost({
    root: values.root!,
    port: Number(values.port),
    accounts: [
      { login: user, type: 'User', token },
      ...values.org!.map(login => ({
        login,
        type: 'Organization' as const,
        members: [user],
      })),
    ],
  });
  if (values.config) {
    const integrations = githubIntegrations(host, token, {
      interceptGithubCom: true,
    });
    // JSON is YAML: the generated layer needs no YAML library.
    await writeFile(
      values.config,
      `${JSON.stringify({ integrations: { github: integrations } }, null, 2)}\n`,
      { mode: 0o600 },
    );
  }
  process.stdout.write(
    `${JSON.stringify({ ready: true, host: host.host, apiBaseUrl: host.apiBaseUrl, rawBaseUrl: host.rawBaseUrl, user, orgs: values.org })}\n`,
  );
  const stop = () => host.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
