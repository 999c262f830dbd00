/**
 * Real git underneath the GitHub-compatible host: bare repositories made with `git init --bare`,
 * read with git plumbing (`rev-parse`, `ls-tree`, `cat-file`, `archive`), and served over smart
 * HTTP by Debian's `git http-backend` (CGI), so that a push to the host is a real push.
 */
import { execFile, spawn } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's path of git's smart-HTTP CGI program (package `git`). */
export const GIT_HTTP_BACKEND =
  process.env.GIT_HTTP_BACKEND ?? '/usr/lib/git-core/git-http-backend';

/** Git's environment without the caller's global or system config getting in the way. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LANG: 'C',
    ...extra,
  };
}

async function git(gitDir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', gitDir, ...args], {
    env: gitEnv(),
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout;
}

/**
 * Git plumbing for the Git Data API (blobs, trees, commits, refs): writes objects and refs, one
 * git process each, with the same clean environment as the read side, optionally fed `input`.
 */
export function plumbing(
  gitDir: string,
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['--git-dir', gitDir, ...args],
      { env: gitEnv(options.env), maxBuffer: 64 * 2 ** 20 },
      (error, stdout) => (error ? reject(error) : resolve(String(stdout))),
    );
    // A command that reads no input may exit before the pipe is written: its exit status, not
    // the pipe, says whether it worked.
    child.stdin?.on('error', () => {});
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}

/** Creates an empty bare repository whose HEAD points at `refs/heads/<defaultBranch>`. */
export async function initBare(
  gitDir: string,
  defaultBranch: string,
): Promise<void> {
  await run(
    'git',
    ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, gitDir],
    { env: gitEnv() },
  );
}

/** A ref name we are willing to hand to git: no option look-alikes, no revision syntax. */
function safeRef(ref: string): boolean {
  return (
    /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/.test(ref) &&
    !ref.includes('..') &&
    !ref.endsWith('.lock')
  );
}

/** The commit a branch, tag or commit SHA names, or undefined. */
export async function resolveCommit(
  gitDir: string,
  ref: string,
): Promise<string | undefined> {
  if (!safeRef(ref)) return undefined;
  try {
    return (
      (
        await git(gitDir, [
          'rev-parse',
          '--verify',
          '--quiet',
          '--end-of-options',
          `${ref}^{commit}`,
        ])
      ).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** True when the repository has no commit at all (freshly created, nothing pushed). */
export async function isEmpty(gitDir: string): Promise<boolean> {
  const refs = await git(gitDir, [
    'for-each-ref',
    '--count=1',
    '--format=%(refname)',
  ]);
  return refs.trim() === '';
}

export interface TreeEntry {
  /** Octal mode as git writes it: 100644, 100755, 040000, 120000, 160000. */
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  /** Bytes, for blobs. */
  size?: number;
  path: string;
}

function parseLsTree(output: string): TreeEntry[] {
  return output
    .split('\0')
    .filter(Boolean)
    .map(line => {
      const tab = line.indexOf('\t');
      const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
      return {
        mode,
        type: type as TreeEntry['type'],
        sha,
        size: size === '-' ? undefined : Number(size),
        path: line.slice(tab + 1),
      };
    });
}

/** The entry at `path` in a commit (the root tree for ''), or undefined. */
export async function entryAt(
  gitDir: string,
  commit: string,
  path: string,
): Promise<TreeEntry | undefined> {
  if (path === '') {
    const sha = (await git(gitDir, ['rev-parse', `${commit}^{tree}`])).trim();
    return { mode: '040000', type: 'tree', sha, path: '' };
  }
  return parseLsTree(
    await git(gitDir, [
      'ls-tree',
      '-z',
      '-l',
      '--full-tree',
      commit,
      '--',
      path,
    ]),
  ).find(e => e.path === path);
}

/** The entries of a tree object, one level or (recursive) all of them including subtrees. */
export async function listTree(
  gitDir: string,
  treeish: string,
  recursive: boolean,
): Promise<TreeEntry[]> {
  return parseLsTree(
    await git(gitDir, [
      'ls-tree',
      '-z',
      '-l',
      ...(recursive ? ['-r', '-t'] : []),
      treeish,
    ]),
  );
}

/** The type of an object, or undefined when the repository does not have it. */
export async function objectType(
  gitDir: string,
  sha: string,
): Promise<string | undefined> {
  if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
  try {
    return (await git(gitDir, ['cat-file', '-t', sha])).trim();
  } catch {
    return undefined;
  }
}

/** A blob's bytes. */
export async function readBlob(gitDir: string, sha: string): Promise<Buffer> {
  const { stdout } = await run(
    'git',
    ['--git-dir', gitDir, 'cat-file', 'blob', sha],
    {
      env: gitEnv(),
      encoding: 'buffer',
      maxBuffer: 256 * 2 ** 20,
    },
  );
  return stdout;
}

/** A commit's headers, for the commits endpoint. */
export async function readCommit(gitDir: string, sha: string) {
  const format = [
    '%H',
    '%T',
    '%P',
    '%an',
    '%ae',
    '%aI',
    '%cn',
    '%ce',
    '%cI',
    '%B',
  ].join('%x00');
  const [hash, tree, parents, an, ae, ad, cn, ce, cd, message] = (
    await git(gitDir, ['show', '-s', `--format=${format}`, sha])
  ).split('\0');
  return {
    sha: hash,
    tree,
    parents: parents ? parents.split(' ') : [],
    author: { name: an, email: ae, date: ad },
    committer: { name: cn, email: ce, date: cd },
    message: message.replace(/\n$/, ''),
  };
}

/** Streams `git archive` of a commit as a gzip tarball whose entries sit under `prefix/`. */
export function archive(
  gitDir: string,
  commit: string,
  prefix: string,
  response: ServerResponse,
): void {
  const child = spawn(
    'git',
    [
      '--git-dir',
      gitDir,
      'archive',
      '--format=tar.gz',
      `--prefix=${prefix}/`,
      commit,
    ],
    { env: gitEnv() },
  );
  child.stdout.pipe(response);
  child.on('error', () => response.destroy());
}

/**
 * Hands a smart-HTTP request (`info/refs?service=...`, `git-upload-pack`, `git-receive-pack`)
 * to `git http-backend` as a CGI request and relays its answer. `remoteUser` is the
 * authenticated login: git http-backend enables receive-pack only when REMOTE_USER is set.
 */
export function serveGitHttp(options: {
  projectRoot: string;
  pathInfo: string;
  remoteUser?: string;
  request: IncomingMessage;
  response: ServerResponse;
}): void {
  const { projectRoot, pathInfo, remoteUser, request, response } = options;
  const url = new URL(request.url ?? '/', 'http://localhost');
  const env = gitEnv({
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: request.method ?? 'GET',
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    ...(request.headers['content-length']
      ? { CONTENT_LENGTH: request.headers['content-length'] }
      : {}),
    ...(request.headers['content-encoding']
      ? { HTTP_CONTENT_ENCODING: String(request.headers['content-encoding']) }
      : {}),
    ...(request.headers['git-protocol']
      ? { GIT_PROTOCOL: String(request.headers['git-protocol']) }
      : {}),
    ...(remoteUser ? { REMOTE_USER: remoteUser } : {}),
  });
  const child = spawn(GIT_HTTP_BACKEND, [], { env });
  request.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
    if (end < 0) return;
    const separator = end === crlf ? 4 : 2;
    let status = 200;
    for (const line of head
      .subarray(0, end)
      .toString('latin1')
      .split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else response.setHeader(name, value);
    }
    response.statusCode = status;
    headersSent = true;
    response.write(head.subarray(end + separator));
  });
  child.stdout.on('end', () => response.end());
  child.on('error', error => {
    if (!response.headersSent) {
      response.statusCode = 500;
      response.end(`git http-backend failed: ${error.message}`);
    } else {
      response.destroy();
    }
  });
}
