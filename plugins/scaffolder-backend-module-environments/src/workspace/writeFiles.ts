import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RenderedFile } from '../kits/engine';

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (error) {
    // ENOTDIR: a parent is a file; the check of that parent reports it.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Refuses a path if any existing component between the workspace and it is a symbolic link
 * or not what we expect, so nothing is ever written through a link to outside the workspace.
 */
async function assertNoLinks(workspace: string, target: string, finalIsFile: boolean): Promise<void> {
  const relative = path.relative(workspace, target);
  const parts = relative === '' ? [] : relative.split(path.sep);
  let current = workspace;
  for (let i = 0; i < parts.length; i++) {
    current = path.join(current, parts[i]);
    const stat = await lstatOrUndefined(current);
    if (!stat) return;
    const shown = path.relative(workspace, current);
    if (stat.isSymbolicLink()) {
      throw new InputError(`Refusing to write through the symbolic link ${shown} in the workspace; remove it first`);
    }
    const last = i === parts.length - 1;
    if (last && finalIsFile ? !stat.isFile() : !stat.isDirectory()) {
      throw new InputError(`Refusing to write ${shown}: it exists and is not a ${last && finalIsFile ? 'regular file' : 'directory'}`);
    }
  }
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Resolves the target directory inside the workspace, refusing traversal and links. */
export async function resolveTarget(workspace: string, targetPath: string): Promise<string> {
  const lexical = path.resolve(workspace, targetPath);
  if (path.isAbsolute(targetPath) || !isInside(workspace, lexical)) {
    throw new InputError(`targetPath must stay inside the workspace, for example "environment"; got ${JSON.stringify(targetPath)}`);
  }
  await assertNoLinks(workspace, lexical, false);
  // Belt and braces: the Backstage helper also resolves links that appeared in between.
  return resolveSafeChildPath(workspace, targetPath);
}

/**
 * Writes rendered files under `target` (inside `workspace`) with their modes. Every path is
 * checked before anything is written: no component may be a symbolic link, existing files must
 * be regular files and existing directories directories. Checks and writes run in parallel,
 * each path looked at once.
 */
export async function writeFiles(workspace: string, target: string, files: RenderedFile[]): Promise<string[]> {
  const planned = files.map(file => {
    const absolute = path.resolve(target, file.path);
    // Kit paths are constants of the package, not input; the target itself went through
    // resolveSafeChildPath in resolveTarget.
    if (!isInside(target, absolute)) throw new Error(`Kit path ${file.path} leaves the target directory`);
    return { file, absolute };
  });

  // Every directory between the workspace and a file, and every file, looked at once.
  const kinds = new Map<string, 'file' | 'directory'>();
  for (const { absolute } of planned) {
    kinds.set(absolute, 'file');
    for (let dir = path.dirname(absolute); isInside(workspace, dir) && dir !== workspace; dir = path.dirname(dir)) {
      kinds.set(dir, 'directory');
    }
  }
  const stats = new Map(
    await Promise.all([...kinds.keys()].map(async p => [p, await lstatOrUndefined(p)] as const)),
  );
  for (const [p, stat] of stats) {
    if (!stat) continue;
    const shown = path.relative(workspace, p);
    if (stat.isSymbolicLink()) {
      throw new InputError(`Refusing to write through the symbolic link ${shown} in the workspace; remove it first`);
    }
    const expected = kinds.get(p);
    if (expected === 'file' ? !stat.isFile() : !stat.isDirectory()) {
      throw new InputError(`Refusing to write ${shown}: it exists and is not a ${expected === 'file' ? 'regular file' : 'directory'}`);
    }
    if (expected === 'file' && stat.nlink > 1) {
      // Writing would change every other name of the file too, possibly outside the workspace.
      throw new InputError(`Refusing to write ${shown}: it is a hard link (${stat.nlink} names); remove it first`);
    }
  }

  const missingDirs = [...stats].filter(([p, stat]) => !stat && kinds.get(p) === 'directory').map(([p]) => p);
  // Deepest last; recursive mkdir creates the parents, so only the leaves need a call.
  const leaves = missingDirs.filter(dir => !missingDirs.some(other => other !== dir && isInside(dir, other)));
  await Promise.all(leaves.map(dir => mkdir(dir, { recursive: true })));

  await Promise.all(
    planned.map(async ({ file, absolute }) => {
      await writeFile(absolute, file.content, { mode: file.mode });
      // writeFile keeps the mode of a file that existed, and the umask trims a new one's.
      await chmod(absolute, file.mode);
    }),
  );
  return planned.map(({ absolute }) => path.relative(workspace, absolute).split(path.sep).join('/'));
}
