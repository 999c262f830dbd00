import { ArchivedRelease } from './types';
import { release010 } from './v0_1_0';

/**
 * Every released kit version, kept renderable so that the base of a three-way merge is exact.
 * Releasing version X: copy kits/ to kits-releases/X/, and the context, filters and manifest
 * the kits need to src/upgrade/releases/vX/, add it here, and add its golden files
 * (src/__tests__/upgrade/releaseGolden.ts run against the released tree).
 */
export const ARCHIVED_RELEASES: ArchivedRelease[] = [release010];

export type { ArchivedRelease, KitRelease } from './types';
