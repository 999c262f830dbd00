import type { Dirent, Stats } from 'node:fs';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@backstage/errors';
import { RenderedFile } from '../kits/engine';
import {
  checkEntry,
  isInside,
  lstatIfExists,
  resolveInsideWithoutLinks,
} from './pathGuard';

/** Resolves the target directory inside the workspace, refusing traversal and links. */
export async function resolveTarget(
  workspace: string,
  targetPath: string,
): Promise<string> {
  return resolveInsideWithoutLinks(
    workspace,
    targetPath,
    { name: 'targetPath', example: 'environment' },
    'directory',
  );
}

/**
 * What exists of `paths` (directories and files below `workspace`), from one listing per
 * existing directory on the way: a directory or a link is known from its directory entry, an
 * existing file is `lstat`ed (its number of names matters), and nothing below a missing
 * directory is looked at. In a fresh workspace this is one `readdir`.
 */
async function lookAt(
  workspace: string,
  paths: ReadonlyMap<string, 'file' | 'directory'>,
): Promise<Map<string, Stats | undefined>> {
  const children = new Map<string, string[]>();
  for (const p of paths.keys()) {
    const parent = path.dirname(p);
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const found = new Map<string, Stats | undefined>();
  function markMissing(p: string) {
    found.set(p, undefined);
    for (const child of children.get(p) ?? []) markMissing(child);
  }
  async function visit(dir: string): Promise<void> {
    const wanted = children.get(dir);
    if (!wanted) return;
    let listed: Dirent[];
    try {
      listed = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A workspace that does not exist yet: everything is created.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      for (const p of wanted) markMissing(p);
      return;
    }
    const entries = new Map(listed.map(e => [e.name, e] as const));
    await Promise.all(
      wanted.map(async p => {
        const entry = entries.get(path.basename(p));
        if (!entry) {
          markMissing(p);
          return;
        }
        // A file (its number of names matters) or an entry the file system did not type: lstat.
        const stat =
          entry.isDirectory() || entry.isSymbolicLink()
            ? typeOnly(entry)
            : await lstatIfExists(p);
        found.set(p, stat);
        if (stat?.isDirectory()) await visit(p);
        else for (const child of children.get(p) ?? []) markMissing(child);
      }),
    );
  }
  await visit(workspace);
  // Whatever the listings did not reach (nothing, when every path hangs below the workspace) is
  // lstat'ed directly: no path goes unchecked.
  await Promise.all(
    [...paths.keys()]
      .filter(p => !found.has(p))
      .map(async p => found.set(p, await lstatIfExists(p))),
  );
  return found;
}

/** The part of Stats that checkEntry reads of a directory or a link, from its directory entry. */
function typeOnly(entry: Dirent): Stats {
  return {
    isSymbolicLink: () => entry.isSymbolicLink(),
    isFile: () => entry.isFile(),
    isDirectory: () => entry.isDirectory(),
    nlink: 1,
  } as Stats;
}

/** The bits of `mode` the process umask clears from a new file (0 under the usual 022). */
function trimmedByUmask(mode: number): number {
  return mode & process.umask();
}

/** A file to write: a rendered kit file, or bytes that came back from the scaffolder. */
export interface FileToWrite extends Omit<RenderedFile, 'content'> {
  content: string | Uint8Array;
}

/**
 * Writes rendered files under `target` (inside `workspace`) with their modes. Every path is
 * checked before anything is written: no component may be a symbolic link, existing files must
 * be regular files with one name and existing directories directories. Checks and writes run
 * in parallel, each path looked at once. A new file is created exclusively (`wx`: it fails
 * rather than follow whatever appeared at its path since the check) and takes its mode at
 * creation; only a file that existed, or a mode the umask trims, needs a `chmod`.
 */
export async function writeFiles(
  workspacePath: string,
  target: string,
  files: readonly FileToWrite[],
): Promise<string[]> {
  // Normalised (no trailing slash, no "."), as the paths below are, so that they meet it.
  const workspace = path.resolve(workspacePath);
  const planned = files.map(file => {
    const absolute = path.resolve(target, file.path);
    // Kit paths are constants of the package, not input; the target itself went through
    // the guard in resolveTarget.
    if (!isInside(target, absolute)) {
      throw new Error(`Kit path ${file.path} leaves the target directory`);
    }
    return { file, absolute };
  });

  // Every directory between the workspace and a file, and every file, looked at once.
  const kinds = new Map<string, 'file' | 'directory'>();
  for (const { absolute } of planned) {
    kinds.set(absolute, 'file');
    for (
      let dir = path.dirname(absolute);
      isInside(workspace, dir) && dir !== workspace;
      dir = path.dirname(dir)
    ) {
      kinds.set(dir, 'directory');
    }
  }
  const stats = await lookAt(workspace, kinds);
  for (const [p, stat] of stats) {
    checkEntry(path.relative(workspace, p), stat, kinds.get(p)!);
  }

  const missingDirs = [...stats]
    .filter(([p, stat]) => !stat && kinds.get(p) === 'directory')
    .map(([p]) => p);
  // Deepest last; recursive mkdir creates the parents, so only the leaves need a call.
  const leaves = missingDirs.filter(
    dir => !missingDirs.some(other => other !== dir && isInside(dir, other)),
  );
  await Promise.all(leaves.map(dir => mkdir(dir, { recursive: true })));

  await Promise.all(
    planned.map(async ({ file, absolute }) => {
      const existed = stats.get(absolute) !== undefined;
      try {
        await writeFile(absolute, file.content, {
          mode: file.mode,
          flag: existed ? 'w' : 'wx',
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new InputError(
            `Refusing to write ${path.relative(workspace, absolute)}: something appeared at its path while the kit was written; render again into a clean workspace`,
          );
        }
        throw error;
      }
      // writeFile keeps the mode of a file that existed, and the umask trims a new one's.
      if (existed || trimmedByUmask(file.mode) !== 0) {
        await chmod(absolute, file.mode);
      }
    }),
  );
  return planned.map(({ absolute }) =>
    path.relative(workspace, absolute).split(path.sep).join('/'),
  );
}
