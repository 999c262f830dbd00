import { ArchivedRelease } from './types';
import { release010 } from './v0_1_0';
import { release020 } from './v0_2_0';

/**
 * Every released kit version, kept renderable so that the base of a three-way merge is exact.
 * Releasing version X: copy kits/ to kits-releases/X/ (`git archive` of the release commit), and
 * the context, filters, manifest and references the kits need to src/upgrade/releases/vX/, with
 * a frozen type of the parameters they read (never today's parameter model, which moves on), add
 * it here, and add its golden files (tests/upgrade/releaseGolden.ts run against the
 * released tree). A release that changes the answers' shape also records a migration
 * (src/upgrade/migrations.ts).
 */
export const ARCHIVED_RELEASES: ArchivedRelease[] = [release010, release020];

export type { ArchivedRelease, KitRelease } from './types';
