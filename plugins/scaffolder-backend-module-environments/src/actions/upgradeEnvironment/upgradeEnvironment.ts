import { RootConfigService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  KitReleases,
  AnswerChanges,
  describePlan,
  directoryReader,
  planUpgrade,
  summarize,
  UpgradeError,
} from '../../upgrade';
import {
  assertNoLinks,
  resolveInside,
  resolveInsideWithoutLinks,
} from '../../workspace/pathGuard';
import { writeFiles } from '../../workspace/writeFiles';
import {
  readLocalPublisherSettings,
  repositoryPath,
  requireLocalDirectory,
} from '../publishLocal/localPublisher';
import { commitAuthor, DEFAULT_BRANCH } from '../publishLocal/publishLocal';
import { branchReader, commitBranch } from './localBranch';
import { examples } from './upgradeEnvironment.examples';

export const UPGRADE_ENVIRONMENT_ACTION_ID =
  'unifiCloudflare:environment:upgrade';

/** Dependencies of the upgrade action. */
export interface UpgradeEnvironmentActionOptions {
  /** Every kit version the package can render (current and archived). */
  releases: KitReleases;
  /** The root config; `unifiCloudflare.localPublisher` says where local repositories live. */
  config: RootConfigService;
}

interface EntityLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { type?: string };
}

type Source =
  | { kind: 'github'; host: string; owner: string; repo: string }
  | { kind: 'local'; name: string; dir: string };

/** Where the entity's repository lives: a GitHub-compatible host, or the local repositories directory. */
function sourceOf(entity: EntityLike, config: RootConfigService): Source {
  const annotations = entity.metadata?.annotations ?? {};
  // The kits write backstage.io/source-location (url:https://<host>/<owner>/<repo>/) for every
  // repository published to a GitHub host, and none for a local one.
  const sourceLocation = annotations['backstage.io/source-location'];
  if (sourceLocation?.startsWith('url:')) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(sourceLocation.slice('url:'.length));
    } catch {
      parsed = undefined;
    }
    const [owner, repo, ...more] = (parsed?.pathname ?? '')
      .split('/')
      .filter(Boolean);
    if (!parsed || !owner || !repo || more.length > 0) {
      throw new InputError(
        `The entity's backstage.io/source-location ${sourceLocation} does not name a repository (url:https://<host>/<owner>/<repo>/)`,
      );
    }
    return { kind: 'github', host: parsed.host, owner, repo };
  }
  const managedBy = annotations['backstage.io/managed-by-location'] ?? '';
  if (managedBy.startsWith('file:')) {
    const directory = requireLocalDirectory(
      readLocalPublisherSettings(config),
      UPGRADE_ENVIRONMENT_ACTION_ID,
    );
    const file = path.resolve(managedBy.slice('file:'.length));
    const name = path.basename(path.dirname(file));
    const dir = repositoryPath(directory, name);
    if (path.dirname(file) !== dir) {
      throw new InputError(
        `The entity's location ${managedBy} is not a repository directly inside the local repositories directory ${directory}`,
      );
    }
    return { kind: 'local', name, dir };
  }
  throw new InputError(
    'The entity names no repository this action can upgrade: it needs backstage.io/source-location (a repository on a GitHub host) or a file location in the local repositories directory',
  );
}

/**
 * Creates the action that upgrades an environment repository to the current kit (three-way merge
 * per file, see src/upgrade). For a GitHub repository it merges into the copy fetched into the
 * workspace, for publish:github:pull-request to propose; for a local repository it commits the
 * result to a new branch of that repository. Nothing is ever written to main.
 * @public
 */
export function createUpgradeEnvironmentAction(
  options: UpgradeEnvironmentActionOptions,
) {
  const { releases, config } = options;
  return createTemplateAction({
    id: UPGRADE_ENVIRONMENT_ACTION_ID,
    description:
      "Upgrades an environment repository made by the environment templates to the current kit: merges the kit's changes and any answer changes three ways with the repository's own edits, and reports what changed, what merged cleanly and what conflicts. A GitHub repository is merged in the workspace (for publish:github:pull-request); a local repository gets a new branch. Never writes to main.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entity: z =>
          z
            .object({
              metadata: z
                .object({
                  name: z.string(),
                  annotations: z.record(z.string()).optional(),
                })
                .passthrough(),
            })
            .passthrough()
            .describe(
              'The environment entity (Resource of type environment), as catalog:fetch outputs it.',
            ),
        sourcePath: z =>
          z
            .string()
            .max(255)
            .optional()
            .describe(
              'For a GitHub repository: the workspace directory fetch:plain fetched it into. Default: repository.',
            ),
        glueVersion: z =>
          z
            .string()
            .max(20)
            .optional()
            .describe(
              'New unifi-cloudflare-glue release to pin, for example v0.12.2; empty keeps the recorded one.',
            ),
        addServices: z =>
          z
            .array(z.record(z.unknown()))
            .max(20)
            .optional()
            .describe(
              'Services to add, each {name, port, protocol, distribution, publicHostname, noTlsVerify, device}: device is the hostname of the device that runs it (one the environment has, or one addDevices adds), and may be left out when the environment has exactly one device.',
            ),
        addDevices: z =>
          z
            .array(z.record(z.unknown()))
            .max(50)
            .optional()
            .describe(
              'Devices to add to the recorded ones, each {hostname, macAddresses, aliases, services}, for example {hostname: nas, macAddresses: ["aa:bb:cc:dd:ee:01"], services: [{name: files, port: 5001, protocol: https, distribution: unifi_only}]}.',
            ),
        changes: z =>
          z
            .record(z.unknown())
            .optional()
            .describe(
              'Other answer changes: field -> new value (a list replaces the list, null removes an optional field), for example {devices: [...]} to replace every device.',
            ),
        branchName: z =>
          z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/)
            .optional()
            .describe(
              'Branch for the change; default upgrade/kit-<version>. Never main.',
            ),
      },
      output: {
        target: z =>
          z.enum(['github', 'local']).describe('Where the repository lives.'),
        repoUrl: z =>
          z
            .string()
            .optional()
            .describe(
              'For GitHub: the repository as publish:github:pull-request takes it (host?owner=...&repo=...).',
            ),
        branchName: z => z.string().describe('The branch holding the upgrade.'),
        title: z => z.string().describe('Title for the pull request.'),
        body: z =>
          z
            .string()
            .describe(
              'Markdown: what changed, what merged cleanly, what conflicts.',
            ),
        filesToDelete: z =>
          z
            .array(z.string())
            .describe(
              'Files the upgrade removes (for publish:github:pull-request).',
            ),
        changed: z => z.array(z.string()).describe('Files changed by the kit.'),
        mergedCleanly: z =>
          z
            .array(z.string())
            .describe(
              "Files where the kit's and the repository's changes merged cleanly.",
            ),
        conflicts: z =>
          z
            .array(z.string())
            .describe('Files with conflicts (markers written).'),
        fromVersion: z =>
          z.string().describe('Kit version the repository was at.'),
        toVersion: z => z.string().describe('Kit version it moves to.'),
        localRepositoryUrl: z =>
          z
            .string()
            .optional()
            .describe('For a local repository: its file:// URL.'),
        commitHash: z =>
          z
            .string()
            .optional()
            .describe(
              'For a local repository: the branch commit (absent in dry-run).',
            ),
      },
    },
    async handler(ctx) {
      const source = sourceOf(ctx.input.entity as EntityLike, config);
      const changes: AnswerChanges = { ...(ctx.input.changes ?? {}) };
      if (ctx.input.glueVersion) changes.glueVersion = ctx.input.glueVersion;
      if (ctx.input.addDevices?.length)
        changes.addDevices = ctx.input.addDevices;
      if (ctx.input.addServices?.length)
        changes.addServices = ctx.input.addServices;
      const branchName =
        ctx.input.branchName ?? `upgrade/kit-${releases.current.version}`;
      if (branchName === DEFAULT_BRANCH)
        throw new InputError(
          `branchName must not be ${DEFAULT_BRANCH}: upgrades are proposed on a branch of their own`,
        );

      let workDir: string | undefined;
      let local: Awaited<ReturnType<typeof branchReader>> | undefined;
      if (source.kind === 'github') {
        workDir = await resolveInsideWithoutLinks(
          ctx.workspacePath,
          ctx.input.sourcePath ?? 'repository',
          { name: 'sourcePath', example: 'repository' },
        );
      } else {
        local = await branchReader(source.dir, DEFAULT_BRANCH);
      }
      let plan;
      try {
        plan = await planUpgrade({
          releases,
          read: local ? local.read : directoryReader(workDir!),
          changes,
        });
      } catch (error) {
        if (error instanceof UpgradeError) throw new InputError(error.message);
        throw error;
      }
      const { changed, mergedCleanly, conflicts } = summarize(plan);
      const title = `Upgrade ${ctx.input.entity.metadata.name} to kit ${plan.toVersion}${conflicts.length ? ` (${conflicts.length} conflict(s))` : ''}`;
      const body = describePlan(plan);
      ctx.logger.info(
        `${plan.environment} ${ctx.input.entity.metadata.name}: kit ${plan.fromVersion} -> ${plan.toVersion}; ${changed.length} changed, ${mergedCleanly.length} merged cleanly, ${conflicts.length} conflict(s)`,
      );

      ctx.output('target', source.kind);
      ctx.output('branchName', branchName);
      ctx.output('title', title);
      ctx.output('body', body);
      ctx.output('filesToDelete', plan.deletes);
      ctx.output(
        'changed',
        changed.map(f => f.path),
      );
      ctx.output(
        'mergedCleanly',
        mergedCleanly.map(f => f.path),
      );
      ctx.output(
        'conflicts',
        conflicts.map(f => f.path),
      );
      ctx.output('fromVersion', plan.fromVersion);
      ctx.output('toVersion', plan.toVersion);

      if (source.kind === 'github') {
        ctx.output(
          'repoUrl',
          `${source.host}?owner=${encodeURIComponent(source.owner)}&repo=${encodeURIComponent(source.repo)}`,
        );
        // The workspace copy is scratch space; the pull request step proposes it.
        await writeFiles(ctx.workspacePath, workDir!, plan.writes);
        const root = workDir!;
        await Promise.all(
          plan.deletes.map(async file => {
            const target = resolveInside(root, file, {
              name: 'filesToDelete',
              example: 'Makefile',
              root: 'source directory',
            });
            // rm would remove a link itself, but a link in a parent directory would redirect it.
            await assertNoLinks(root, target, 'file');
            await rm(target, { force: true });
          }),
        );
        return;
      }

      ctx.output('localRepositoryUrl', pathToFileURL(source.dir).href);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would commit the upgrade to the new branch ${branchName} of ${source.dir}`,
        );
        return;
      }
      const { commitHash } = await ctx.checkpoint({
        key: `unifiCloudflare.upgrade.v1.${source.name}.${branchName}`,
        fn: async () => {
          try {
            const hash = await commitBranch({
              dir: source.dir,
              parent: local!.commit,
              branch: branchName,
              writes: plan.writes,
              deletes: plan.deletes,
              message: `${title}\n\n${body}`,
              author: commitAuthor(ctx.user),
            });
            return { commitHash: hash };
          } catch (error) {
            if (/already exists/.test((error as Error).message)) {
              throw new InputError(
                `The local repository ${source.name} already has a branch ${branchName}; merge or delete it, or choose another branchName`,
              );
            }
            throw error;
          }
        },
      });
      ctx.logger.info(
        `Committed the upgrade to branch ${branchName} of ${source.dir} (${commitHash.slice(0, 12)}); main is unchanged`,
      );
      ctx.output('commitHash', commitHash);
    },
  });
}
