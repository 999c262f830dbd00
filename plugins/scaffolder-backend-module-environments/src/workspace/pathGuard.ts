/**
 * The one path guard of the package: "inside this directory, and no symbolic links on the way".
 * Render (writing the kit), validate (reading a workspace), publish (copying a workspace) and
 * register (reading a local repository) all go through it.
 *
 * The final, link-resolving check is Backstage's `resolveSafeChildPath` (built on
 * `isChildPath`); before it the guard checks the path lexically, with a message that names the
 * input field, and looks at every existing component with `lstat`, so a link is refused even
 * where it points back inside, and a tree is listed without ever following one.
 */
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';

/** What a guarded path may be when it exists. */
export type ExpectedKind = 'file' | 'directory';

/** What the caller is about to do with the path; it shows in the refusal. */
export type GuardVerb = 'write' | 'read' | 'publish';

/**
 * True when `candidate` is `root` or lies below it, lexically: the same rule as Backstage's
 * `isChildPath`, without its synchronous `realpath` of both paths. Links are the business of
 * {@link assertNoLinks} (which refuses them) and `resolveSafeChildPath` (which resolves them).
 */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (!relative.startsWith('..') && !path.isAbsolute(relative))
  );
}

/**
 * Resolves `relative` inside `root`. Refuses an absolute path or one that climbs out with an
 * {@link @backstage/errors#InputError} that names `field` and gives an example, then lets
 * `resolveSafeChildPath` refuse a path that leaves `root` through a link (NotAllowedError).
 */
export function resolveInside(
  root: string,
  relative: string,
  field: GuardedField,
): string {
  lexicallyInside(root, relative, field);
  return resolveSafeChildPath(root, relative);
}

/** `path.resolve(root, relative)`, refused with an InputError naming `field` if it leaves `root`. */
function lexicallyInside(
  root: string,
  relative: string,
  field: GuardedField,
): string {
  const lexical = path.resolve(root, relative);
  if (path.isAbsolute(relative) || !isInside(root, lexical)) {
    throw new InputError(
      `${field.name} must stay inside the ${describeRoot(field)}, for example "${
        field.example
      }"; got ${JSON.stringify(relative)}`,
    );
  }
  return lexical;
}

/** How a refused path is described to the user. */
export interface GuardedField {
  /** The input field the path came from, e.g. `targetPath`. */
  name: string;
  /** A good value, shown in the message. */
  example: string;
  /** What the root is called in the message; default `workspace`. */
  root?: string;
}

function describeRoot(field: GuardedField): string {
  return field.root ?? 'workspace';
}

/** `lstat`, or undefined when the path (or a parent of it) does not exist. */
export async function lstatIfExists(p: string): Promise<Stats | undefined> {
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
 * Refuses `stat` (of `shown`, a path relative to the root) if it is a symbolic link or exists as
 * another kind than `expected`; a file must also have one name only (a hard link would carry
 * a write to its other names, possibly outside the root).
 */
export function checkEntry(
  shown: string,
  stat: Stats | undefined,
  expected: ExpectedKind,
  verb: GuardVerb = 'write',
): void {
  if (!stat) return;
  if (stat.isSymbolicLink()) {
    throw new InputError(
      `Refusing to ${verb} through the symbolic link ${shown} in the workspace; remove it first`,
    );
  }
  if (expected === 'file' ? !stat.isFile() : !stat.isDirectory()) {
    throw new InputError(
      `Refusing to ${verb} ${shown}: it exists and is not a ${
        expected === 'file' ? 'regular file' : 'directory'
      }`,
    );
  }
  if (expected === 'file' && stat.nlink > 1) {
    throw new InputError(
      `Refusing to ${verb} ${shown}: it is a hard link (${stat.nlink} names); remove it first`,
    );
  }
}

/**
 * Refuses `target` (an absolute path inside `root`) if any existing component below `root` is
 * a symbolic link or not a directory, or if `target` itself exists as another kind than `kind`.
 */
export async function assertNoLinks(
  root: string,
  target: string,
  kind: ExpectedKind,
  verb: GuardVerb = 'write',
): Promise<void> {
  if (!isInside(root, target)) {
    throw new InputError(`Refusing ${target}: it is not inside ${root}`);
  }
  const relative = path.relative(root, target);
  const parts = relative === '' ? [] : relative.split(path.sep);
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = path.join(current, parts[i]);
    const stat = await lstatIfExists(current);
    if (!stat) return;
    const last = i === parts.length - 1;
    checkEntry(
      path.relative(root, current),
      stat,
      last ? kind : 'directory',
      verb,
    );
  }
}

/**
 * {@link resolveInside}, then {@link assertNoLinks}: the path to use for anything that writes
 * to or reads from a directory derived from input.
 */
export async function resolveInsideWithoutLinks(
  root: string,
  relative: string,
  field: GuardedField,
  kind: ExpectedKind = 'directory',
  verb: GuardVerb = 'write',
): Promise<string> {
  const lexical = lexicallyInside(root, relative, field);
  // Links first, so a link is reported as a link rather than as a path outside the root.
  await assertNoLinks(root, lexical, kind, verb);
  // Belt and braces: Backstage's check also resolves links that appeared in between.
  return resolveSafeChildPath(root, relative);
}

/** One entry of a tree listed by {@link listTree}. */
export interface TreeEntry {
  /** Path relative to the root, with `/` separators. */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
}

/** A {@link TreeEntry} with what `lstat` says of it. */
export interface StatTreeEntry extends TreeEntry {
  /** Permission bits (`stat.mode & 0o777`). */
  mode: number;
  size: number;
}

/** Options of {@link listTree}. */
export interface ListTreeOptions<E extends TreeEntry = TreeEntry> {
  /** Directories not entered (they are listed themselves), for example `.git`. */
  skipDirectory?: (entry: E) => boolean;
  /** Stop after this many entries; `truncatedAt` then names the directory being listed. */
  maxEntries?: number;
}

/** Names in the order of `Array.prototype.sort()` (UTF-16 code units). */
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The kind of a directory entry or of a Stats, or undefined when the file system did not say (lstat then). */
function kindOf(entry: {
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  isFile(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): TreeEntry['kind'] | undefined {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  if (
    entry.isFIFO() ||
    entry.isSocket() ||
    entry.isBlockDevice() ||
    entry.isCharacterDevice()
  )
    return 'other';
  return undefined;
}

/**
 * Lists every entry under `root`, depth first, names sorted, without following a symbolic
 * link: a link is listed as `symlink` and never entered or read. What to do with links and
 * special files is the caller's choice (publish refuses them, validate reports them skipped).
 *
 * Kinds come from each directory's listing (`readdir` with types), so listing costs one call
 * per directory; with `stats: true` every entry is also `lstat`ed (those of a directory
 * together) for its mode and size.
 */
export async function listTree(
  root: string,
  options: ListTreeOptions<StatTreeEntry> & { stats: true },
): Promise<{ entries: StatTreeEntry[]; truncatedAt?: string }>;
export async function listTree(
  root: string,
  options?: ListTreeOptions & { stats?: false },
): Promise<{ entries: TreeEntry[]; truncatedAt?: string }>;
export async function listTree(
  root: string,
  options: ListTreeOptions<any> & { stats?: boolean } = {},
): Promise<{ entries: TreeEntry[]; truncatedAt?: string }> {
  const entries: TreeEntry[] = [];
  const max = options.maxEntries ?? Infinity;
  let truncatedAt: string | undefined;

  async function walk(relativeDir: string): Promise<void> {
    const listed = (
      await readdir(path.join(root, relativeDir), { withFileTypes: true })
    ).sort((a, b) => compareNames(a.name, b.name));
    // The entries this directory may still add, looked at together.
    const taken = listed.slice(0, Math.max(0, max - entries.length) + 1);
    const own = await Promise.all(
      taken.map(async (dirent): Promise<TreeEntry> => {
        const relative = relativeDir
          ? `${relativeDir}/${dirent.name}`
          : dirent.name;
        const known = kindOf(dirent);
        if (known && !options.stats) return { path: relative, kind: known };
        const stat = await lstat(path.join(root, relative));
        const kind = kindOf(stat) ?? 'other';
        if (!options.stats) return { path: relative, kind };
        const withStats: StatTreeEntry = {
          path: relative,
          kind,
          mode: stat.mode & 0o777,
          size: stat.size,
        };
        return withStats;
      }),
    );
    for (const entry of own) {
      if (truncatedAt !== undefined) return;
      if (entries.length >= max) {
        truncatedAt = relativeDir || '.';
        return;
      }
      entries.push(entry);
      if (entry.kind === 'directory' && !options.skipDirectory?.(entry)) {
        await walk(entry.path);
      }
    }
  }

  await walk('');
  return { entries, truncatedAt };
}
