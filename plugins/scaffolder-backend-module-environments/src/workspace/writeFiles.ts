import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

/** A file to write: a rendered kit file, or bytes that came back from the scaffolder. */
export interface FileToWrite extends Omit<RenderedFile, 'content'> {
  content: string | Uint8Array;
}

/**
 * Writes rendered files under `target` (inside `workspace`) with their modes. Every path is
 * checked before anything is written: no component may be a symbolic link, existing files must
 * be regular files with one name and existing directories directories. Checks and writes run
 * in parallel, each path looked at once.
 */
export async function writeFiles(
  workspace: string,
  target: string,
  files: readonly FileToWrite[],
): Promise<string[]> {
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
  const stats = new Map(
    await Promise.all(
      [...kinds.keys()].map(async p => [p, await lstatIfExists(p)] as const),
    ),
  );
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
      await writeFile(absolute, file.content, { mode: file.mode });
      // writeFile keeps the mode of a file that existed, and the umask trims a new one's.
      await chmod(absolute, file.mode);
    }),
  );
  return planned.map(({ absolute }) =>
    path.relative(workspace, absolute).split(path.sep).join('/'),
  );
}
