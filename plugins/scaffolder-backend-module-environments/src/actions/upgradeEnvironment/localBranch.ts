import fs from 'node:fs';
import git from 'isomorphic-git';
import { RenderedFile } from '../../kits/engine';
import { RepositoryReader } from '../../upgrade';

interface TreeFile {
  mode: string;
  oid: string;
}

/** Every file of a commit, path -> mode and blob, read with isomorphic-git (no working tree). */
async function filesOf(
  dir: string,
  commit: string,
): Promise<Map<string, TreeFile>> {
  const files = new Map<string, TreeFile>();
  async function walk(oid: string, prefix: string) {
    const { tree } = await git.readTree({ fs, dir, oid });
    for (const entry of tree) {
      const p = prefix ? `${prefix}/${entry.path}` : entry.path;
      if (entry.type === 'tree') await walk(entry.oid, p);
      else files.set(p, { mode: entry.mode, oid: entry.oid });
    }
  }
  const { commit: c } = await git.readCommit({ fs, dir, oid: commit });
  await walk(c.tree, '');
  return files;
}

/** A local repository's branch as the engine reads it: committed content only, never the working tree. */
export async function branchReader(
  dir: string,
  branch: string,
): Promise<{ commit: string; read: RepositoryReader }> {
  const commit = await git.resolveRef({ fs, dir, ref: `refs/heads/${branch}` });
  const files = await filesOf(dir, commit);
  return {
    commit,
    read: async p => {
      const file = files.get(p);
      if (!file) return undefined;
      if (file.mode === '120000')
        return { content: '(a symbolic link)', mode: -1 };
      const { blob } = await git.readBlob({ fs, dir, oid: file.oid });
      return {
        content: Buffer.from(blob).toString('utf8'),
        mode: file.mode === '100755' ? 0o755 : 0o644,
      };
    },
  };
}

/**
 * Commits `writes` and `deletes` on top of `parent` as a new branch `branch`; main, HEAD, the index
 * and the working tree are not touched. Fails if the branch exists.
 */
export async function commitBranch(options: {
  dir: string;
  parent: string;
  branch: string;
  writes: RenderedFile[];
  deletes: string[];
  message: string;
  author: { name: string; email: string };
}): Promise<string> {
  const { dir, parent, branch, writes, deletes, message, author } = options;
  const files = await filesOf(dir, parent);
  for (const p of deletes) files.delete(p);
  for (const w of writes) {
    const oid = await git.writeBlob({
      fs,
      dir,
      blob: Buffer.from(w.content, 'utf8'),
    });
    files.set(w.path, { mode: w.mode & 0o111 ? '100755' : '100644', oid });
  }
  // Trees bottom-up: directory -> entries.
  type Node = { files: Map<string, TreeFile>; dirs: Map<string, Node> };
  const root: Node = { files: new Map(), dirs: new Map() };
  for (const [p, f] of files) {
    const parts = p.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.dirs.has(part))
        node.dirs.set(part, { files: new Map(), dirs: new Map() });
      node = node.dirs.get(part)!;
    }
    node.files.set(parts[parts.length - 1], f);
  }
  async function writeNode(node: Node): Promise<string> {
    const tree = [
      ...[...node.files].map(([name, f]) => ({
        path: name,
        mode: f.mode,
        oid: f.oid,
        type: 'blob' as const,
      })),
      ...(await Promise.all(
        [...node.dirs].map(async ([name, d]) => ({
          path: name,
          mode: '040000',
          oid: await writeNode(d),
          type: 'tree' as const,
        })),
      )),
    ];
    return git.writeTree({ fs, dir, tree });
  }
  const tree = await writeNode(root);
  const ref = `refs/heads/${branch}`;
  if (
    await git.resolveRef({ fs, dir, ref }).then(
      () => true,
      () => false,
    )
  ) {
    throw new Error(`branch ${branch} already exists`);
  }
  const oid = await git.writeCommit({
    fs,
    dir,
    commit: {
      message: message.endsWith('\n') ? message : `${message}\n`,
      tree,
      parent: [parent],
      author: {
        ...author,
        timestamp: Math.floor(Date.now() / 1000),
        timezoneOffset: 0,
      },
      committer: {
        ...author,
        timestamp: Math.floor(Date.now() / 1000),
        timezoneOffset: 0,
      },
    },
  });
  await git.writeRef({ fs, dir, ref, value: oid });
  return oid;
}
