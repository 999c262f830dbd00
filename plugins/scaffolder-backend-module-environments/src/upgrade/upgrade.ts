import { RenderedFile } from '../kits/engine';
import {
  ANSWERS_FILE,
  AnswerChanges,
  Answers,
  changeAnswers,
  parseAnswers,
} from './answers';
import { UpgradeError } from './errors';
import { KitReleases } from './kitReleases';
import { mergeText, similarity } from './merge';
import { migrateAnswers } from './migrations';
import { compareVersions, isKitVersion } from './versions';

/** A file of the repository as the engine sees it. */
export interface RepositoryFile {
  content: string;
  /** Permission bits, e.g. 0o755. */
  mode: number;
}

/** Reads one file of the repository, or undefined when it does not exist. */
export type RepositoryReader = (
  path: string,
) => Promise<RepositoryFile | undefined>;

/**
 * What happened to one file:
 * - `updated`, `added`, `removed`, `renamed`: the kit's change, applied where the repository had
 *   not touched the file;
 * - `merged`: both the kit and the repository changed it, in different places, merged cleanly;
 * - `kept`: only the repository changed it, or the kit removed a file the repository had already
 *   removed; nothing to do;
 * - `conflict`: both changed the same lines (markers written), or one side removed a file the
 *   other changed (the file is kept and listed).
 */
export type FileStatus =
  'updated' | 'added' | 'removed' | 'renamed' | 'merged' | 'kept' | 'conflict';

export interface FileOutcome {
  path: string;
  status: FileStatus;
  /** For a rename, the path the file had. */
  from?: string;
  /** Why, in words, for conflicts and renames. */
  detail?: string;
  /** Conflict regions with markers in the written file. */
  conflictRegions?: number;
}

/** The computed upgrade: what to write and delete, and the report. */
export interface UpgradePlan {
  template: string;
  environment: string;
  fromVersion: string;
  toVersion: string;
  /** Migration notes and answer changes, one line each. */
  answerNotes: string[];
  /** Files to write (the merged content and mode), in kit order. */
  writes: RenderedFile[];
  /** Files to delete. */
  deletes: string[];
  /** Every kit file that changes, and every conflict, by path. */
  files: FileOutcome[];
  /** True when any file has a conflict. */
  conflicted: boolean;
  /** The answers as recorded after the upgrade. */
  answers: Answers;
}

/** Options of {@link planUpgrade}. */
export interface PlanUpgradeOptions {
  releases: KitReleases;
  read: RepositoryReader;
  /** Answer changes the user asks for (see {@link changeAnswers}). */
  changes?: AnswerChanges;
  /** Kit version to move to; the current kits by default. */
  to?: string;
}

/** Reads and parses the repository's answers file. */
export async function readAnswers(read: RepositoryReader): Promise<Answers> {
  const file = await read(ANSWERS_FILE);
  if (!file)
    throw new UpgradeError(
      `${ANSWERS_FILE} is missing: this is not an environment repository made by the templates`,
    );
  return parseAnswers(file.content);
}

const byPath = (files: RenderedFile[]) => new Map(files.map(f => [f.path, f]));

/** Renames: a file the kit removed whose base is at least this similar to a file it added. */
const RENAME_SIMILARITY = 0.5;

/**
 * Computes an upgrade: base = what the recorded kit version rendered from the recorded answers,
 * theirs = what the target version renders from the migrated and changed answers, ours = the
 * repository now; every kit file is merged three ways. Nothing is written: the caller applies
 * {@link UpgradePlan.writes} and {@link UpgradePlan.deletes}.
 */
export async function planUpgrade(
  options: PlanUpgradeOptions,
): Promise<UpgradePlan> {
  const { releases, read } = options;
  const recorded = await readAnswers(read);
  const toVersion = options.to ?? releases.current.version;
  if (!isKitVersion(toVersion))
    throw new UpgradeError(
      `--to must be a kit version MAJOR.MINOR.PATCH, for example "${releases.current.version}"`,
    );
  if (compareVersions(toVersion, recorded.templateVersion) < 0) {
    throw new UpgradeError(
      `The repository is at kit version ${recorded.templateVersion}; moving back to ${toVersion} is not supported`,
    );
  }

  const base = releases
    .get(recorded.templateVersion)
    .render(recorded.values, recorded.template);
  const migrated = migrateAnswers(
    recorded.values,
    recorded.templateVersion,
    toVersion,
  );
  const changed = changeAnswers(migrated.values, options.changes);
  const values = changed.values;
  let theirs: RenderedFile[];
  try {
    theirs = releases.get(toVersion).render(values, recorded.template);
  } catch (error) {
    // The kit names fields by their place in the answers; say where the added entries went.
    if (error instanceof UpgradeError && changed.locations.length > 0)
      throw new UpgradeError(
        `${error.message}\n(${changed.locations.join('; ')})`,
      );
    throw error;
  }

  const answerNotes = [...migrated.notes, ...changed.notes];

  const baseFiles = byPath(base);
  const theirFiles = byPath(theirs);
  const paths = [...new Set([...baseFiles.keys(), ...theirFiles.keys()])];
  const ours = new Map(
    await Promise.all(paths.map(async p => [p, await read(p)] as const)),
  );

  // A kit rename: a path only the base has, whose content reappears (mostly) at a path only theirs has.
  const removed = [...baseFiles.keys()].filter(p => !theirFiles.has(p));
  const renames = new Map<string, string>(); // new path -> old path
  for (const added of [...theirFiles.keys()].filter(p => !baseFiles.has(p))) {
    let best: { path: string; score: number } | undefined;
    for (const old of removed) {
      if ([...renames.values()].includes(old)) continue;
      const score = similarity(
        baseFiles.get(old)!.content,
        theirFiles.get(added)!.content,
      );
      if (score >= RENAME_SIMILARITY && (!best || score > best.score))
        best = { path: old, score };
    }
    if (best) renames.set(added, best.path);
  }
  const renamedFrom = new Set(renames.values());

  const writes: RenderedFile[] = [];
  const deletes: string[] = [];
  const files: FileOutcome[] = [];
  const write = (path: string, content: string, mode: number) =>
    writes.push({ path, content, mode });
  // A mode the repository changed stays; otherwise the kit's.
  const modeFor = (
    our: RepositoryFile | undefined,
    baseMode: number | undefined,
    theirMode: number,
  ) =>
    our && baseMode !== undefined && our.mode !== baseMode
      ? our.mode
      : theirMode;

  for (const file of theirs) {
    const path = file.path;
    const our = ours.get(path);
    if (path === ANSWERS_FILE) {
      // Kit-owned: it records the new version and answers, whatever the repository did to it.
      if (!our || our.content !== file.content || our.mode !== file.mode) {
        write(path, file.content, file.mode);
        files.push({ path, status: our ? 'updated' : 'added' });
      }
      continue;
    }
    const oldPath = renames.get(path);
    const baseFile = baseFiles.get(oldPath ?? path);
    const ourFile = oldPath ? ours.get(oldPath) : our;

    if (oldPath) {
      if (!ourFile) {
        // The repository had removed the old file; the kit's new file is still added.
        if (!our) {
          write(path, file.content, file.mode);
          files.push({
            path,
            status: 'added',
            detail: `the kit renamed ${oldPath}, which the repository had removed`,
          });
        }
        continue;
      }
      const merged = mergeText(
        ourFile.content,
        baseFile!.content,
        file.content,
      );
      write(path, merged.content, modeFor(ourFile, baseFile!.mode, file.mode));
      deletes.push(oldPath);
      files.push(
        merged.conflicts > 0
          ? {
              path,
              from: oldPath,
              status: 'conflict',
              conflictRegions: merged.conflicts,
              detail: `renamed from ${oldPath} by the kit; both changed the same lines`,
            }
          : {
              path,
              from: oldPath,
              status: 'renamed',
              detail:
                ourFile.content === baseFile!.content
                  ? undefined
                  : "with the repository's changes carried over",
            },
      );
      continue;
    }

    if (!baseFile) {
      // Added by the kit.
      if (!our) {
        write(path, file.content, file.mode);
        files.push({ path, status: 'added' });
      } else if (our.content !== file.content) {
        const merged = mergeText(our.content, '', file.content);
        write(path, merged.content, our.mode);
        files.push({
          path,
          status: 'conflict',
          conflictRegions: merged.conflicts,
          detail:
            'the kit adds this file, and the repository already has a different one',
        });
      }
      continue;
    }

    if (!our) {
      if (file.content !== baseFile.content) {
        write(path, file.content, file.mode);
        files.push({
          path,
          status: 'conflict',
          detail:
            "removed in the repository, changed by the kit: the kit's version is restored; delete it again to keep it removed",
        });
      }
      continue;
    }

    const mode = modeFor(our, baseFile.mode, file.mode);
    if (our.content === baseFile.content) {
      if (file.content !== our.content || mode !== our.mode) {
        write(path, file.content, mode);
        files.push({ path, status: 'updated' });
      }
      continue;
    }
    if (file.content === baseFile.content || file.content === our.content) {
      if (mode !== our.mode) write(path, our.content, mode);
      continue; // only the repository changed it (or both the same way)
    }
    const merged = mergeText(our.content, baseFile.content, file.content);
    write(path, merged.content, mode);
    files.push(
      merged.conflicts > 0
        ? {
            path,
            status: 'conflict',
            conflictRegions: merged.conflicts,
            detail: `${merged.conflicts} region(s) changed by both the kit and the repository`,
          }
        : { path, status: 'merged' },
    );
  }

  for (const path of removed) {
    if (renamedFrom.has(path)) continue;
    const our = ours.get(path);
    if (!our) continue;
    if (our.content === baseFiles.get(path)!.content) {
      deletes.push(path);
      files.push({ path, status: 'removed' });
    } else {
      files.push({
        path,
        status: 'conflict',
        detail:
          'the kit no longer makes this file, and the repository changed it: it is kept; delete it if nothing in it is needed',
      });
    }
  }

  const answers: Answers = {
    template: recorded.template,
    templateVersion: toVersion,
    values,
  };
  return {
    template: recorded.template,
    environment: recorded.values.environment,
    fromVersion: recorded.templateVersion,
    toVersion,
    answerNotes,
    writes,
    deletes,
    files,
    conflicted: files.some(f => f.status === 'conflict'),
    answers,
  };
}

/** The report of a plan: what changed, what merged cleanly, what conflicts. */
export function summarize(plan: UpgradePlan) {
  return {
    changed: plan.files.filter(f =>
      ['updated', 'added', 'removed', 'renamed'].includes(f.status),
    ),
    mergedCleanly: plan.files.filter(
      f => f.status === 'merged' || (f.status === 'renamed' && f.detail),
    ),
    conflicts: plan.files.filter(f => f.status === 'conflict'),
  };
}

/** The plan as Markdown, for a pull request body or a branch's commit message. */
export function describePlan(plan: UpgradePlan): string {
  const { changed, mergedCleanly, conflicts } = summarize(plan);
  const item = (f: FileOutcome) =>
    `- \`${f.path}\`${f.from ? ` (from \`${f.from}\`)` : ''}${f.detail ? `: ${f.detail}` : ''}`;
  const section = (title: string, list: string[]) =>
    `### ${title}\n\n${list.length ? list.join('\n') : '- none'}\n`;
  return [
    `Upgrades this ${plan.environment} environment from kit version ${plan.fromVersion} to ${plan.toVersion} (template \`${plan.template}\`).`,
    '',
    section(
      'Answers',
      plan.answerNotes.map(n => `- ${n}`),
    ),
    section('What changed', changed.map(item)),
    section('Merged cleanly with your changes', mergedCleanly.map(item)),
    section('Conflicts', conflicts.map(item)),
    conflicts.length
      ? "Resolve the conflicts before merging: search the files for `<<<<<<< ours`; each region shows your lines, the base and the kit's lines."
      : 'No conflicts.',
  ].join('\n');
}
