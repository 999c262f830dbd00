/**
 * The one render-to-directory of the test code: files of a dry-run (or an in-process render)
 * written under a directory with their modes, through the module's own writer
 * (src/workspace/writeFiles.ts), so tests run scripts from files written as a task writes them.
 */
import { mkdir } from 'node:fs/promises';
import { kitManifest } from '../kits/manifest';
import { writeFiles } from '../workspace/writeFiles';
import { Environment } from '../parameters/model';

/** File contents by path: text, or the bytes of a dry-run's `base64Content`. */
export type FileContents = Map<string, string | Buffer>;

/**
 * The mode of each file: the dry-run API drops file modes, so they come from the kit manifest
 * (scripts executable), as the render action writes them; anything else 0644.
 */
export function kitModes(environment: Environment): (file: string) => number {
  const modes = new Map(kitManifest[environment].map(f => [f.path, f.mode]));
  return file => modes.get(file) ?? 0o644;
}

/** Writes `files` under `dir` (created if missing) with the mode `modeOf` gives each. */
export async function renderToDirectory(
  dir: string,
  files: FileContents,
  modeOf: (file: string) => number,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFiles(
    dir,
    dir,
    [...files].map(([file, content]) => ({
      path: file,
      content: typeof content === 'string' ? content : content.toString('utf8'),
      mode: modeOf(file),
    })),
  );
}
