import { readAnswers, RepositoryReader } from './upgrade';
import { KitReleases } from './kitReleases';
import { compareVersions } from './versions';

/** Where a repository stands against the kits. */
export type RepositoryState =
  'current' | 'behind' | 'edited' | 'behind-and-edited';

export interface RepositoryCheck {
  state: RepositoryState;
  template: string;
  environment: string;
  /** Kit version recorded in the answers file. */
  recordedVersion: string;
  /** Kit version of this package. */
  currentVersion: string;
  /** Kit files whose content or mode differs from what the recorded version rendered. */
  editedFiles: string[];
  /** Kit files the repository no longer has. */
  missingFiles: string[];
}

/**
 * Compares a repository with the exact base (its recorded kit version rendering its recorded
 * answers): `edited` when a kit file differs, `behind` when the recorded version is older than
 * the current kits. Files the kit does not render are the repository's own and are not looked at.
 */
export async function checkRepository(
  releases: KitReleases,
  read: RepositoryReader,
): Promise<RepositoryCheck> {
  const answers = await readAnswers(read);
  const base = releases
    .get(answers.templateVersion)
    .render(answers.values, answers.template);
  const editedFiles: string[] = [];
  const missingFiles: string[] = [];
  await Promise.all(
    base.map(async file => {
      const ours = await read(file.path);
      if (!ours) missingFiles.push(file.path);
      else if (ours.content !== file.content || ours.mode !== file.mode)
        editedFiles.push(file.path);
    }),
  );
  const order = new Map(base.map((f, i) => [f.path, i]));
  const byKitOrder = (a: string, b: string) => order.get(a)! - order.get(b)!;
  const behind =
    compareVersions(answers.templateVersion, releases.current.version) < 0;
  const edited = editedFiles.length + missingFiles.length > 0;
  let state: RepositoryState = 'current';
  if (behind) state = edited ? 'behind-and-edited' : 'behind';
  else if (edited) state = 'edited';
  return {
    state,
    template: answers.template,
    environment: answers.values.environment,
    recordedVersion: answers.templateVersion,
    currentVersion: releases.current.version,
    editedFiles: editedFiles.sort(byKitOrder),
    missingFiles: missingFiles.sort(byKitOrder),
  };
}
