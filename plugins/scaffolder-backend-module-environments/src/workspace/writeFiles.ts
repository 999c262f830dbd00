import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RenderedFile } from '../kits/engine';

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
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
 * resolved with resolveSafeChildPath and checked for links before anything is written.
 */
export async function writeFiles(workspace: string, target: string, files: RenderedFile[]): Promise<string[]> {
  const planned = files.map(file => ({ file, absolute: path.resolve(target, file.path) }));
  for (const { file, absolute } of planned) {
    if (!isInside(target, absolute)) throw new Error(`Kit path ${file.path} leaves the target directory`);
    await assertNoLinks(workspace, absolute, true);
    resolveSafeChildPath(target, file.path);
  }
  const written: string[] = [];
  for (const { file, absolute } of planned) {
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, file.content, { mode: file.mode });
    await chmod(absolute, file.mode); // writeFile keeps the mode of a file that already existed
    written.push(path.relative(workspace, absolute).split(path.sep).join('/'));
  }
  return written;
}
