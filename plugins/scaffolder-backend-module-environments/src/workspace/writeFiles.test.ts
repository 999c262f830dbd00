import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFiles } from './writeFiles';

const files = [
  { path: 'README.md', content: 'read me\n', mode: 0o644 },
  { path: 'scripts/deploy.sh', content: '#!/bin/sh\n', mode: 0o755 },
  { path: 'kcl/main.k', content: 'x = 1\n', mode: 0o644 },
  { path: 'kcl/kcl.mod', content: '[package]\n', mode: 0o644 },
];

const modeOf = async (p: string) => (await lstat(p)).mode & 0o777;

describe('writeFiles', () => {
  let workspace: string;
  let umask: number;

  beforeEach(async () => {
    workspace = await mkdtemp(path.join(os.tmpdir(), 'write-files-'));
    umask = process.umask();
  });
  afterEach(async () => {
    process.umask(umask);
    await rm(workspace, { recursive: true, force: true });
  });

  it('writes a fresh workspace with the kit modes and returns the paths in order', async () => {
    process.umask(0o022);
    const written = await writeFiles(workspace, workspace, files);
    expect(written).toEqual(files.map(f => f.path));
    for (const f of files) {
      expect(await readFile(path.join(workspace, f.path), 'utf8')).toBe(
        f.content,
      );
      expect(await modeOf(path.join(workspace, f.path))).toBe(f.mode);
    }
  });

  it('gives new files their exact modes under a umask that trims them', async () => {
    process.umask(0o077);
    await writeFiles(workspace, workspace, files);
    expect(await modeOf(path.join(workspace, 'README.md'))).toBe(0o644);
    expect(await modeOf(path.join(workspace, 'scripts/deploy.sh'))).toBe(0o755);
  });

  it('rewrites files that exist, and corrects their modes', async () => {
    await mkdir(path.join(workspace, 'scripts'));
    await writeFile(path.join(workspace, 'scripts/deploy.sh'), 'old', {
      mode: 0o600,
    });
    await writeFile(
      path.join(workspace, 'README.md'),
      'a much longer old text',
    );
    await writeFiles(workspace, workspace, files);
    expect(
      await readFile(path.join(workspace, 'scripts/deploy.sh'), 'utf8'),
    ).toBe('#!/bin/sh\n');
    expect(await modeOf(path.join(workspace, 'scripts/deploy.sh'))).toBe(0o755);
    expect(await readFile(path.join(workspace, 'README.md'), 'utf8')).toBe(
      'read me\n',
    );
  });

  it('creates a target directory that does not exist yet', async () => {
    const target = path.join(workspace, 'env', 'prod');
    const written = await writeFiles(workspace, target, files);
    expect(written).toEqual(files.map(f => `env/prod/${f.path}`));
    expect(await readFile(path.join(target, 'kcl/main.k'), 'utf8')).toBe(
      'x = 1\n',
    );
  });

  it('refuses a symbolic link on the way or at a file, and writes nothing', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'write-outside-'));
    try {
      await symlink(outside, path.join(workspace, 'kcl'));
      await expect(writeFiles(workspace, workspace, files)).rejects.toThrow(
        'Refusing to write through the symbolic link kcl in the workspace',
      );
      await rm(path.join(workspace, 'kcl'));
      await symlink(
        path.join(outside, 'stolen'),
        path.join(workspace, 'README.md'),
      );
      await expect(writeFiles(workspace, workspace, files)).rejects.toThrow(
        'Refusing to write through the symbolic link README.md in the workspace',
      );
      expect(
        await readFile(path.join(outside, 'stolen')).catch(() => 'none'),
      ).toBe('none');
      expect(
        await lstat(path.join(workspace, 'scripts')).catch(() => undefined),
      ).toBeUndefined();
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('checks every path when the workspace is given with a trailing slash or a dot', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'write-outside-'));
    try {
      await symlink(outside, path.join(workspace, 'kcl'));
      for (const spelled of [`${workspace}/`, `${workspace}/.`]) {
        await expect(writeFiles(spelled, workspace, files)).rejects.toThrow(
          'Refusing to write through the symbolic link kcl in the workspace',
        );
      }
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses a file where a kit directory goes', async () => {
    await writeFile(path.join(workspace, 'kcl'), 'not a directory');
    await expect(writeFiles(workspace, workspace, files)).rejects.toThrow(
      'Refusing to write kcl: it exists and is not a directory',
    );
  });
});
