import { InputError } from '@backstage/errors';
import { KitRenderer } from '../kits/engine';
import { renderEnvironment } from '../kits/render';
import { AnswerValues } from './answers';
import { UpgradeError } from './errors';
import { ARCHIVED_RELEASES, ArchivedRelease, KitRelease } from './releases';
import { compareVersions, isKitVersion } from './versions';

/**
 * The kits of this package as a release, rendered exactly as the render action renders them
 * ({@link renderEnvironment}: today's parameter model, the local-publish rule, the same error
 * mapping), so a value the kits refuse is reported field by field.
 */
export function currentRelease(kits: KitRenderer, version: string): KitRelease {
  return {
    version,
    render(values, template) {
      try {
        return renderEnvironment(
          values,
          { kits, kitVersion: version },
          template,
        ).files;
      } catch (error) {
        if (error instanceof InputError) {
          throw new UpgradeError(
            `The answers do not fit kit version ${version}; change them (--values, or the template's answer fields):\n${error.message}`,
          );
        }
        throw error;
      }
    },
  };
}

/**
 * Every kit version this package can render: the current kits and the archived releases.
 * Archived releases compile on first use, so a run that meets only current repositories pays
 * for nothing else.
 */
export class KitReleases {
  private readonly loaded = new Map<string, KitRelease>();

  constructor(
    readonly current: KitRelease,
    private readonly archived: ArchivedRelease[],
    private readonly releasesRoot: string,
  ) {
    if (!isKitVersion(current.version))
      throw new Error(
        `The package version ${current.version} is not a kit version MAJOR.MINOR.PATCH`,
      );
  }

  /** Every version known, oldest first. */
  get versions(): string[] {
    const all = new Set([
      ...this.archived.map(r => r.version),
      this.current.version,
    ]);
    return [...all].sort(compareVersions);
  }

  /**
   * The release that rendered `version`. The current kits answer for their own version even
   * when an archive of the same number exists: until a release bumps the package version, the
   * kits under development carry the last number, and repositories they made must compare
   * with them. Repositories the archived release made are then compared with kits that may no
   * longer read their answers, so kits that change the answers' shape carry their new version
   * from the start (0.3.0, devices: package.json said 0.3.0 as soon as 0.2.0 was archived).
   */
  get(version: string): KitRelease {
    if (version === this.current.version) return this.current;
    let release = this.loaded.get(version);
    if (!release) {
      const archived = this.archived.find(r => r.version === version);
      if (!archived) {
        const why =
          compareVersions(version, this.current.version) > 0
            ? `The repository was made by a newer kit than this one (${this.current.version}); use a newer version of the package.`
            : 'It was never released from this package.';
        throw new UpgradeError(
          `Kit version ${version} is not one this package can render (it knows ${this.versions.join(', ')}): the base of the merge cannot be computed exactly. ${why}`,
        );
      }
      release = archived.load(this.releasesRoot);
      this.loaded.set(version, release);
    }
    return release;
  }
}

/** The package's kits, at the package version, and every archived release. */
export function createKitReleases(options: {
  kits: KitRenderer;
  kitVersion: string;
  releasesRoot: string;
  archived?: ArchivedRelease[];
}): KitReleases {
  return new KitReleases(
    currentRelease(options.kits, options.kitVersion),
    options.archived ?? ARCHIVED_RELEASES,
    options.releasesRoot,
  );
}

export type { AnswerValues };
