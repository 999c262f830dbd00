import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RepositoryReader } from './upgrade';

/**
 * Reads kit files from a working tree. Kit paths are constants of the package; a path that would
 * leave the directory, or a symbolic link, reads as a file the kit did not write.
 */
export function directoryReader(dir: string): RepositoryReader {
  const root = path.resolve(dir);
  return async file => {
    const absolute = path.resolve(root, file);
    const relative = path.relative(root, absolute);
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw new Error(`Kit path ${file} leaves ${root}`);
    let stat;
    try {
      stat = await lstat(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
    if (!stat.isFile())
      return {
        content: `(not a regular file: ${stat.isSymbolicLink() ? 'a symbolic link' : 'a directory or special file'})`,
        mode: -1,
      };
    return {
      content: await readFile(absolute, 'utf8'),
      mode: stat.mode & 0o777,
    };
  };
}
