import {
  resolveSafeChildPath,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import fs from 'node:fs';
import { chmod, copyFile, lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import git from 'isomorphic-git';
import { rules } from '../../parameters/fieldRules';
import {
  checkRepositoryName,
  readLocalPublisherSettings,
  repositoryPath,
  requireLocalDirectory,
} from './localPublisher';
import { examples } from './publishLocal.examples';
import { listTree, resolveInsideWithoutLinks } from '../../workspace/pathGuard';

export const PUBLISH_LOCAL_ACTION_ID =
  'unifiCloudflare:repository:publishLocal';
export const DEFAULT_BRANCH = 'main';
const DEFAULT_COMMIT_MESSAGE = 'Initial commit';

/** Dependencies of the local publish action. */
export interface PublishLocalActionOptions {
  /** The root config; `unifiCloudflare.localPublisher` is read on every run. */
  config: RootConfigService;
}

/** The git author of the commit, from the user who ran the task. */
export interface CommitAuthor {
  name: string;
  email: string;
}

/** A user as the scaffolder hands it to an action (`ctx.user`). */
interface TaskUser {
  entity?: {
    metadata?: { name?: string };
    spec?: { profile?: { displayName?: string; email?: string } };
  };
  ref?: string;
}

const FALLBACK_AUTHOR: CommitAuthor = {
  name: 'Backstage scaffolder',
  email: 'scaffolder@localhost',
};

/** One line, no control characters: what git can store in an author header. */
function clean(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const line = value.replace(/[\u0000-\u001f\u007f<>]/g, '').trim();
  return line === '' ? undefined : line.slice(0, 200);
}

/**
 * The author: the user entity's profile display name and email; without a profile, the
 * user's entity reference (e.g. `user:default/guest`) and no email; without a user, the scaffolder.
 */
export function commitAuthor(user: TaskUser | undefined): CommitAuthor {
  const profile = user?.entity?.spec?.profile;
  const ref = clean(user?.ref);
  const name =
    clean(profile?.displayName) ?? ref ?? clean(user?.entity?.metadata?.name);
  if (!name) return FALLBACK_AUTHOR;
  return { name, email: clean(profile?.email) ?? '' };
}

/** A file or directory to copy, relative to the source directory. */
interface Entry {
  relative: string;
  directory: boolean;
  mode: number;
}

/**
 * Lists the source tree through the workspace path guard: regular files and directories only.
 * Symbolic links and other special files are refused (a link could pull in files from outside
 * the workspace); `.git` is skipped.
 */
async function listSource(root: string): Promise<Entry[]> {
  const { entries } = await listTree(root, {
    skipDirectory: entry => entry.path === '.git',
    stats: true,
  });
  return entries
    .filter(entry => entry.path !== '.git')
    .map(entry => {
      if (entry.kind === 'symlink') {
        throw new InputError(
          `Refusing to publish the symbolic link ${entry.path}: a local repository holds regular files only`,
        );
      }
      if (entry.kind === 'other') {
        throw new InputError(
          `Refusing to publish ${entry.path}: it is neither a regular file nor a directory`,
        );
      }
      return {
        relative: entry.path,
        directory: entry.kind === 'directory',
        mode: entry.mode,
      };
    });
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Copies the tree into a new directory `target` and commits it on `main`; returns the commit. */
async function createRepository(options: {
  source: string;
  target: string;
  entries: Entry[];
  author: CommitAuthor;
  message: string;
}): Promise<string> {
  const { source, target, entries, author, message } = options;
  await mkdir(path.dirname(target), { recursive: true });
  try {
    // Not recursive: fails with EEXIST if another task created the same repository meanwhile.
    await mkdir(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InputError(
        `A local repository named ${path.basename(target)} already exists at ${target}; choose another name`,
      );
    }
    throw error;
  }
  try {
    for (const entry of entries) {
      const to = resolveSafeChildPath(target, entry.relative);
      if (entry.directory) {
        await mkdir(to);
      } else {
        await copyFile(path.join(source, entry.relative), to);
        await chmod(to, entry.mode);
      }
    }
    await git.init({ fs, dir: target, defaultBranch: DEFAULT_BRANCH });
    const files = entries.filter(e => !e.directory).map(e => e.relative);
    if (files.length > 0) await git.add({ fs, dir: target, filepath: files });
    return await git.commit({
      fs,
      dir: target,
      message,
      author,
      committer: author,
    });
  } catch (error) {
    // Leave nothing half-made behind, so the task can be retried with the same name.
    await rm(target, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Creates the action that publishes the workspace as a new git repository on the backend's own
 * disk: for local development and tests without a git host. Off unless
 * `unifiCloudflare.localPublisher.enabled` is true.
 * @public
 */
export function createPublishLocalAction(options: PublishLocalActionOptions) {
  const { config } = options;
  return createTemplateAction({
    id: PUBLISH_LOCAL_ACTION_ID,
    description:
      'Publishes the workspace as a new git repository (one commit on main) in the directory set by unifiCloudflare.localPublisher.directory. For local development only: refuses to run unless unifiCloudflare.localPublisher.enabled is true.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .describe(
              `Repository name: the directory created under the configured directory. Rule: ${rules.name.rule}. Example: ${rules.name.example}`,
            ),
        sourcePath: z =>
          z
            .string()
            .max(255)
            .optional()
            .describe(
              'Directory inside the workspace to publish; defaults to the whole workspace.',
            ),
        gitCommitMessage: z =>
          z
            .string()
            .min(1)
            .max(1000)
            .optional()
            .describe(
              `Message of the initial commit; defaults to "${DEFAULT_COMMIT_MESSAGE}".`,
            ),
      },
      output: {
        remoteUrl: z =>
          z
            .string()
            .describe(
              'file:// URL of the new repository; `git clone` accepts it.',
            ),
        repoContentsUrl: z =>
          z
            .string()
            .describe(
              'file:// URL of the repository contents (its working tree, on main).',
            ),
        localPath: z =>
          z
            .string()
            .describe(
              'Absolute path of the new repository on the backend host.',
            ),
        defaultBranch: z =>
          z.string().describe('The branch holding the commit: main.'),
        commitHash: z =>
          z
            .string()
            .optional()
            .describe('The initial commit; absent in dry-run.'),
      },
    },
    async handler(ctx) {
      const name = checkRepositoryName(ctx.input.name);
      const directory = requireLocalDirectory(
        readLocalPublisherSettings(config),
        PUBLISH_LOCAL_ACTION_ID,
      );
      const target = repositoryPath(directory, name);
      const source = await resolveInsideWithoutLinks(
        ctx.workspacePath,
        ctx.input.sourcePath ?? '.',
        { name: 'sourcePath', example: 'environment' },
        'directory',
        'publish',
      );
      const author = commitAuthor(ctx.user);
      const message = ctx.input.gitCommitMessage ?? DEFAULT_COMMIT_MESSAGE;
      const remoteUrl = pathToFileURL(target).href;

      const outputs = () => {
        ctx.output('remoteUrl', remoteUrl);
        ctx.output('repoContentsUrl', remoteUrl);
        ctx.output('localPath', target);
        ctx.output('defaultBranch', DEFAULT_BRANCH);
      };

      if (ctx.isDryRun) {
        const entries = await listSource(source);
        const taken = await exists(target);
        const files = entries.filter(e => !e.directory).length;
        const by = `${author.name}${author.email ? ` <${author.email}>` : ''}`;
        const warning = taken
          ? `; but ${target} already exists, so a real run would fail`
          : '';
        ctx.logger.info(
          `Dry run: would create the git repository ${target} with ${files} files in one commit on ${DEFAULT_BRANCH} by ${by}${warning}`,
        );
        if (taken)
          throw new InputError(
            `A local repository named ${name} already exists at ${target}; choose another name`,
          );
        outputs();
        return;
      }

      // A recovered task finds the checkpoint and does not create the repository twice.
      const { commitHash } = await ctx.checkpoint({
        key: `unifiCloudflare.publishLocal.v1.${name}`,
        fn: async () => {
          if (await exists(target)) {
            throw new InputError(
              `A local repository named ${name} already exists at ${target}; choose another name`,
            );
          }
          const entries = await listSource(source);
          const hash = await createRepository({
            source,
            target,
            entries,
            author,
            message,
          });
          ctx.logger.info(
            `Created the git repository ${target}: ${entries.filter(e => !e.directory).length} files, commit ${hash.slice(0, 12)} on ${DEFAULT_BRANCH} by ${author.name}${author.email ? ` <${author.email}>` : ''}`,
          );
          return { commitHash: hash };
        },
      });
      outputs();
      ctx.output('commitHash', commitHash);
    },
  });
}
