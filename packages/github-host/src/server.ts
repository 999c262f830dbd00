/**
 * A local GitHub-compatible host: the part of GitHub (GitHub Enterprise Server layout) that
 * Backstage's GitHub publishing, catalog registration and GitHub URL reader use, over real bare git
 * repositories. For tests and for `npm start` when asked; loopback only; never shipped.
 *
 * Layout, as GitHub Enterprise Server lays it out (`integrations.github[].host`, `apiBaseUrl`,
 * `rawBaseUrl`, `@backstage/integration` dist/github/config.cjs.js):
 *   http://127.0.0.1:PORT/api/v3/...        REST API (apiBaseUrl)
 *   http://127.0.0.1:PORT/raw/...           raw file reads (rawBaseUrl)
 *   http://127.0.0.1:PORT/OWNER/REPO.git/.. git smart HTTP, handed to `git http-backend`
 *   http://127.0.0.1:PORT/OWNER/REPO[/blob|tree/REF/PATH]  the web pages links point at
 *
 * Contract: who calls what (read in the installed sources), and what this host answers.
 *
 * publish:github (@backstage/plugin-scaffolder-backend-module-github 0.10.0,
 * dist/actions/github.cjs.js, helpers.cjs.js, gitHelpers.cjs.js, util.cjs.js; octokit 3.2 with
 * `baseUrl: apiBaseUrl` and `auth: token`, which octokit sends as `Authorization: token T`, and
 * whose throttling plugin spaces all writes of a process one second apart):
 *   GET  /users/{owner}                 `createGithubRepoWithCollaboratorsAndTopics` tells a
 *                                       User from an Organization by `type`. 404 if unknown.
 *   POST /orgs/{org}/repos              when the owner is an Organization (`repos.createInOrg`);
 *                                       403 unless the token's user is a member.
 *   POST /user/repos                    when the owner is a User (`repos.createForAuthenticatedUser`):
 *                                       the repository is created for the token's user, whatever
 *                                       the owner was, as on GitHub.
 *        Both: 401 "Requires authentication" without a token, 401 "Bad credentials" with a
 *        wrong one (on every endpoint), 422 "Repository creation failed." with the error
 *        "name already exists on this account" when the name is taken (case-insensitively),
 *        201 with the repository: `clone_url` (the action pushes there) and `html_url`
 *        (the action outputs `${html_url}/blob/${defaultBranch}` as repoContentsUrl).
 *        Collaborators, teams, topics, variables, secrets, OIDC, subscriptions and custom
 *        properties are called only for inputs our templates do not use: not implemented
 *        (404, and recorded in `unimplemented` so that a test can see it).
 *   git push of the workspace           `initRepoPushAndProtect` -> `initRepoAndPush`
 *                                       (@backstage/plugin-scaffolder-node dist/actions/gitHelpers,
 *                                       dist/scm/git.cjs.js): isomorphic-git smart HTTP to
 *                                       `clone_url`, basic auth `x-access-token:<token>` offered
 *                                       after a 401 with `WWW-Authenticate: Basic`.
 *   PUT  /repos/{o}/{r}/branches/{b}/protection
 *                                       `enableBranchProtectionOnDefaultRepoBranch` (the
 *                                       action's protectDefaultBranch defaults to true). 404
 *                                       "Branch not found" before the push, 422 when one of the
 *                                       four required keys is missing, else 200 and stored
 *                                       (GitHub Team/Enterprise behaviour; free-plan private
 *                                       repositories answer 403 and the action only warns).
 *   GET  /repos/{o}/{r}/git/ref/heads/{b}  implemented; the rest of the action's fallback after a
 *                                       push fails with ECONNRESET (`pushFilesViaGitHubApi`:
 *                                       PUT contents, GraphQL createCommitOnBranch) is not.
 *
 * catalog:register (@backstage/plugin-scaffolder-backend 4.2.0,
 * dist/scaffolder/actions/builtin/catalog/register.cjs.js) resolves `/catalog-info.yaml` against
 * repoContentsUrl with the integration whose host matches the URL (GitHub's `resolveUrl` writes
 * `.../tree/main/catalog-info.yaml`; the web page answers a file's tree/ URL with a redirect to
 * blob/, as GitHub does) and adds it as a `url` location. The catalog (@backstage/plugin-catalog-
 * backend 4.0.0 UrlReaderProcessor) reads it with `reader.search`, which for a URL without a glob
 * is `readUrl`, through the GitHub URL reader:
 *
 * GithubUrlReader (@backstage/backend-defaults 0.18.0,
 * dist/entrypoints/urlReader/lib/GithubUrlReader.cjs.js, and @backstage/integration 2.2.0
 * dist/github/core.cjs.js `getGithubFileFetchUrl`; `Authorization: Bearer T`):
 *   GET  /repos/{o}/{r}/contents/{path}?ref={ref}  with `Accept: application/vnd.github.v3.raw`
 *                                       (readUrl and non-glob search, when a token is configured):
 *                                       the raw bytes, an ETag, 304 on a matching If-None-Match;
 *                                       JSON (base64 content, or a directory listing) otherwise.
 *   GET  /raw/{o}/{r}/{ref}/{path}      readUrl without a token (rawBaseUrl).
 *   GET  /repos/{o}/{r}                 getDefaultBranch (`default_branch`).
 *   GET  /repos/{o}/{r}/commits/{ref}/status  getRepoDetails (`sha`, `repository.archive_url`,
 *                                       `repository.trees_url`), for readTree and glob search.
 *   GET  /repos/{o}/{r}/tarball/{sha}   readTree (`archive_url` with tarball): `git archive`,
 *                                       entries under `{owner}-{repo}-{short sha}/` as on GitHub.
 *   GET  /repos/{o}/{r}/git/trees/{sha}?recursive=true, GET /repos/{o}/{r}/git/blobs/{sha}
 *                                       glob search (`trees_url`, each item's `url`).
 * Also: GET /user, GET /orgs/{org}, GET /repos/{o}/{r}/commits/{ref},
 * GET /repos/{o}/{r}/branches/{b}, GET .../branches/{b}/protection, and the web pages
 * (`html_url`, `/blob/`, `/tree/`; `clone_url` without a git path redirects to `html_url`).
 *
 * publish:github:pull-request (@backstage/plugin-scaffolder-backend-module-github 0.10.4,
 * dist/actions/githubPullRequest.cjs.js, through octokit-plugin-create-pull-request 5.1.1
 * dist-src/compose-create-pull-request.js, create-tree.js, create-commit.js,
 * value-to-tree-object.js), used by the "Upgrade an environment" template:
 *   GET  /repos/{o}/{r}                 `permissions` (no `x-oauth-scopes` header: never forks).
 *   GET  /repos/{o}/{r}/commits?sha={base}&per_page=1  the base branch's head and its tree.
 *   POST /repos/{o}/{r}/git/blobs       each file (base64); `git hash-object -w`.
 *   HEAD /repos/{o}/{r}/contents/{path}?ref=  before each deletion (filesToDelete): 200 or 404.
 *   POST /repos/{o}/{r}/git/trees       base_tree plus entries (sha, content, or sha null to
 *                                       delete), built in a scratch index; 201 with the tree.
 *   POST /repos/{o}/{r}/git/commits     `git commit-tree`; author and committer as given.
 *   POST /api/graphql                   only the query asking whether the head branch exists and
 *                                       has an open pull request; other queries get a GraphQL
 *                                       error and are recorded in `unimplemented`.
 *   POST /repos/{o}/{r}/git/refs, PATCH /repos/{o}/{r}/git/refs/heads/{b}  create or move the
 *                                       head branch (422 if it exists / is missing / is not a fast
 *                                       forward without `force`); a protected branch (as
 *                                       publish:github leaves main) answers 422 "Protected branch
 *                                       update failed", so nothing reaches main through the API.
 *   POST /repos/{o}/{r}/pulls, GET and PATCH /repos/{o}/{r}/pulls/{n}, GET /repos/{o}/{r}/pulls
 *                                       pull requests kept in github.json; 422 for a head or base
 *                                       that does not exist, no commits between them, or an open
 *                                       one for the same head. Forks are not modelled.
 *
 * Visibility as on GitHub: a private repository is 404 to anyone but its owner or the owning
 * organisation's members, on the API, raw, web and git; a public one is readable by anyone.
 * Error bodies are GitHub's: `{ message, documentation_url, status }` (and `errors` on 422).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  archive,
  entryAt,
  initBare,
  isEmpty,
  listTree,
  objectType,
  plumbing,
  readBlob,
  readCommit,
  resolveCommit,
  serveGitHttp,
  TreeEntry,
} from './git';

/** An account the host knows. Organizations have members; users may have a token. */
export interface GithubHostAccount {
  login: string;
  type: 'User' | 'Organization';
  /** For users: the personal access token that authenticates as them. */
  token?: string;
  /** For organizations: the logins of members (each may create and push repositories). */
  members?: string[];
}

export interface GithubHostOptions {
  /** Directory of the bare repositories (`<owner>/<repo>.git`, lower-case) and their metadata. */
  root: string;
  /** Users and organizations. At least one user needs a token to do anything but read public repositories. */
  accounts: GithubHostAccount[];
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

/** One REST, raw, web or git request, as the host saw it. */
export interface GithubHostRequest {
  method: string;
  path: string;
  status: number;
  /** The authenticated login, if any. */
  login?: string;
}

/** Metadata of a repository, kept beside it as `github.json`. */
interface RepositoryRecord {
  id: number;
  owner: string;
  ownerType: 'User' | 'Organization';
  name: string;
  description: string | null;
  homepage: string | null;
  private: boolean;
  defaultBranch: string;
  createdAt: string;
  protection: Record<string, unknown>;
  /** Pull requests, oldest first (number = index + 1); absent on records made before they existed. */
  pulls?: PullRecord[];
}

/** A pull request as the host keeps it. */
interface PullRecord {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  /** Branch names in this repository (forks are not modelled). */
  head: string;
  base: string;
  user: string;
  createdAt: string;
}

type Auth =
  { state: 'none' } | { state: 'invalid' } | { state: 'valid'; login: string };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentation = 'https://docs.github.com/rest',
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const API = '/api/v3';
const RAW = '/raw';

/** A running host. */
export interface GithubHost {
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  /** `127.0.0.1:PORT`: the `integrations.github[].host` and the RepoUrlPicker host. */
  host: string;
  apiBaseUrl: string;
  rawBaseUrl: string;
  /** Every request answered, oldest first. */
  requests: GithubHostRequest[];
  /** REST requests no route answered (method and path); empty when the contract covered everything. */
  unimplemented: string[];
  /** The bare repository directory of owner/repo (whether or not it exists). */
  repositoryPath(owner: string, repo: string): string;
  stop(): Promise<void>;
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body, null, 2);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'x-github-media-type': 'github.v3; format=json',
    ...headers,
  });
  response.end(text);
}

function errorBody(error: HttpError) {
  return {
    message: error.message,
    ...(error.errors ? { errors: error.errors } : {}),
    documentation_url: error.documentation,
    status: String(error.status),
  };
}

async function readBody(request: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Problems parsing JSON');
  }
}

function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Starts the host on 127.0.0.1. */
export async function startGithubHost(
  options: GithubHostOptions,
): Promise<GithubHost> {
  const root = path.resolve(options.root);
  await mkdir(root, { recursive: true });
  const accounts = new Map(
    options.accounts.map(a => [a.login.toLowerCase(), a]),
  );
  const byToken = new Map(
    options.accounts.filter(a => a.token).map(a => [a.token!, a.login]),
  );
  const requests: GithubHostRequest[] = [];
  const unimplemented: string[] = [];
  let baseUrl = '';
  let apiBaseUrl = '';
  let hostName = '';

  const repositoryPath = (owner: string, repo: string) =>
    path.join(
      root,
      owner.toLowerCase(),
      `${repo.toLowerCase().replace(/\.git$/, '')}.git`,
    );
  const recordPath = (gitDir: string) => path.join(gitDir, 'github.json');

  async function loadRecord(
    owner: string,
    repo: string,
  ): Promise<RepositoryRecord | undefined> {
    if (!NAME.test(owner) || !NAME.test(repo)) return undefined;
    try {
      return JSON.parse(
        await readFile(recordPath(repositoryPath(owner, repo)), 'utf8'),
      );
    } catch {
      return undefined;
    }
  }

  async function saveRecord(record: RepositoryRecord) {
    const file = recordPath(repositoryPath(record.owner, record.name));
    await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2));
    await rename(`${file}.tmp`, file);
  }

  function authenticate(request: IncomingMessage): Auth {
    const header = request.headers.authorization;
    if (!header) return { state: 'none' };
    const [scheme, value = ''] = header.split(/\s+/, 2);
    let token: string | undefined;
    if (/^(token|bearer)$/i.test(scheme)) token = value;
    else if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      token = decoded.slice(decoded.indexOf(':') + 1);
    }
    const login = token ? byToken.get(token) : undefined;
    return login ? { state: 'valid', login } : { state: 'invalid' };
  }

  function canWrite(login: string | undefined, owner: string): boolean {
    if (!login) return false;
    if (login.toLowerCase() === owner.toLowerCase()) return true;
    const account = accounts.get(owner.toLowerCase());
    return (
      account?.type === 'Organization' &&
      (account.members ?? []).some(m => m.toLowerCase() === login.toLowerCase())
    );
  }

  /** The repository if the caller may read it; GitHub answers 404 for private repositories it hides. */
  async function readable(
    owner: string,
    repo: string,
    login: string | undefined,
    documentation: string,
  ) {
    const record = await loadRecord(owner, repo);
    if (!record || (record.private && !canWrite(login, record.owner))) {
      throw new HttpError(404, 'Not Found', documentation);
    }
    return record;
  }

  function accountJson(account: GithubHostAccount) {
    const id = [...accounts.keys()].indexOf(account.login.toLowerCase()) + 1;
    return {
      login: account.login,
      id,
      node_id: Buffer.from(`${account.type}${id}`).toString('base64'),
      type: account.type,
      site_admin: false,
      url: `${apiBaseUrl}/${account.type === 'User' ? 'users' : 'orgs'}/${account.login}`,
      html_url: `${baseUrl}/${account.login}`,
      repos_url: `${apiBaseUrl}/${account.type === 'User' ? 'users' : 'orgs'}/${account.login}/repos`,
    };
  }

  function repositoryJson(record: RepositoryRecord, login?: string) {
    const full = `${record.owner}/${record.name}`;
    const api = `${apiBaseUrl}/repos/${full}`;
    const owner = accounts.get(record.owner.toLowerCase())!;
    const admin = canWrite(login, record.owner);
    return {
      id: record.id,
      node_id: Buffer.from(`Repository${record.id}`).toString('base64'),
      name: record.name,
      full_name: full,
      private: record.private,
      visibility: record.private ? 'private' : 'public',
      owner: accountJson(owner),
      html_url: `${baseUrl}/${full}`,
      description: record.description,
      fork: false,
      homepage: record.homepage,
      url: api,
      archive_url: `${api}/{archive_format}{/ref}`,
      trees_url: `${api}/git/trees{/sha}`,
      blobs_url: `${api}/git/blobs{/sha}`,
      contents_url: `${api}/contents/{+path}`,
      commits_url: `${api}/commits{/sha}`,
      branches_url: `${api}/branches{/branch}`,
      clone_url: `${baseUrl}/${full}.git`,
      git_url: `git://${hostName}/${full}.git`,
      ssh_url: `git@${hostName}:${full}.git`,
      default_branch: record.defaultBranch,
      created_at: record.createdAt,
      updated_at: record.createdAt,
      permissions: {
        admin,
        maintain: admin,
        push: admin,
        triage: admin,
        pull: true,
      },
    };
  }

  // ---------------------------------------------------------------- REST
  async function createRepository(
    request: IncomingMessage,
    login: string,
    owner: GithubHostAccount,
    documentation: string,
  ) {
    const body = await readBody(request);
    const name = body.name;
    if (typeof name !== 'string' || name === '') {
      throw new HttpError(422, 'Repository creation failed.', documentation, [
        { resource: 'Repository', code: 'missing_field', field: 'name' },
      ]);
    }
    if (!NAME.test(name) || name === '.' || name === '..') {
      throw new HttpError(422, 'Repository creation failed.', documentation, [
        {
          resource: 'Repository',
          code: 'custom',
          field: 'name',
          message: 'name is invalid',
        },
      ]);
    }
    const gitDir = repositoryPath(owner.login, name);
    if (await exists(gitDir)) {
      throw new HttpError(422, 'Repository creation failed.', documentation, [
        {
          resource: 'Repository',
          code: 'custom',
          field: 'name',
          message: 'name already exists on this account',
        },
      ]);
    }
    await mkdir(path.dirname(gitDir), { recursive: true });
    // Initialised beside its final place, then renamed into it.
    const staging = path.join(
      path.dirname(gitDir),
      `.creating-${randomUUID()}`,
    );
    const visibility = body.visibility ?? (body.private ? 'private' : 'public');
    const record: RepositoryRecord = {
      id: (Date.now() % 1e9) + Math.floor(Math.random() * 1e3),
      owner: owner.login,
      ownerType: owner.type,
      name,
      description:
        typeof body.description === 'string' ? body.description : null,
      homepage: typeof body.homepage === 'string' ? body.homepage : null,
      private: visibility !== 'public',
      defaultBranch: 'main',
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      protection: {},
    };
    await initBare(staging, record.defaultBranch);
    await writeFile(recordPath(staging), JSON.stringify(record, null, 2));
    try {
      // rename(2) fails on an existing, non-empty directory: a concurrent create of the same
      // name loses here and gets the same 422 as GitHub gives.
      await rename(staging, gitDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (
        ['ENOTEMPTY', 'EEXIST'].includes(
          (error as NodeJS.ErrnoException).code ?? '',
        )
      ) {
        throw new HttpError(422, 'Repository creation failed.', documentation, [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ]);
      }
      throw error;
    }
    return repositoryJson(record, login);
  }

  /** The contents API's `type` of a tree entry. */
  function contentType(e: TreeEntry): 'dir' | 'symlink' | 'submodule' | 'file' {
    if (e.type === 'tree') return 'dir';
    if (e.mode === '120000') return 'symlink';
    return e.type === 'commit' ? 'submodule' : 'file';
  }

  async function contentsJson(
    record: RepositoryRecord,
    entry: TreeEntry,
    ref: string,
  ) {
    const gitDir = repositoryPath(record.owner, record.name);
    const full = `${record.owner}/${record.name}`;
    const describe = (e: TreeEntry, size?: number) => ({
      type: contentType(e),
      name: path.posix.basename(e.path),
      path: e.path,
      sha: e.sha,
      size: size ?? e.size ?? 0,
      url: `${apiBaseUrl}/repos/${full}/contents/${e.path}?ref=${ref}`,
      html_url: `${baseUrl}/${full}/${e.type === 'tree' ? 'tree' : 'blob'}/${ref}/${e.path}`,
      git_url: `${apiBaseUrl}/repos/${full}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
      download_url:
        e.type === 'blob' ? `${baseUrl}${RAW}/${full}/${ref}/${e.path}` : null,
    });
    if (entry.type === 'tree') {
      const children = await listTree(gitDir, entry.sha, false);
      return children.map(c =>
        describe({
          ...c,
          path: entry.path ? `${entry.path}/${c.path}` : c.path,
        }),
      );
    }
    const content = await readBlob(gitDir, entry.sha);
    const base64 = content.toString('base64').replace(/(.{60})/g, '$1\n');
    return {
      ...describe(entry, content.length),
      content: base64,
      encoding: 'base64',
    };
  }

  /** The repository if the caller may write to it (owner, or member of the owning organisation). */
  async function writable(
    owner: string,
    repo: string,
    login: string | undefined,
    documentation: string,
  ) {
    if (!login)
      throw new HttpError(401, 'Requires authentication', documentation);
    const record = await readable(owner, repo, login, documentation);
    if (!canWrite(login, record.owner))
      throw new HttpError(404, 'Not Found', documentation);
    return { record, gitDir: repositoryPath(record.owner, record.name) };
  }

  async function pullJson(record: RepositoryRecord, pull: PullRecord) {
    const gitDir = repositoryPath(record.owner, record.name);
    const full = `${record.owner}/${record.name}`;
    const side = async (branch: string) => ({
      label: `${record.owner}:${branch}`,
      ref: branch,
      sha: (await resolveCommit(gitDir, `refs/heads/${branch}`)) ?? null,
      repo: repositoryJson(record),
    });
    return {
      id: pull.number,
      number: pull.number,
      url: `${apiBaseUrl}/repos/${full}/pulls/${pull.number}`,
      html_url: `${baseUrl}/${full}/pull/${pull.number}`,
      state: pull.state,
      title: pull.title,
      body: pull.body,
      draft: pull.draft,
      user: accountJson(accounts.get(pull.user.toLowerCase())!),
      created_at: pull.createdAt,
      head: await side(pull.head),
      base: await side(pull.base),
    };
  }

  /**
   * The one GraphQL query octokit-plugin-create-pull-request sends (does the head branch exist,
   * and has it an open pull request); any other query is answered with a GraphQL error and
   * recorded in `unimplemented`.
   */
  async function graphql(
    request: IncomingMessage,
    response: ServerResponse,
    auth: Auth,
  ) {
    if (auth.state !== 'valid')
      throw new HttpError(
        401,
        auth.state === 'invalid'
          ? 'Bad credentials'
          : 'Requires authentication',
      );
    const { query, variables = {} } = await readBody(request);
    if (
      typeof query !== 'string' ||
      !/ref\(qualifiedName: \$head\)/.test(query) ||
      !/associatedPullRequests/.test(query)
    ) {
      unimplemented.push('POST /api/graphql (query not supported)');
      return json(response, 200, {
        errors: [
          {
            message:
              'This local host answers only the head-branch query of octokit-plugin-create-pull-request',
          },
        ],
      });
    }
    const record = await loadRecord(
      String(variables.owner),
      String(variables.repo),
    );
    if (!record || (record.private && !canWrite(auth.login, record.owner))) {
      return json(response, 200, {
        data: { repository: null },
        errors: [
          {
            type: 'NOT_FOUND',
            message: `Could not resolve to a Repository with the name '${variables.owner}/${variables.repo}'.`,
          },
        ],
      });
    }
    const branch = String(variables.head).replace(/^refs\/heads\//, '');
    const headCommit = await resolveCommit(
      repositoryPath(record.owner, record.name),
      `refs/heads/${branch}`,
    );
    const open = (record.pulls ?? [])
      .filter(p => p.state === 'open' && p.head === branch)
      .slice(0, 1);
    return json(response, 200, {
      data: {
        repository: {
          ref: headCommit
            ? {
                associatedPullRequests: {
                  edges: open.map(p => ({
                    node: {
                      id: `PR_${p.number}`,
                      number: p.number,
                      url: `${baseUrl}/${record.owner}/${record.name}/pull/${p.number}`,
                    },
                  })),
                },
              }
            : null,
        },
      },
    });
  }

  /** The commit a ref names in a repository; GitHub's answers for an empty repository and an unknown ref. */
  async function commitFor(
    record: RepositoryRecord,
    ref: string | undefined,
    documentation: string,
  ) {
    const gitDir = repositoryPath(record.owner, record.name);
    if (await isEmpty(gitDir))
      throw new HttpError(409, 'Git Repository is empty.', documentation);
    const name = ref || record.defaultBranch;
    const commit = await resolveCommit(gitDir, name);
    if (!commit)
      throw new HttpError(
        404,
        `No commit found for the ref ${name}`,
        documentation,
      );
    return { gitDir, commit, ref: name };
  }

  async function restApi(
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    url: URL,
    auth: Auth,
  ) {
    const method = request.method ?? 'GET';
    const login = auth.state === 'valid' ? auth.login : undefined;
    const requireLogin = () => {
      if (!login) throw new HttpError(401, 'Requires authentication');
      return login;
    };
    let m: RegExpExecArray | null;

    if (method === 'GET' && route === '/user') {
      return json(
        response,
        200,
        accountJson(accounts.get(requireLogin().toLowerCase())!),
      );
    }
    if (method === 'GET' && (m = /^\/users\/([^/]+)$/.exec(route))) {
      const account = accounts.get(decodeURIComponent(m[1]).toLowerCase());
      if (!account)
        throw new HttpError(
          404,
          'Not Found',
          'https://docs.github.com/rest/users/users#get-a-user',
        );
      return json(response, 200, accountJson(account));
    }
    if (method === 'GET' && (m = /^\/orgs\/([^/]+)$/.exec(route))) {
      const account = accounts.get(decodeURIComponent(m[1]).toLowerCase());
      if (account?.type !== 'Organization')
        throw new HttpError(
          404,
          'Not Found',
          'https://docs.github.com/rest/orgs/orgs#get-an-organization',
        );
      return json(response, 200, accountJson(account));
    }
    if (method === 'POST' && (m = /^\/orgs\/([^/]+)\/repos$/.exec(route))) {
      const documentation =
        'https://docs.github.com/rest/repos/repos#create-an-organization-repository';
      const user = requireLogin();
      const org = accounts.get(decodeURIComponent(m[1]).toLowerCase());
      if (org?.type !== 'Organization')
        throw new HttpError(404, 'Not Found', documentation);
      if (!canWrite(user, org.login)) {
        throw new HttpError(
          403,
          'You need admin access to the organization before adding a repository to it.',
          documentation,
        );
      }
      return json(
        response,
        201,
        await createRepository(request, user, org, documentation),
      );
    }
    if (method === 'POST' && route === '/user/repos') {
      const documentation =
        'https://docs.github.com/rest/repos/repos#create-a-repository-for-the-authenticated-user';
      const user = requireLogin();
      return json(
        response,
        201,
        await createRepository(
          request,
          user,
          accounts.get(user.toLowerCase())!,
          documentation,
        ),
      );
    }

    if (!(m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(route))) return false;
    const [owner, repo, rest = ''] = [
      decodeURIComponent(m[1]),
      decodeURIComponent(m[2]),
      m[3],
    ];

    if (method === 'GET' && rest === '') {
      const record = await readable(
        owner,
        repo,
        login,
        'https://docs.github.com/rest/repos/repos#get-a-repository',
      );
      return json(response, 200, repositoryJson(record, login));
    }
    // HEAD as GET: Node sends no body for HEAD (octokit-plugin-create-pull-request asks whether a file exists before deleting it).
    if (
      (method === 'GET' || method === 'HEAD') &&
      (m = /^\/contents(?:\/(.*))?$/.exec(rest))
    ) {
      const documentation =
        'https://docs.github.com/rest/repos/contents#get-repository-content';
      const record = await readable(owner, repo, login, documentation);
      if (await isEmpty(repositoryPath(record.owner, record.name)))
        throw new HttpError(404, 'This repository is empty.', documentation);
      const { gitDir, commit, ref } = await commitFor(
        record,
        url.searchParams.get('ref') ?? undefined,
        documentation,
      );
      const filePath = decodeURIComponent(m[1] ?? '').replace(/^\/+|\/+$/g, '');
      const entry = await entryAt(gitDir, commit, filePath);
      if (!entry) throw new HttpError(404, 'Not Found', documentation);
      const accept = String(request.headers.accept ?? '');
      if (/\.raw\b/.test(accept) && entry.type === 'blob') {
        const etag = `"${entry.sha}"`;
        if (request.headers['if-none-match'] === etag) {
          response.writeHead(304, { etag });
          return response.end();
        }
        const content = await readBlob(gitDir, entry.sha);
        response.writeHead(200, {
          'content-type': 'application/vnd.github.raw; charset=utf-8',
          'content-length': String(content.length),
          etag,
          'x-github-media-type': 'github.v3; param=raw',
        });
        return response.end(content);
      }
      return json(response, 200, await contentsJson(record, entry, ref), {
        etag: `"${entry.sha}"`,
      });
    }
    if (method === 'GET' && (m = /^\/commits\/([^/]+)\/status$/.exec(rest))) {
      const documentation =
        'https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference';
      const record = await readable(owner, repo, login, documentation);
      const { commit } = await commitFor(
        record,
        decodeURIComponent(m[1]),
        documentation,
      );
      const repository = repositoryJson(record, login);
      return json(response, 200, {
        state: 'pending',
        statuses: [],
        sha: commit,
        total_count: 0,
        repository,
        commit_url: `${repository.url}/commits/${commit}`,
        url: `${repository.url}/commits/${commit}/status`,
      });
    }
    if (method === 'GET' && (m = /^\/commits\/([^/]+)$/.exec(rest))) {
      const documentation =
        'https://docs.github.com/rest/commits/commits#get-a-commit';
      const record = await readable(owner, repo, login, documentation);
      const { gitDir, commit } = await commitFor(
        record,
        decodeURIComponent(m[1]),
        documentation,
      );
      const c = await readCommit(gitDir, commit);
      const api = `${apiBaseUrl}/repos/${record.owner}/${record.name}`;
      return json(response, 200, {
        sha: c.sha,
        url: `${api}/commits/${c.sha}`,
        html_url: `${baseUrl}/${record.owner}/${record.name}/commit/${c.sha}`,
        commit: {
          author: c.author,
          committer: c.committer,
          message: c.message,
          tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
        },
        parents: c.parents.map(sha => ({ sha, url: `${api}/commits/${sha}` })),
      });
    }
    if ((m = /^\/branches\/([^/]+)(\/protection)?$/.exec(rest))) {
      const branch = decodeURIComponent(m[1]);
      const documentation = m[2]
        ? 'https://docs.github.com/rest/branches/branch-protection#update-branch-protection'
        : 'https://docs.github.com/rest/branches/branches#get-a-branch';
      const record = await readable(owner, repo, login, documentation);
      const gitDir = repositoryPath(record.owner, record.name);
      const commit = await resolveCommit(gitDir, `refs/heads/${branch}`);
      if (method === 'GET' && !m[2]) {
        if (!commit)
          throw new HttpError(404, 'Branch not found', documentation);
        return json(response, 200, {
          name: branch,
          commit: {
            sha: commit,
            url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/commits/${commit}`,
          },
          protected: branch in record.protection,
        });
      }
      if (m[2] && method === 'GET') {
        if (!commit)
          throw new HttpError(404, 'Branch not found', documentation);
        if (!(branch in record.protection))
          throw new HttpError(404, 'Branch not protected', documentation);
        return json(response, 200, record.protection[branch]);
      }
      if (m[2] && method === 'PUT') {
        if (!canWrite(login, record.owner))
          throw new HttpError(404, 'Not Found', documentation);
        const body = await readBody(request);
        if (!commit)
          throw new HttpError(404, 'Branch not found', documentation);
        for (const key of [
          'required_status_checks',
          'enforce_admins',
          'required_pull_request_reviews',
          'restrictions',
        ]) {
          if (!(key in body))
            throw new HttpError(
              422,
              `Invalid request.\n\n"${key}" wasn't supplied.`,
              documentation,
            );
        }
        const protection = {
          url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/branches/${branch}/protection`,
          ...body,
          enforce_admins: { enabled: Boolean(body.enforce_admins) },
        };
        record.protection[branch] = protection;
        await saveRecord(record);
        return json(response, 200, protection);
      }
    }
    if (
      method === 'GET' &&
      (m = /^\/git\/(?:ref|refs)\/heads\/(.+)$/.exec(rest))
    ) {
      const documentation =
        'https://docs.github.com/rest/git/refs#get-a-reference';
      const record = await readable(owner, repo, login, documentation);
      const gitDir = repositoryPath(record.owner, record.name);
      if (await isEmpty(gitDir))
        throw new HttpError(409, 'Git Repository is empty.', documentation);
      const commit = await resolveCommit(gitDir, `refs/heads/${m[1]}`);
      if (!commit) throw new HttpError(404, 'Not Found', documentation);
      return json(response, 200, {
        ref: `refs/heads/${m[1]}`,
        object: {
          sha: commit,
          type: 'commit',
          url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/git/commits/${commit}`,
        },
      });
    }
    if (method === 'GET' && (m = /^\/git\/trees\/([^/]+)$/.exec(rest))) {
      const documentation = 'https://docs.github.com/rest/git/trees#get-a-tree';
      const record = await readable(owner, repo, login, documentation);
      const gitDir = repositoryPath(record.owner, record.name);
      const sha = decodeURIComponent(m[1]);
      const treeish = (await objectType(gitDir, sha))
        ? sha
        : await resolveCommit(gitDir, sha);
      if (!treeish) throw new HttpError(404, 'Not Found', documentation);
      const recursive = ['1', 'true'].includes(
        url.searchParams.get('recursive') ?? '',
      );
      const treeSha = (await entryAt(gitDir, treeish, ''))!.sha;
      const api = `${apiBaseUrl}/repos/${record.owner}/${record.name}`;
      const entries = await listTree(gitDir, treeSha, recursive);
      return json(response, 200, {
        sha: treeSha,
        url: `${api}/git/trees/${treeSha}`,
        tree: entries.map(e => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          ...(e.type === 'blob' ? { size: e.size } : {}),
          url: `${api}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
        })),
        truncated: false,
      });
    }
    if (method === 'GET' && (m = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest))) {
      const documentation = 'https://docs.github.com/rest/git/blobs#get-a-blob';
      const record = await readable(owner, repo, login, documentation);
      const gitDir = repositoryPath(record.owner, record.name);
      if ((await objectType(gitDir, m[1])) !== 'blob')
        throw new HttpError(404, 'Not Found', documentation);
      const content = await readBlob(gitDir, m[1]);
      return json(response, 200, {
        sha: m[1],
        node_id: Buffer.from(`Blob${m[1]}`).toString('base64'),
        size: content.length,
        url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/git/blobs/${m[1]}`,
        content: content.toString('base64').replace(/(.{60})/g, '$1\n'),
        encoding: 'base64',
      });
    }
    if (method === 'GET' && rest === '/commits') {
      const documentation =
        'https://docs.github.com/rest/commits/commits#list-commits';
      const record = await readable(owner, repo, login, documentation);
      const { gitDir, commit } = await commitFor(
        record,
        url.searchParams.get('sha') ?? undefined,
        documentation,
      );
      const perPage = Math.min(
        Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1),
        100,
      );
      const shas = (
        await plumbing(gitDir, ['rev-list', `--max-count=${perPage}`, commit])
      )
        .split('\n')
        .filter(Boolean);
      const repoApi = `${apiBaseUrl}/repos/${record.owner}/${record.name}`;
      const list = await Promise.all(
        shas.map(async sha => {
          const c = await readCommit(gitDir, sha);
          return {
            sha: c.sha,
            url: `${repoApi}/commits/${c.sha}`,
            html_url: `${baseUrl}/${record.owner}/${record.name}/commit/${c.sha}`,
            commit: {
              author: c.author,
              committer: c.committer,
              message: c.message,
              tree: { sha: c.tree, url: `${repoApi}/git/trees/${c.tree}` },
            },
            parents: c.parents.map(p => ({
              sha: p,
              url: `${repoApi}/commits/${p}`,
            })),
          };
        }),
      );
      return json(response, 200, list);
    }
    if (method === 'POST' && rest === '/git/blobs') {
      const documentation =
        'https://docs.github.com/rest/git/blobs#create-a-blob';
      const { record, gitDir } = await writable(
        owner,
        repo,
        login,
        documentation,
      );
      const body = await readBody(request);
      if (typeof body.content !== 'string')
        throw new HttpError(
          422,
          'Invalid request.\n\n"content" wasn\'t supplied.',
          documentation,
        );
      const encoding = body.encoding ?? 'utf-8';
      if (encoding !== 'utf-8' && encoding !== 'base64')
        throw new HttpError(
          422,
          `encoding must be utf-8 or base64`,
          documentation,
        );
      const bytes = Buffer.from(
        body.content,
        encoding === 'base64' ? 'base64' : 'utf8',
      );
      const sha = (
        await plumbing(gitDir, ['hash-object', '-w', '--stdin'], {
          input: bytes,
        })
      ).trim();
      return json(response, 201, {
        sha,
        url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/git/blobs/${sha}`,
      });
    }
    if (method === 'POST' && rest === '/git/trees') {
      // Entries with `content` (a new blob), `sha` (an existing blob) or `sha: null` (delete the
      // path from base_tree), applied to base_tree with a scratch index, as GitHub's API behaves.
      const documentation =
        'https://docs.github.com/rest/git/trees#create-a-tree';
      const { record, gitDir } = await writable(
        owner,
        repo,
        login,
        documentation,
      );
      const body = await readBody(request);
      if (!Array.isArray(body.tree))
        throw new HttpError(
          422,
          'Invalid request.\n\n"tree" wasn\'t supplied.',
          documentation,
        );
      const index = path.join(gitDir, `index-${randomUUID()}`);
      const env = { GIT_INDEX_FILE: index };
      try {
        if (body.base_tree) {
          if ((await objectType(gitDir, body.base_tree)) !== 'tree')
            throw new HttpError(
              422,
              'Invalid request.\n\nbase_tree is not a valid tree oid',
              documentation,
            );
          await plumbing(gitDir, ['read-tree', body.base_tree], { env });
        }
        for (const entry of body.tree) {
          const entryPath = String(entry.path ?? '');
          if (
            !entryPath ||
            entryPath.startsWith('/') ||
            entryPath
              .split('/')
              .some(
                (part: string) =>
                  part === '' ||
                  part === '.' ||
                  part === '..' ||
                  part === '.git',
              )
          ) {
            throw new HttpError(
              422,
              `Invalid request.\n\ntree.path ${JSON.stringify(entryPath)} is not a valid path`,
              documentation,
            );
          }
          if (!['100644', '100755', '120000'].includes(entry.mode)) {
            throw new HttpError(
              422,
              `Invalid request.\n\ntree.mode must be 100644, 100755 or 120000 (submodules and subtrees are not supported here)`,
              documentation,
            );
          }
          if (entry.sha === null) {
            await plumbing(
              gitDir,
              ['update-index', '--force-remove', '--', entryPath],
              { env },
            );
            continue;
          }
          let sha: string;
          if (typeof entry.content === 'string') {
            sha = (
              await plumbing(gitDir, ['hash-object', '-w', '--stdin'], {
                input: Buffer.from(entry.content, 'utf8'),
              })
            ).trim();
          } else if (
            typeof entry.sha === 'string' &&
            (await objectType(gitDir, entry.sha)) === 'blob'
          ) {
            sha = entry.sha;
          } else {
            throw new HttpError(
              422,
              'Invalid request.\n\nEach tree entry needs content, the sha of a blob, or sha null',
              documentation,
            );
          }
          await plumbing(
            gitDir,
            [
              'update-index',
              '--add',
              '--cacheinfo',
              `${entry.mode},${sha},${entryPath}`,
            ],
            { env },
          );
        }
        const sha = (await plumbing(gitDir, ['write-tree'], { env })).trim();
        const repoApi = `${apiBaseUrl}/repos/${record.owner}/${record.name}`;
        const entries = await listTree(gitDir, sha, false);
        return json(response, 201, {
          sha,
          url: `${repoApi}/git/trees/${sha}`,
          tree: entries.map(e => ({
            path: e.path,
            mode: e.mode,
            type: e.type,
            sha: e.sha,
            url: `${repoApi}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
          })),
          truncated: false,
        });
      } finally {
        await rm(index, { force: true });
      }
    }
    if (method === 'POST' && rest === '/git/commits') {
      const documentation =
        'https://docs.github.com/rest/git/commits#create-a-commit';
      const { record, gitDir } = await writable(
        owner,
        repo,
        login,
        documentation,
      );
      const body = await readBody(request);
      if (typeof body.message !== 'string')
        throw new HttpError(
          422,
          'Invalid request.\n\n"message" wasn\'t supplied.',
          documentation,
        );
      if ((await objectType(gitDir, String(body.tree))) !== 'tree')
        throw new HttpError(422, 'Tree SHA does not exist', documentation);
      const parents: string[] = Array.isArray(body.parents) ? body.parents : [];
      for (const parent of parents) {
        if ((await objectType(gitDir, String(parent))) !== 'commit')
          throw new HttpError(
            422,
            'Parent SHA does not exist or is not a commit object',
            documentation,
          );
      }
      const user = accounts.get(login!.toLowerCase())!;
      const person = (who: any) => ({
        name: String(who?.name ?? user.login).replace(/[<>\n]/g, ''),
        email: String(
          who?.email ?? `${user.login}@users.noreply.${hostName}`,
        ).replace(/[<>\n]/g, ''),
      });
      const author = person(body.author);
      const committer = body.committer ? person(body.committer) : author;
      const sha = (
        await plumbing(
          gitDir,
          [
            'commit-tree',
            body.tree,
            ...parents.flatMap(p => ['-p', p]),
            '-F',
            '-',
          ],
          {
            input: body.message,
            env: {
              GIT_AUTHOR_NAME: author.name,
              GIT_AUTHOR_EMAIL: author.email,
              GIT_COMMITTER_NAME: committer.name,
              GIT_COMMITTER_EMAIL: committer.email,
            },
          },
        )
      ).trim();
      const c = await readCommit(gitDir, sha);
      const repoApi = `${apiBaseUrl}/repos/${record.owner}/${record.name}`;
      return json(response, 201, {
        sha,
        url: `${repoApi}/git/commits/${sha}`,
        html_url: `${baseUrl}/${record.owner}/${record.name}/commit/${sha}`,
        author: c.author,
        committer: c.committer,
        message: c.message,
        tree: { sha: c.tree, url: `${repoApi}/git/trees/${c.tree}` },
        parents: c.parents.map(p => ({
          sha: p,
          url: `${repoApi}/git/commits/${p}`,
        })),
      });
    }
    const refRoute = /^\/git\/refs\/(heads\/.+)$/.exec(rest);
    if (
      (method === 'POST' && rest === '/git/refs') ||
      (method === 'PATCH' && refRoute)
    ) {
      const creating = method === 'POST';
      const documentation = creating
        ? 'https://docs.github.com/rest/git/refs#create-a-reference'
        : 'https://docs.github.com/rest/git/refs#update-a-reference';
      const { record, gitDir } = await writable(
        owner,
        repo,
        login,
        documentation,
      );
      const body = await readBody(request);
      const ref = creating
        ? String(body.ref ?? '')
        : `refs/${decodeURIComponent(refRoute![1])}`;
      const branch = ref.replace(/^refs\/heads\//, '');
      if (
        !/^refs\/heads\/[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/.test(ref) ||
        ref.includes('..') ||
        ref.endsWith('.lock')
      ) {
        throw new HttpError(
          422,
          `Reference name ${JSON.stringify(ref)} is not valid here (refs/heads/<branch> only)`,
          documentation,
        );
      }
      if ((await objectType(gitDir, String(body.sha))) !== 'commit')
        throw new HttpError(422, 'Object does not exist', documentation);
      if (branch in record.protection) {
        // Branch protection as our publish step sets it: changes reach a protected branch by pull request.
        throw new HttpError(
          422,
          `Protected branch update failed for ${ref}.`,
          documentation,
        );
      }
      const current = await resolveCommit(gitDir, ref);
      if (creating && current)
        throw new HttpError(422, 'Reference already exists', documentation);
      if (!creating && !current)
        throw new HttpError(422, 'Reference does not exist', documentation);
      if (!creating && !body.force) {
        const fastForward = await plumbing(gitDir, [
          'merge-base',
          '--is-ancestor',
          current!,
          body.sha,
        ]).then(
          () => true,
          () => false,
        );
        if (!fastForward)
          throw new HttpError(
            422,
            'Update is not a fast forward',
            documentation,
          );
      }
      await plumbing(gitDir, [
        'update-ref',
        ref,
        body.sha,
        creating ? '' : current!,
      ]);
      return json(response, creating ? 201 : 200, {
        ref,
        url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/git/${ref}`,
        object: {
          sha: body.sha,
          type: 'commit',
          url: `${apiBaseUrl}/repos/${record.owner}/${record.name}/git/commits/${body.sha}`,
        },
      });
    }
    const pullRoute = /^\/pulls\/([0-9]+)$/.exec(rest);
    if (rest === '/pulls' || pullRoute) {
      const documentation = 'https://docs.github.com/rest/pulls/pulls';
      if (method === 'POST' && rest === '/pulls') {
        const { record, gitDir } = await writable(
          owner,
          repo,
          login,
          documentation,
        );
        const body = await readBody(request);
        for (const key of ['head', 'base']) {
          if (typeof body[key] !== 'string')
            throw new HttpError(
              422,
              `Invalid request.\n\n"${key}" wasn't supplied.`,
              documentation,
            );
        }
        const [headOwner, headBranch] = body.head.includes(':')
          ? body.head.split(':', 2)
          : [record.owner, body.head];
        if (headOwner.toLowerCase() !== record.owner.toLowerCase()) {
          throw new HttpError(422, 'Validation Failed', documentation, [
            {
              resource: 'PullRequest',
              field: 'head',
              code: 'invalid',
              message:
                'pull requests from forks are not supported by this host',
            },
          ]);
        }
        const headSha = await resolveCommit(gitDir, `refs/heads/${headBranch}`);
        const baseSha = await resolveCommit(gitDir, `refs/heads/${body.base}`);
        if (!headSha)
          throw new HttpError(422, 'Validation Failed', documentation, [
            { resource: 'PullRequest', field: 'head', code: 'invalid' },
          ]);
        if (!baseSha)
          throw new HttpError(422, 'Validation Failed', documentation, [
            { resource: 'PullRequest', field: 'base', code: 'invalid' },
          ]);
        const pulls = (record.pulls ??= []);
        if (
          pulls.some(
            p =>
              p.state === 'open' &&
              p.head === headBranch &&
              p.base === body.base,
          )
        ) {
          throw new HttpError(422, 'Validation Failed', documentation, [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${record.owner}:${headBranch}.`,
            },
          ]);
        }
        if (headSha === baseSha) {
          throw new HttpError(422, 'Validation Failed', documentation, [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `No commits between ${body.base} and ${headBranch}`,
            },
          ]);
        }
        const pull: PullRecord = {
          number: pulls.length + 1,
          title: String(body.title ?? ''),
          body: body.body === undefined ? null : String(body.body),
          state: 'open',
          draft: Boolean(body.draft),
          head: headBranch,
          base: body.base,
          user: login!,
          createdAt: new Date().toISOString(),
        };
        pulls.push(pull);
        await saveRecord(record);
        return json(response, 201, await pullJson(record, pull));
      }
      if (pullRoute && (method === 'GET' || method === 'PATCH')) {
        const record =
          method === 'GET'
            ? await readable(owner, repo, login, documentation)
            : (await writable(owner, repo, login, documentation)).record;
        const pull = record.pulls?.[Number(pullRoute[1]) - 1];
        if (!pull) throw new HttpError(404, 'Not Found', documentation);
        if (method === 'PATCH') {
          const body = await readBody(request);
          if (typeof body.title === 'string') pull.title = body.title;
          if (typeof body.body === 'string') pull.body = body.body;
          if (body.state === 'open' || body.state === 'closed')
            pull.state = body.state;
          if (typeof body.base === 'string') pull.base = body.base;
          await saveRecord(record);
        }
        return json(response, 200, await pullJson(record, pull));
      }
      if (method === 'GET' && rest === '/pulls') {
        const record = await readable(owner, repo, login, documentation);
        const state = url.searchParams.get('state') ?? 'open';
        const list = (record.pulls ?? []).filter(
          p => state === 'all' || p.state === state,
        );
        return json(
          response,
          200,
          await Promise.all(list.map(p => pullJson(record, p))),
        );
      }
    }
    if (method === 'GET' && (m = /^\/tarball(?:\/([^/]+))?$/.exec(rest))) {
      const documentation =
        'https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar';
      const record = await readable(owner, repo, login, documentation);
      const { gitDir, commit } = await commitFor(
        record,
        m[1] ? decodeURIComponent(m[1]) : undefined,
        documentation,
      );
      response.writeHead(200, {
        'content-type': 'application/x-gzip',
        'content-disposition': `attachment; filename=${record.owner}-${record.name}-${commit.slice(0, 7)}.tar.gz`,
      });
      archive(
        gitDir,
        commit,
        `${record.owner}-${record.name}-${commit.slice(0, 7)}`,
        response,
      );
      return true;
    }
    return false;
  }

  // ------------------------------------------------------- raw and web
  async function raw(
    response: ServerResponse,
    route: string,
    login: string | undefined,
  ) {
    const m = /^\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(route);
    if (!m) throw new HttpError(404, 'Not Found');
    const record = await readable(
      decodeURIComponent(m[1]),
      decodeURIComponent(m[2]),
      login,
      'https://docs.github.com',
    );
    const gitDir = repositoryPath(record.owner, record.name);
    const commit = await resolveCommit(gitDir, decodeURIComponent(m[3]));
    const entry = commit
      ? await entryAt(gitDir, commit, decodeURIComponent(m[4]))
      : undefined;
    if (!entry || entry.type !== 'blob') throw new HttpError(404, 'Not Found');
    const content = await readBlob(gitDir, entry.sha);
    response.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      etag: `"${entry.sha}"`,
      'content-length': String(content.length),
    });
    response.end(content);
  }

  function html(
    response: ServerResponse,
    status: number,
    title: string,
    body: string,
  ) {
    const escape = (s: string) =>
      s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><title>${escape(title)}</title><h1>${escape(title)}</h1><pre>${escape(body)}</pre>\n`,
    );
  }

  async function web(
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    login: string | undefined,
  ) {
    const m =
      /^\/([^/]+)\/([^/]+?)(\.git)?(?:\/(blob|tree)\/([^/]+)(?:\/(.*))?)?\/?$/.exec(
        route,
      );
    if (!m || request.method !== 'GET')
      return html(response, 404, 'Not Found', '');
    const record = await loadRecord(
      decodeURIComponent(m[1]),
      decodeURIComponent(m[2]),
    );
    if (!record || (record.private && !canWrite(login, record.owner)))
      return html(response, 404, 'Not Found', '');
    const full = `${record.owner}/${record.name}`;
    if (m[3] && !m[4]) {
      response.writeHead(301, { location: `${baseUrl}/${full}` });
      return response.end();
    }
    const gitDir = repositoryPath(record.owner, record.name);
    if (!m[4]) {
      if (await isEmpty(gitDir))
        return html(
          response,
          200,
          full,
          `This repository is empty.\n\ngit clone ${baseUrl}/${full}.git`,
        );
      const commit = (await resolveCommit(gitDir, record.defaultBranch))!;
      const entries = await listTree(gitDir, commit, false);
      return html(
        response,
        200,
        full,
        `${record.description ?? ''}\n\n${entries.map(e => `${e.mode} ${e.path}`).join('\n')}`,
      );
    }
    const commit = await resolveCommit(gitDir, decodeURIComponent(m[5]));
    const entry = commit
      ? await entryAt(
          gitDir,
          commit,
          decodeURIComponent(m[6] ?? '').replace(/\/+$/, ''),
        )
      : undefined;
    if (!entry) return html(response, 404, 'Not Found', '');
    if (entry.type === 'blob' && m[4] === 'tree') {
      // GitHub sends a tree/ URL of a file to its blob/ URL.
      response.writeHead(301, {
        location: `${baseUrl}/${full}/blob/${m[5]}/${m[6]}`,
      });
      return response.end();
    }
    if (entry.type === 'tree') {
      const entries = await listTree(gitDir, entry.sha, false);
      return html(
        response,
        200,
        `${full}/${entry.path}`,
        entries.map(e => `${e.mode} ${e.path}`).join('\n'),
      );
    }
    return html(
      response,
      200,
      `${full}/${entry.path}`,
      (await readBlob(gitDir, entry.sha)).toString('utf8'),
    );
  }

  async function gitHttp(
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    auth: Auth,
  ) {
    const m =
      /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(
        route,
      );
    if (!m) return false;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const service =
      m[3] === 'info/refs' ? url.searchParams.get('service') : m[3];
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      response.writeHead(403, { 'content-type': 'text/plain' });
      response.end('Smart HTTP only: dumb HTTP transport is not supported.\n');
      return true;
    }
    const record = await loadRecord(
      decodeURIComponent(m[1]),
      decodeURIComponent(m[2]),
    );
    const login = auth.state === 'valid' ? auth.login : undefined;
    const needsAuth =
      service === 'git-receive-pack' || !record || record.private;
    if (auth.state === 'invalid' || (needsAuth && !login)) {
      response.writeHead(401, {
        'www-authenticate': 'Basic realm="GitHub"',
        'content-type': 'text/plain',
      });
      response.end(
        auth.state === 'invalid'
          ? 'Invalid username or token. Password authentication is not supported for Git operations.\n'
          : '',
      );
      return true;
    }
    const allowed =
      record &&
      (service === 'git-receive-pack' || record.private
        ? canWrite(login, record.owner)
        : true);
    if (!allowed) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('Repository not found.\n');
      return true;
    }
    const gitDir = repositoryPath(record.owner, record.name);
    serveGitHttp({
      projectRoot: root,
      pathInfo: `/${path.relative(root, gitDir)}/${m[3]}`,
      remoteUser: login,
      request,
      response,
    });
    return true;
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = url.pathname;
    const auth = authenticate(request);
    const login = auth.state === 'valid' ? auth.login : undefined;
    response.on('finish', () => {
      requests.push({
        method: request.method ?? 'GET',
        path: route,
        status: response.statusCode,
        login,
      });
      // A long `npm start` keeps only the recent past.
      if (requests.length > 20_000) requests.splice(0, 10_000);
    });
    const handle = async () => {
      // GitHub Enterprise Server's GraphQL endpoint: octokit's graphql derives it from apiBaseUrl /api/v3.
      if (route === '/api/graphql' && request.method === 'POST')
        return graphql(request, response, auth);
      if (route === API || route.startsWith(`${API}/`)) {
        if (auth.state === 'invalid')
          throw new HttpError(401, 'Bad credentials');
        const handled = await restApi(
          request,
          response,
          route.slice(API.length) || '/',
          url,
          auth,
        );
        if (handled === false) {
          unimplemented.push(`${request.method} ${route}`);
          throw new HttpError(404, 'Not Found');
        }
        return undefined;
      }
      if (route.startsWith(`${RAW}/`)) {
        if (auth.state === 'invalid')
          throw new HttpError(401, 'Bad credentials');
        return raw(response, route.slice(RAW.length), login);
      }
      if (await gitHttp(request, response, route, auth)) return undefined;
      return web(request, response, route, login);
    };
    handle().catch(error => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const e =
        error instanceof HttpError
          ? error
          : new HttpError(
              500,
              `Server Error: ${String(error?.message ?? error)}`,
            );
      json(response, e.status, errorBody(e));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  hostName = `127.0.0.1:${port}`;
  baseUrl = `http://${hostName}`;
  apiBaseUrl = `${baseUrl}${API}`;

  return {
    baseUrl,
    host: hostName,
    apiBaseUrl,
    rawBaseUrl: `${baseUrl}${RAW}`,
    requests,
    unimplemented,
    repositoryPath,
    stop: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
