/**
 * A local GitHub-compatible host for tests and `npm start` (see server.ts for the contract).
 * @packageDocumentation
 */
export { startGithubHost } from './server';
export type {
  GithubHost,
  GithubHostAccount,
  GithubHostOptions,
  GithubHostRequest,
} from './server';

/**
 * The `integrations.github` entries that point Backstage at a running host: one for the host
 * itself (`127.0.0.1:PORT`, as for GitHub Enterprise Server). With `interceptGithubCom`, a second
 * entry sends what the templates address as `github.com` (RepoUrlPicker's `allowedHosts`) to the
 * same host, for `npm start`: the Create page then publishes there without a template change.
 */
export function githubIntegrations(
  host: { host: string; apiBaseUrl: string; rawBaseUrl: string },
  token: string,
  options: { interceptGithubCom?: boolean } = {},
) {
  const entry = (name: string) => ({
    host: name,
    apiBaseUrl: host.apiBaseUrl,
    rawBaseUrl: host.rawBaseUrl,
    token,
  });
  return [
    entry(host.host),
    ...(options.interceptGithubCom ? [entry('github.com')] : []),
  ];
}
