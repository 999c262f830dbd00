/**
 * Every archived kit release renders, from a repository's answers file alone, exactly what that
 * release's own code rendered (golden-<version>/, made by releaseGolden.ts from the released
 * tree): the base of every upgrade is exact, never guessed.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { lintTemplate } from '../../kits/engine';
import { kitManifest } from '../../kits/manifest';
import { loadTestKits } from '../../__testUtils__/kits';
import { PACKAGE_DIR } from '../../__testUtils__/paths';
import { ANSWERS_FILE, createKitReleases, parseAnswers } from '../../upgrade';
import { ARCHIVED_RELEASES } from '../../upgrade/releases';
import { release010 } from '../../upgrade/releases/v0_1_0';
import { escapingFilters as filters010 } from '../../upgrade/releases/v0_1_0/filters';
import { kitManifest as manifest010 } from '../../upgrade/releases/v0_1_0/manifest';
import { GOLDEN_CASES, goldenDir } from './releaseGolden';

const RELEASES_ROOT = path.join(PACKAGE_DIR, 'kits-releases');

async function goldenFiles(
  version: string,
  name: string,
): Promise<Map<string, string>> {
  const root = path.join(goldenDir(version), name);
  const files = new Map<string, string>();
  async function walk(dir: string) {
    for (const entry of await readdir(path.join(root, dir), {
      withFileTypes: true,
    })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else
        files.set(
          rel.replace(/\.golden$/, ''),
          await readFile(path.join(root, rel), 'utf8'),
        );
    }
  }
  await walk('');
  return files;
}

describe('archived kit releases', () => {
  it('has golden files for every archived release', async () => {
    for (const release of ARCHIVED_RELEASES) {
      expect(await readdir(goldenDir(release.version))).toEqual(
        expect.arrayContaining([...GOLDEN_CASES]),
      );
    }
  });

  it("keeps 0.1.0's templates escaping every interpolation, with filters of the same names", async () => {
    const templates = [
      ...new Set(
        Object.values(manifest010)
          .flat()
          .map(f => f.template),
      ),
    ];
    expect(templates.length).toBeGreaterThan(15);
    for (const template of templates) {
      const source = await readFile(
        path.join(RELEASES_ROOT, '0.1.0', template),
        'utf8',
      );
      expect({ template, problems: lintTemplate(template, source) }).toEqual({
        template,
        problems: [],
      });
    }
    expect(Object.keys(filters010).sort()).toEqual(
      expect.arrayContaining(['bash', 'kcl', 'md', 'yaml']),
    );
  });

  describe.each(GOLDEN_CASES)('0.1.0, %s', name => {
    it('renders byte for byte what 0.1.0 rendered, from the answers file alone', async () => {
      const golden = await goldenFiles('0.1.0', name);
      const answers = parseAnswers(golden.get(ANSWERS_FILE)!);
      expect(answers.templateVersion).toBe('0.1.0');
      const rendered = release010
        .load(RELEASES_ROOT)
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
  });

  it('differs from the current kits, so the archive is what makes 0.1.0 bases exact', async () => {
    const golden = await goldenFiles('0.1.0', 'production');
    const answers = parseAnswers(golden.get(ANSWERS_FILE)!);
    const releases = createKitReleases({
      kits: await loadTestKits(),
      kitVersion: '99.0.0',
      releasesRoot: RELEASES_ROOT,
    });
    const current = releases.current.render(
      { ...answers.values, kmsKeyId: undefined } as never,
      answers.template,
    );
    const differing = current
      .filter(f => golden.get(f.path) !== f.content)
      .map(f => f.path);
    expect(differing).toEqual(
      expect.arrayContaining(['Makefile', 'README.md']),
    );
    // Same file list as the current manifest: 0.2.0 renamed and removed nothing.
    expect(current.map(f => f.path)).toEqual(
      kitManifest.production.map(f => f.path),
    );
  });
});
