/**
 * `npm run scaffold -- check <repo-dir>... [--json]` and
 * `npm run scaffold -- upgrade <repo-dir> [--values changes.yaml] [--to <kit-version>]`.
 * scaffold.ts dispatches here. Both run in-process on the upgrade engine (src/upgrade): the kits
 * are loaded once, no backend starts, and each repository costs a render and a few file reads.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { loadKitsOnce, PACKAGE_NAME } from '../kits/render';
import {
  AnswerChanges,
  checkRepository,
  createKitReleases,
  directoryReader,
  FileOutcome,
  KitReleases,
  planUpgrade,
  summarize,
  UpgradeError,
} from '../upgrade';
import { writeFiles } from '../workspace/writeFiles';

/** Where a command writes; the CLI passes process.stdout/stderr, tests pass collectors. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class UsageError extends Error {}

const CHECK_USAGE = 'Usage: npm run scaffold -- check <repo-dir>... [--json]';
const UPGRADE_USAGE = `Usage: npm run scaffold -- upgrade <repo-dir> [--values changes.yaml] [--to <kit-version>] [--allow-dirty]
  --values       a YAML mapping of answer changes: field: value (a list replaces the list, null
                 removes an optional field); addDevices: [ ... ] appends devices, each
                 {hostname, macAddresses, aliases, services}; addServices: [ ... ] appends
                 services, each with device: <hostname of the device that runs it> (may be left
                 out when the environment has one device), for example
                 addServices: [{name: photos, port: 2283, publicHostname: photos.example.com, device: nas}]
  --to           the kit version to move to (default: this package's)
  --allow-dirty  merge even though the git working tree has uncommitted changes`;

/**
 * Uncommitted changes to tracked files, as `git status --porcelain` lists them; undefined when
 * the directory is not in a git working tree (or git is missing), which is allowed.
 */
function uncommittedChanges(dir: string): Promise<string[] | undefined> {
  return new Promise(resolve => {
    execFile(
      'git',
      ['-C', dir, 'status', '--porcelain', '--untracked-files=no'],
      (error, stdout) =>
        resolve(error ? undefined : String(stdout).split('\n').filter(Boolean)),
    );
  });
}

let releases: Promise<KitReleases> | undefined;
/** The package's kits and archived releases, loaded once per process. */
export function loadPackagedReleases(): Promise<KitReleases> {
  releases ??= loadKitsOnce().then(({ kits, kitVersion }) =>
    createKitReleases({
      kits,
      kitVersion,
      releasesRoot: resolvePackagePath(PACKAGE_NAME, 'kits-releases'),
    }),
  );
  return releases;
}

/** npm runs workspace scripts in the workspace; paths are resolved from where the user ran npm. */
function fromCaller(p: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function userMessage(error: unknown): string | undefined {
  if (error instanceof UpgradeError || error instanceof UsageError)
    return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR')
    return (error as Error).message;
  if ((error as Error).name === 'InputError') return (error as Error).message;
  return undefined;
}

/** `check`: exit 0 when every repository is current, 1 otherwise, 2 on a usage error or a repository that cannot be checked. */
export async function runCheck(args: string[], io: CommandIo): Promise<number> {
  const json = args.includes('--json');
  const dirs = args.filter(a => a !== '--json');
  const unknown = dirs.find(a => a.startsWith('-'));
  if (unknown || dirs.length === 0) {
    io.stderr(
      `${unknown ? `Error: unknown option ${unknown}\n` : 'Error: give at least one repository directory\n'}${CHECK_USAGE}\n`,
    );
    return 2;
  }
  const kit = await loadPackagedReleases();
  const results = await Promise.all(
    dirs.map(async dir => {
      try {
        return {
          repository: dir,
          ...(await checkRepository(kit, directoryReader(fromCaller(dir)))),
        };
      } catch (error) {
        const message = userMessage(error);
        if (message === undefined) throw error;
        return { repository: dir, state: 'error' as const, error: message };
      }
    }),
  );
  if (json) {
    io.stdout(
      `${JSON.stringify({ kitVersion: kit.current.version, repositories: results }, null, 2)}\n`,
    );
  } else {
    for (const r of results) {
      if (r.state === 'error') {
        io.stdout(`${r.repository}: error: ${r.error}\n`);
        continue;
      }
      const parts = [
        `${r.repository}: ${r.state} (${r.environment}, kit ${r.recordedVersion}${r.recordedVersion === r.currentVersion ? '' : `, current ${r.currentVersion}`})`,
      ];
      if (r.editedFiles.length)
        parts.push(`  edited: ${r.editedFiles.join(', ')}`);
      if (r.missingFiles.length)
        parts.push(`  missing: ${r.missingFiles.join(', ')}`);
      io.stdout(`${parts.join('\n')}\n`);
    }
  }
  if (results.some(r => r.state === 'error')) return 2;
  return results.every(r => r.state === 'current') ? 0 : 1;
}

function parseUpgradeArgs(args: string[]) {
  let dir: string | undefined;
  let values: string | undefined;
  let to: string | undefined;
  let allowDirty = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--values') values = value();
    else if (arg === '--to') to = value();
    else if (arg === '--allow-dirty') allowDirty = true;
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (dir)
      throw new UsageError(
        `upgrade takes one repository directory; got ${dir} and ${arg}`,
      );
    else dir = arg;
  }
  if (!dir) throw new UsageError('give the repository directory');
  return { dir, values, to, allowDirty };
}

async function readChanges(file: string): Promise<AnswerChanges> {
  let changes: unknown;
  try {
    changes = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) {
    throw new UsageError(
      `${file} must hold a YAML mapping of answer changes, for example "glueVersion: v0.12.2"`,
    );
  }
  return changes as AnswerChanges;
}

function list(title: string, files: FileOutcome[], io: CommandIo) {
  io.stdout(`${title}:${files.length ? '' : ' none'}\n`);
  for (const f of files)
    io.stdout(
      `  ${f.status.padEnd(8)} ${f.path}${f.from ? ` (from ${f.from})` : ''}${f.detail ? `: ${f.detail}` : ''}\n`,
    );
}

/** `upgrade`: merges into the working tree; exit 0 clean, 1 conflicts, 2 error. */
export async function runUpgrade(
  args: string[],
  io: CommandIo,
): Promise<number> {
  let options;
  try {
    options = parseUpgradeArgs(args);
  } catch (error) {
    io.stderr(`Error: ${(error as Error).message}\n${UPGRADE_USAGE}\n`);
    return 2;
  }
  try {
    const dir = fromCaller(options.dir);
    // The merge writes into the working tree; starting from a clean one keeps it reviewable
    // (git diff) and undoable (git checkout .), as copier update insists too.
    const dirty = await uncommittedChanges(dir);
    if (dirty?.length && !options.allowDirty) {
      throw new UsageError(
        `${options.dir} has uncommitted changes (${dirty.length} file(s), e.g. ${dirty[0].trim()}); commit or stash them first, or pass --allow-dirty`,
      );
    }
    const changes = options.values
      ? await readChanges(fromCaller(options.values))
      : undefined;
    const kit = await loadPackagedReleases();
    const plan = await planUpgrade({
      releases: kit,
      read: directoryReader(dir),
      changes,
      to: options.to,
    });
    await writeFiles(dir, dir, plan.writes);
    await Promise.all(
      plan.deletes.map(file => rm(path.join(dir, file), { force: true })),
    );

    const { changed, mergedCleanly, conflicts } = summarize(plan);
    io.stdout(
      `${options.dir}: ${plan.environment} environment, kit ${plan.fromVersion} -> ${plan.toVersion}\n`,
    );
    if (plan.answerNotes.length)
      io.stdout(`Answers:\n${plan.answerNotes.map(n => `  ${n}\n`).join('')}`);
    list('Changed', changed, io);
    list('Merged cleanly with your changes', mergedCleanly, io);
    list('Conflicts', conflicts, io);
    if (conflicts.length) {
      io.stdout(
        `${conflicts.length} file(s) need you: resolve the regions between "<<<<<<< ours" and ">>>>>>> theirs", then commit.\n`,
      );
      return 1;
    }
    io.stdout(
      plan.files.length
        ? 'Merged cleanly; review with git diff and commit.\n'
        : 'Already up to date.\n',
    );
    return 0;
  } catch (error) {
    const message = userMessage(error);
    io.stderr(`Error: ${message ?? (error as Error).stack ?? String(error)}\n`);
    return 2;
  }
}
