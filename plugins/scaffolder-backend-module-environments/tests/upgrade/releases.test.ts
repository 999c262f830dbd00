/**
 * Every archived kit release renders, from a repository's answers file alone, exactly what that
 * release's own code rendered (golden-<version>/, made by releaseGolden.ts from the released
 * tree): the base of every upgrade is exact, never guessed. And every release's answers still
 * reach the current kits through the recorded migrations.
 */
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { lintTemplate } from '../../src/kits/engine';
import { kitManifest } from '../../src/kits/manifest';
import { loadTestKits } from '../../src/__testUtils__/kits';
import { PACKAGE_DIR, SRC_DIR } from '../../src/__testUtils__/paths';
import {
  ANSWERS_FILE,
  compareVersions,
  createKitReleases,
  migrateAnswers,
  parseAnswers,
} from '../../src/upgrade';
import { ARCHIVED_RELEASES } from '../../src/upgrade/releases';
import { escapingFilters as filters010 } from '../../src/upgrade/releases/v0_1_0/filters';
import { kitManifest as manifest010 } from '../../src/upgrade/releases/v0_1_0/manifest';
import { escapingFilters as filters020 } from '../../src/upgrade/releases/v0_2_0/filters';
import { kitManifest as manifest020 } from '../../src/upgrade/releases/v0_2_0/manifest';
import {
  GOLDEN_CASES,
  goldenDir,
  goldenFiles,
} from '../../src/__testUtils__/upgrade/releaseGolden';

const RELEASES_ROOT = path.join(PACKAGE_DIR, 'kits-releases');
const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'),
).version;
// The kits in this tree are the release after 0.2.0 (devices). Until the release bumps
// package.json they may still carry 0.2.0's number; they are 0.3.0 then, the release they become.
const CURRENT =
  compareVersions(PACKAGE_VERSION, '0.2.0') > 0 ? PACKAGE_VERSION : '0.3.0';

const ARCHIVES = [
  { version: '0.1.0', manifest: manifest010, filters: filters010 },
  { version: '0.2.0', manifest: manifest020, filters: filters020 },
];

describe('archived kit releases', () => {
  it('has golden files for every archived release, and an archive for every release before the current kits', async () => {
    expect(ARCHIVED_RELEASES.map(r => r.version)).toEqual(
      ARCHIVES.map(a => a.version),
    );
    for (const release of ARCHIVED_RELEASES) {
      expect(await readdir(goldenDir(release.version))).toEqual(
        expect.arrayContaining([...GOLDEN_CASES]),
      );
      expect(compareVersions(release.version, CURRENT)).toBeLessThan(0);
    }
  });

  it.each(ARCHIVES)(
    "keeps $version's templates escaping every interpolation, with filters of the same names",
    async ({ version, manifest, filters }) => {
      const templates = [
        ...new Set(
          Object.values(manifest)
            .flat()
            .map(f => f.template),
        ),
      ];
      expect(templates.length).toBeGreaterThan(15);
      for (const template of templates) {
        const source = await readFile(
          path.join(RELEASES_ROOT, version, template),
          'utf8',
        );
        expect({ template, problems: lintTemplate(template, source) }).toEqual({
          template,
          problems: [],
        });
      }
      expect(Object.keys(filters).sort()).toEqual(
        expect.arrayContaining(['bash', 'kcl', 'md', 'yaml']),
      );
    },
  );

  it("imports nothing of today's code: each archive is frozen with its own parameters type", async () => {
    const releasesDir = path.join(SRC_DIR, 'upgrade', 'releases');
    const folders = (await readdir(releasesDir, { withFileTypes: true }))
      .filter(e => e.isDirectory())
      .map(e => e.name)
      .sort();
    expect(folders).toEqual(['v0_1_0', 'v0_2_0']);
    for (const folder of folders) {
      for (const file of await readdir(path.join(releasesDir, folder))) {
        const source = await readFile(
          path.join(releasesDir, folder, file),
          'utf8',
        );
        const imports = [...source.matchAll(/from '([^']+)'/g)].map(m => m[1]);
        // Its own files, the archive plumbing, the answers' type, and libraries.
        expect({
          file: `${folder}/${file}`,
          foreign: imports.filter(
            i =>
              !/^\.\/[A-Za-z]+$/.test(i) &&
              !['../compile', '../types', '../../answers'].includes(i) &&
              !['node:path', 'yaml'].includes(i),
          ),
        }).toEqual({ file: `${folder}/${file}`, foreign: [] });
      }
    }
  });

  describe.each(
    ARCHIVES.flatMap(a => GOLDEN_CASES.map(name => [a.version, name])),
  )('%s, %s', (version, name) => {
    it('renders byte for byte what the release rendered, from the answers file alone', async () => {
      const golden = await goldenFiles(version, name);
      const answers = parseAnswers(golden.get(ANSWERS_FILE)!);
      expect(answers.templateVersion).toBe(version);
      const releases = createKitReleases({
        kits: await loadTestKits(),
        kitVersion: CURRENT,
        releasesRoot: RELEASES_ROOT,
      });
      const rendered = releases
        .get(version)
        .render(answers.values, answers.template);
      expect(rendered.map(f => f.path).sort()).toEqual(
        [...golden.keys()].sort(),
      );
      for (const file of rendered)
        expect({ path: file.path, content: file.content }).toEqual({
          path: file.path,
          content: golden.get(file.path),
        });
    });

    it('reaches the current kits through the recorded migrations, which record devices', async () => {
      const golden = await goldenFiles(version, name);
      const answers = parseAnswers(golden.get(ANSWERS_FILE)!);
      const releases = createKitReleases({
        kits: await loadTestKits(),
        kitVersion: CURRENT,
        releasesRoot: RELEASES_ROOT,
      });
      const migrated = migrateAnswers(answers.values, version, CURRENT);
      // 0.1.0's canonical KMS key ARN reads as a secret to the checks 0.2.0 added; the user changes it.
      const values =
        version === '0.1.0' && name === 'production'
          ? {
              ...migrated.values,
              kmsKeyId:
                'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-86ef-1234567890ab',
            }
          : migrated.values;
      const rendered = releases.current.render(values, answers.template);
      const recorded = parse(
        rendered.find(f => f.path === ANSWERS_FILE)!.content,
      );
      expect(recorded.templateVersion).toBe(CURRENT);
      expect(recorded.values).not.toHaveProperty('deviceHostname');
      expect(recorded.values).not.toHaveProperty('deviceMac');
      expect(recorded.values).not.toHaveProperty('services');
      expect(recorded.values.devices).toEqual([
        {
          hostname: answers.values.deviceHostname,
          macAddresses: [answers.values.deviceMac],
          services: (answers.values.services as object[]).map(s => ({
            noTlsVerify: false,
            ...s,
          })),
        },
      ]);
      expect(migrated.notes.at(-1)).toMatch(
        /^0\.2\.0 -> 0\.3\.0: deviceHostname, deviceMac, services: moved into devices/,
      );
    });
  });

  it('differs from the current kits, so the archives are what make old bases exact', async () => {
    const releases = createKitReleases({
      kits: await loadTestKits(),
      kitVersion: CURRENT,
      releasesRoot: RELEASES_ROOT,
    });
    for (const version of ['0.1.0', '0.2.0']) {
      const golden = await goldenFiles(version, 'staging');
      const answers = parseAnswers(golden.get(ANSWERS_FILE)!);
      // The current kits cannot even read the answers 0.1.0 and 0.2.0 recorded.
      expect(() =>
        releases.current.render(answers.values, answers.template),
      ).toThrow(/deviceHostname/);
      const current = releases.current.render(
        migrateAnswers(answers.values, version, CURRENT).values,
        answers.template,
      );
      const differing = current
        .filter(f => golden.get(f.path) !== f.content)
        .map(f => f.path);
      expect(differing).toEqual(
        expect.arrayContaining(['kcl/main.k', 'Makefile', 'README.md']),
      );
      // Same file list as the current manifest: no release renamed or removed a file yet.
      expect(current.map(f => f.path).sort()).toEqual(
        kitManifest.staging.map(f => f.path).sort(),
      );
    }
  });
});
