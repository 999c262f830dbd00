import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { kitManifest } from '../../kits/manifest';
import { GITIGNORE, Rule, ValidationInput, Violation } from './types';
import { vocabulary } from './masking';

const run = promisify(execFile);

/** Files that hold rendered secrets and must never be committed. */
export const MUST_IGNORE = ['backend.yaml', 'secrets.vals.yaml.rendered'];

/** Files that must be committed: every file of the production kit, and the ones named in the spec. */
export const MUST_COMMIT = [
  ...new Set([
    'SECRETS.md',
    'Makefile',
    'backend.yaml.tmpl',
    'secrets.vals.yaml',
    '.env.example',
    'README.md',
    'catalog-info.yaml',
    'kcl/main.k',
    'kcl/kcl.mod',
    'scripts/load-env.sh',
    ...kitManifest.production.map(f => f.path),
  ]),
];

/** One answer of `git check-ignore -v -n`: which pattern (if any) decides a path. */
interface IgnoreAnswer {
  path: string;
  ignored: boolean;
  source?: string;
  line?: number;
  pattern?: string;
}

/**
 * Asks real git whether each path is ignored, with the given `core.ignorecase`. Runs in a
 * throw-away repository holding only the directory's `.gitignore` files, with the user's and
 * the system's git configuration (and so any global excludes file) switched off.
 */
async function checkIgnore(
  repo: string,
  paths: string[],
  ignoreCase: boolean,
): Promise<IgnoreAnswer[]> {
  const args = [
    '-c',
    `core.ignorecase=${ignoreCase}`,
    '-c',
    'core.excludesFile=',
    'check-ignore',
    '--no-index',
    '-v',
    '-n',
    '--',
    ...paths,
  ];
  let stdout: string;
  try {
    ({ stdout } = await run('git', args, {
      cwd: repo,
      env: gitEnv(),
      maxBuffer: 1024 * 1024,
    }));
  } catch (error) {
    // execFile rejects with the exit status as a number, or a string code such as ENOENT.
    const e = error as Error & {
      code?: number | string;
      stdout?: string;
      stderr?: string;
    };
    // Exit status 1 means "nothing is ignored": the answers are still on stdout.
    if (e.code === 1 && typeof e.stdout === 'string') stdout = e.stdout;
    else if (e.code === 'ENOENT')
      throw new Error(
        'The gitignore rule needs git on PATH, and git was not found',
      );
    else
      throw new Error(
        `git check-ignore failed: ${e.stderr?.trim() || e.message}`,
      );
  }
  return stdout
    .split('\n')
    .filter(Boolean)
    .map(row => {
      const tab = row.indexOf('\t');
      const where = row.slice(0, tab);
      const file = row.slice(tab + 1);
      if (where === '::') return { path: file, ignored: false };
      const m = /^(.*):(\d+):(.*)$/.exec(where)!;
      // With -v, a path matched by a negated pattern ("!x") is listed but is not ignored.
      return {
        path: file,
        ignored: !m[3].startsWith('!'),
        source: m[1],
        line: Number(m[2]),
        pattern: m[3],
      };
    });
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: os.tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    LC_ALL: 'C',
  };
}

function swapCase(p: string): string {
  return [...p]
    .map(c => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
    .join('');
}

/** The spellings a case-insensitive file system treats as the same file. */
function caseVariants(p: string): string[] {
  return [...new Set([p.toLowerCase(), p.toUpperCase(), swapCase(p)])].filter(
    v => v !== p,
  );
}

interface Pass {
  ignoreCase: boolean;
  variants: boolean;
  mode: string;
}

const PASSES: Pass[] = [
  { ignoreCase: false, variants: false, mode: '' },
  {
    ignoreCase: true,
    variants: false,
    mode: ' under case-insensitive matching (core.ignorecase=true, as on macOS and Windows)',
  },
  {
    ignoreCase: true,
    variants: true,
    mode: ' under case-insensitive matching (core.ignorecase=true, as on macOS and Windows)',
  },
];

/** The paths one pass asks about, each with the path it stands for. */
function pathsOf(pass: Pass) {
  const commit = MUST_COMMIT.flatMap(p =>
    (pass.variants ? caseVariants(p) : [p]).map(v => [v, p] as const),
  );
  const ignore = MUST_IGNORE.flatMap(p =>
    (pass.variants ? caseVariants(p) : [p]).map(v => [v, p] as const),
  );
  return { commit, ignore };
}

/**
 * Git's answers depend only on the `.gitignore` files (their paths and bytes): the paths asked
 * about are constants and the user's git configuration is switched off. A production kit renders
 * the same `.gitignore` for every repository, so the answers are kept for the most recent sets of
 * files instead of starting git four times per validation.
 */
const answerCache = new Map<string, Promise<IgnoreAnswer[][]>>();
const ANSWER_CACHE_SIZE = 64;

function answersFor(
  ignoreFiles: (readonly [string, string])[],
): Promise<IgnoreAnswer[][]> {
  const key = JSON.stringify(ignoreFiles);
  const cached = answerCache.get(key);
  if (cached) {
    // Most recently used last, so the oldest is evicted first.
    answerCache.delete(key);
    answerCache.set(key, cached);
    return cached;
  }
  const answers = askGit(ignoreFiles);
  answerCache.set(key, answers);
  // A failure (git missing, say) is not kept: the next validation asks again.
  answers.catch(() => answerCache.delete(key));
  while (answerCache.size > ANSWER_CACHE_SIZE)
    answerCache.delete(answerCache.keys().next().value!);
  return answers;
}

/** Asks real git, in a throw-away repository holding only the `.gitignore` files, every pass at once. */
async function askGit(
  ignoreFiles: (readonly [string, string])[],
): Promise<IgnoreAnswer[][]> {
  const repo = await mkdtemp(
    path.join(os.tmpdir(), 'secrets-layout-gitignore-'),
  );
  try {
    await run('git', ['init', '--quiet', '--template=', repo], {
      env: gitEnv(),
    });
    for (const [p, content] of ignoreFiles) {
      await mkdir(path.join(repo, path.posix.dirname(p)), { recursive: true });
      await writeFile(path.join(repo, p), content);
    }
    return await Promise.all(
      PASSES.map(pass => {
        const { commit, ignore } = pathsOf(pass);
        return checkIgnore(
          repo,
          [...commit, ...ignore].map(([v]) => v),
          pass.ignoreCase,
        );
      }),
    );
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

/**
 * Rule `gitignore`: real `git check-ignore` says every rendered-secret file is ignored and no
 * file that must be committed is, both with the default case-sensitive matching and with
 * `core.ignorecase=true` (macOS and Windows defaults), including differently-cased spellings.
 */
export const gitignore: Rule = async (input: ValidationInput) => {
  const ignoreFiles = [...input.files.keys()].filter(
    p => path.posix.basename(p) === GITIGNORE,
  );
  const answersByPass = await answersFor(
    ignoreFiles.map(p => [p, input.files.get(p)!.content] as const),
  );

  const violations: Violation[] = [];
  const names = vocabulary(input.expected);
  const reported = new Set<string>();
  const report = (
    answer: IgnoreAnswer,
    kind: 'commit' | 'ignore',
    mode: string,
    original: string,
  ) => {
    if (reported.has(`${kind}:${original}`)) return;
    reported.add(`${kind}:${original}`);
    const spelled = answer.path === original ? '' : ` spelled ${answer.path}`;
    if (kind === 'commit') {
      violations.push({
        file: answer.source ?? GITIGNORE,
        line: answer.line ?? 0,
        rule: 'gitignore',
        message: `the pattern ${names.show(answer.pattern ?? '')} ignores ${original}${spelled}${mode}, which must be committed`,
        fix: `make the pattern narrower (for example anchor it with a leading "/" and exact case) or add "!/${original}" after it`,
      });
    } else {
      violations.push({
        file: answer.source ?? GITIGNORE,
        line: answer.line ?? 0,
        rule: 'gitignore',
        message: answer.pattern
          ? `the pattern ${names.show(answer.pattern)} un-ignores ${original}${spelled}${mode}, which holds rendered secrets`
          : `${original}${spelled} is not ignored${mode}, yet it holds rendered secrets`,
        fix: `add "/${original}" (and "*.rendered") to .gitignore, with no later "!" pattern for it`,
      });
    }
  };

  PASSES.forEach((pass, index) => {
    const { commit, ignore } = pathsOf(pass);
    const byPath = new Map(answersByPass[index].map(a => [a.path, a]));
    for (const [variant, original] of commit) {
      const answer = byPath.get(variant);
      if (answer?.ignored) report(answer, 'commit', pass.mode, original);
    }
    for (const [variant, original] of ignore) {
      const answer = byPath.get(variant) ?? { path: variant, ignored: false };
      if (!answer.ignored) report(answer, 'ignore', pass.mode, original);
    }
  });
  return violations;
};
