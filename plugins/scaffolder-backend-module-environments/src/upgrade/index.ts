/**
 * Day-2 upgrades of environment repositories: a three-way merge per kit file between the repository
 * (ours), what its recorded kit version rendered from its recorded answers (base) and what the
 * target kit renders from the migrated, changed answers (theirs). Plain TypeScript, no Backstage.
 */
export {
  ANSWERS_FILE,
  applyChanges,
  changeAnswers,
  parseAnswers,
  type AnswerChanges,
  type Answers,
  type AnswerValues,
  type ChangedAnswers,
} from './answers';
export {
  checkRepository,
  type RepositoryCheck,
  type RepositoryState,
} from './check';
export { directoryReader } from './directory';
export { UpgradeError } from './errors';
export { createKitReleases, currentRelease, KitReleases } from './kitReleases';
export { MARKERS, mergeText } from './merge';
export {
  migrateAnswers,
  MIGRATIONS,
  type AnswersMigration,
} from './migrations';
export {
  describePlan,
  planUpgrade,
  readAnswers,
  summarize,
  type FileOutcome,
  type FileStatus,
  type RepositoryFile,
  type RepositoryReader,
  type UpgradePlan,
} from './upgrade';
export { compareVersions, isKitVersion } from './versions';
