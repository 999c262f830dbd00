import { InputError } from '@backstage/errors';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  link,
  mkdir,
  mkdtemp,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  assertNoLinks,
  isInside,
  listTree,
  resolveInside,
  resolveInsideWithoutLinks,
} from './pathGuard';

const field = { name: 'targetPath', example: 'environment' };

describe('the workspace path guard', () => {
  let root: string;
  let outside: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'guard-root-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'guard-outside-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('tells inside from outside lexically', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/c/d')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    // Conservative: a name starting with ".." reads as outside.
    expect(isInside('/a/b', '/a/b/..c')).toBe(false);
  });

  it.each(['../escape', '/etc', 'a/../../escape'])(
    'refuses %j with an InputError that names the field',
    async relative => {
      expect(() => resolveInside(root, relative, field)).toThrow(InputError);
      await expect(
        resolveInsideWithoutLinks(root, relative, field),
      ).rejects.toThrow(
        /targetPath must stay inside the workspace, for example "environment"/,
      );
    },
  );

  it('resolves a path inside, also one that does not exist yet', async () => {
    await expect(
      resolveInsideWithoutLinks(root, 'a/./b/../c', field),
    ).resolves.toBe(path.join(await realpath(root), 'a/c'));
  });

  it('refuses a symbolic link on the way, even one pointing back inside', async () => {
    await mkdir(path.join(root, 'real'));
    await symlink(path.join(root, 'real'), path.join(root, 'inner'));
    await symlink(outside, path.join(root, 'outer'));
    for (const linked of ['inner/x', 'outer/x', 'outer']) {
      await expect(
        resolveInsideWithoutLinks(root, linked, field),
      ).rejects.toThrow(
        /Refusing to write through the symbolic link (inner|outer)/,
      );
    }
  });

  it('refuses a file where a directory must be, and a hard-linked file', async () => {
    await writeFile(path.join(root, 'file'), 'x');
    await expect(
      assertNoLinks(root, path.join(root, 'file', 'below'), 'file'),
    ).rejects.toThrow(
      /Refusing to write file: it exists and is not a directory/,
    );
    await writeFile(path.join(outside, 'secret'), 'x');
    await link(path.join(outside, 'secret'), path.join(root, 'hard'));
    await expect(
      assertNoLinks(root, path.join(root, 'hard'), 'file', 'read'),
    ).rejects.toThrow(/Refusing to read hard: it is a hard link \(2 names\)/);
  });

  it('lists a tree without following links, sorted, with modes', async () => {
    await mkdir(path.join(root, 'dir'));
    await writeFile(path.join(root, 'dir', 'run.sh'), '#!/bin/sh\n', {
      mode: 0o755,
    });
    await writeFile(path.join(outside, 'hidden'), 'x');
    await symlink(outside, path.join(root, 'away'));
    await mkdir(path.join(root, '.git'));
    await writeFile(path.join(root, '.git', 'HEAD'), 'ref');
    await promisify(execFile)('mkfifo', [path.join(root, 'pipe')]);
    const { entries, truncatedAt } = await listTree(root, {
      skipDirectory: e => e.path === '.git',
      stats: true,
    });
    const expected = [
      ['.git', 'directory'],
      ['away', 'symlink'],
      ['dir', 'directory'],
      ['dir/run.sh', 'file'],
      ['pipe', 'other'],
    ];
    expect(truncatedAt).toBeUndefined();
    expect(entries.map(e => [e.path, e.kind])).toEqual(expected);
    expect(entries.find(e => e.path === 'dir/run.sh')?.mode).toBe(0o755);
    expect(entries.find(e => e.path === 'dir/run.sh')?.size).toBe(10);
    // Without stats the kinds come from the directory listings alone: the same answer.
    const kinds = await listTree(root, {
      skipDirectory: e => e.path === '.git',
    });
    expect(kinds.entries).toEqual(
      expected.map(([p, kind]) => ({ path: p, kind })),
    );
    const limited = await listTree(root, { maxEntries: 2 });
    expect(limited.entries).toHaveLength(2);
    expect(limited.truncatedAt).toBe('.');
    const limitedWithStats = await listTree(root, {
      maxEntries: 3,
      stats: true,
    });
    expect(limitedWithStats.entries.map(e => e.path)).toEqual([
      '.git',
      '.git/HEAD',
      'away',
    ]);
    expect(limitedWithStats.truncatedAt).toBe('.');
  });
});
