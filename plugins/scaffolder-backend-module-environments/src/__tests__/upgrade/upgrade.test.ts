/**
 * Upgrades of real git repositories, through the CLI commands (`check`, `upgrade`) and the engine:
 * repositories are rendered by the kits, committed with the git CLI, edited as a user would, and
 * upgraded; git itself then reads the result (status, diff, merge-file).
 */
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { CommandIo, runCheck, runUpgrade } from '../../cli/fleet';
import { RenderedFile } from '../../kits/engine';
import { kitManifest } from '../../kits/manifest';
import { parseParameters } from '../../parameters/model';
import { loadTestKits } from '../../__testUtils__/kits';
import { PACKAGE_DIR } from '../../__testUtils__/paths';
import { run, runOrFail, userEnv } from '../../__testUtils__/processes';
import { canonicalValues } from '../../__testUtils__/values';
import {
  ANSWERS_FILE,
  checkRepository,
  compareVersions,
  createKitReleases,
  directoryReader,
  planUpgrade,
  parseAnswers,
} from '../../upgrade';
import { writeFiles } from '../../workspace/writeFiles';
import { goldenDir } from './releaseGolden';

jest.setTimeout(60_000);

const gitEnv = () =>
  userEnv({
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  });
const git = (cwd: string, args: string[]) =>
  runOrFail('git', 'git', args, { cwd, env: gitEnv() }).then(r => r.output);

const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'),
).version;
const RELEASES_ROOT = path.join(PACKAGE_DIR, 'kits-releases');

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: t => void out.push(t),
    stderr: t => void err.push(t),
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'upgrade-test-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A git repository holding `files`, committed on main. */
async function repositoryOf(
  name: string,
  files: RenderedFile[],
): Promise<string> {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFiles(dir, dir, files);
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '--quiet', '-m', 'Create the environment']);
  return dir;
}

/** What the render action writes today for canonical values, at the package's version. */
async function renderedToday(
  environment: 'development' | 'staging' | 'production',
  extra: Record<string, unknown> = {},
) {
  const input = { ...canonicalValues[environment], ...extra };
  expect(parseParameters(input).success).toBe(true);
  const releases = createKitReleases({
    kits: await loadTestKits(),
    kitVersion: PACKAGE_VERSION,
    releasesRoot: RELEASES_ROOT,
  });
  return releases.current.render(
    input as never,
    `template:default/${environment}-environment`,
  );
}

async function changesFile(name: string, changes: object): Promise<string> {
  const file = path.join(scratch, `${name}.yaml`);
  await writeFile(file, stringify(changes));
  return file;
}

const status = (dir: string) =>
  git(dir, ['status', '--porcelain']).then(s =>
    s.split('\n').filter(Boolean).sort(),
  );

describe('npm run scaffold -- upgrade', () => {
  it('keeps a user edit far from the kit change, and applies the change (exit 0)', async () => {
    const dir = await repositoryOf('far-edit', await renderedToday('staging'));
    const readme = path.join(dir, 'README.md');
    const notes = '\n## Our notes\n\nThe NAS reboots on Sundays at 03:00.\n';
    await writeFile(readme, (await readFile(readme, 'utf8')) + notes);
    await git(dir, ['commit', '--quiet', '-am', 'Our notes']);

    const cli = collector();
    const code = await runUpgrade(
      [
        dir,
        '--values',
        await changesFile('glue-v0.13.0', { glueVersion: 'v0.13.0' }),
      ],
      cli.io,
    );
    expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
    expect(cli.out()).toMatch(/merged\s+README\.md/);
    expect(cli.out()).toMatch(/updated\s+kcl\/kcl\.mod/);

    const merged = await readFile(readme, 'utf8');
    expect(merged.endsWith(notes)).toBe(true);
    expect(merged).toContain('`v0.13.0`');
    expect(merged).not.toContain('`v0.12.2`');
    expect(await readFile(path.join(dir, 'kcl/kcl.mod'), 'utf8')).toContain(
      'tag = "v0.13.0"',
    );
    const answers = parseAnswers(
      await readFile(path.join(dir, ANSWERS_FILE), 'utf8'),
    );
    expect(answers).toMatchObject({
      templateVersion: PACKAGE_VERSION,
      values: { glueVersion: 'v0.13.0' },
    });
    // git sees modifications only, and no markers anywhere.
    expect((await status(dir)).every(line => line.startsWith(' M '))).toBe(
      true,
    );
    expect(await git(dir, ['diff'])).not.toContain('<<<<<<<');

    // Afterwards the repository is at the current kit, with the user's own edit the only difference.
    const check = collector();
    expect(await runCheck([dir, '--json'], check.io)).toBe(1);
    const [result] = JSON.parse(check.out()).repositories;
    expect(result).toMatchObject({
      state: 'edited',
      editedFiles: ['README.md'],
      recordedVersion: PACKAGE_VERSION,
    });
  });

  it('writes conflict markers where the user and the kit changed the same lines, and exits 1', async () => {
    const dir = await repositoryOf(
      'same-lines',
      await renderedToday('development'),
    );
    const kclMod = path.join(dir, 'kcl/kcl.mod');
    const before = await readFile(kclMod, 'utf8');
    const ours = before.replace(
      'tag = "v0.12.2" }',
      'tag = "v0.12.2-patched" }',
    );
    expect(ours).not.toBe(before);
    await writeFile(kclMod, ours);
    await git(dir, ['commit', '--quiet', '-am', 'Pin our patched module']);

    const cli = collector();
    const code = await runUpgrade(
      [
        dir,
        '--values',
        await changesFile('glue-v0.13.0-dev', { glueVersion: 'v0.13.0' }),
      ],
      cli.io,
    );
    expect(code).toBe(1);
    expect(cli.out()).toMatch(/conflict\s+kcl\/kcl\.mod/);
    const merged = await readFile(kclMod, 'utf8');
    expect(merged).toMatch(
      /^<<<<<<< ours\n[^]*tag = "v0\.12\.2-patched"[^]*\n\|\|\|\|\|\|\| base\n[^]*tag = "v0\.12\.2" }[^]*\n=======\n[^]*tag = "v0\.13\.0"[^]*\n>>>>>>> theirs\n/m,
    );

    // The same three inputs through git merge-file --diff3 give the same file.
    const base = (await renderedToday('development')).find(
      f => f.path === 'kcl/kcl.mod',
    )!.content;
    const theirs = (
      await renderedToday('development', { glueVersion: 'v0.13.0' })
    ).find(f => f.path === 'kcl/kcl.mod')!.content;
    const files = {
      ours: path.join(scratch, 'mf-ours'),
      base: path.join(scratch, 'mf-base'),
      theirs: path.join(scratch, 'mf-theirs'),
    };
    await writeFile(files.ours, ours);
    await writeFile(files.base, base);
    await writeFile(files.theirs, theirs);
    const fromGit = await run(
      'git',
      [
        'merge-file',
        '-p',
        '--diff3',
        '-L',
        'ours',
        '-L',
        'base',
        '-L',
        'theirs',
        files.ours,
        files.base,
        files.theirs,
      ],
      { cwd: scratch, env: gitEnv() },
    );
    expect(fromGit.code).toBe(1); // git: one conflict
    expect(merged).toBe(fromGit.output);

    // check says the repository is edited (its answers record the new glue version, the file does not follow).
    const check = collector();
    expect(await runCheck([dir], check.io)).toBe(1);
    expect(check.out()).toContain('kcl/kcl.mod');
  });

  it('upgrades an unchanged repository cleanly to exactly what the kit renders for the new answers', async () => {
    const dir = await repositoryOf(
      'unchanged',
      await renderedToday('production'),
    );
    const service = {
      name: 'photos2',
      port: 2284,
      protocol: 'http',
      distribution: 'both',
      publicHostname: 'photos2.example.com',
    };
    const cli = collector();
    const code = await runUpgrade(
      [
        dir,
        '--values',
        await changesFile('add-service', { addServices: [service] }),
      ],
      cli.io,
    );
    expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
    const expected = await renderedToday('production', {
      services: [...(canonicalValues.production.services as object[]), service],
    });
    for (const file of expected) {
      expect({
        path: file.path,
        content: await readFile(path.join(dir, file.path), 'utf8'),
      }).toEqual({ path: file.path, content: file.content });
    }
    expect(cli.out()).not.toContain('Merged cleanly with your changes:\n  ');
    const check = collector();
    expect(await runCheck([dir], check.io)).toBe(0);
    expect(check.out()).toContain(': current (production');
  });

  it('refuses answers the kit refuses, naming the field, and changes nothing (exit 2)', async () => {
    const dir = await repositoryOf(
      'refused',
      await renderedToday('development'),
    );
    const cli = collector();
    const code = await runUpgrade(
      [dir, '--values', await changesFile('bad', { glueVersion: 'latest' })],
      cli.io,
    );
    expect(code).toBe(2);
    expect(cli.err()).toContain('glueVersion');
    expect(await status(dir)).toEqual([]);
  });

  it('refuses a working tree with uncommitted changes unless --allow-dirty, which then keeps them', async () => {
    const dir = await repositoryOf('dirty', await renderedToday('development'));
    const readme = path.join(dir, 'README.md');
    await writeFile(
      readme,
      `${await readFile(readme, 'utf8')}\nnot committed yet\n`,
    );
    const changes = await changesFile('glue-dirty', { glueVersion: 'v0.13.0' });
    const refused = collector();
    expect(await runUpgrade([dir, '--values', changes], refused.io)).toBe(2);
    expect(refused.err()).toContain(
      'has uncommitted changes (1 file(s), e.g. M README.md)',
    );
    expect(await git(dir, ['diff', '--name-only'])).toBe('README.md\n');
    const allowed = collector();
    expect(
      await runUpgrade([dir, '--values', changes, '--allow-dirty'], allowed.io),
    ).toBe(0);
    const merged = await readFile(readme, 'utf8');
    expect(merged).toContain('not committed yet');
    expect(merged).toContain('`v0.13.0`');
  });

  it('refuses a directory without an answers file (exit 2) and bad usage (exit 2)', async () => {
    const empty = path.join(scratch, 'empty');
    await mkdir(empty, { recursive: true });
    const cli = collector();
    expect(await runUpgrade([empty], cli.io)).toBe(2);
    expect(cli.err()).toContain(`${ANSWERS_FILE} is missing`);
    expect(await runUpgrade([], collector().io)).toBe(2);
    expect(await runUpgrade([empty, '--to'], collector().io)).toBe(2);
  });
});

describe('npm run scaffold -- check', () => {
  it('tells current, edited and errors apart across many repositories, in text and JSON', async () => {
    const current = await repositoryOf(
      'check-current',
      await renderedToday('development'),
    );
    const edited = await repositoryOf(
      'check-edited',
      await renderedToday('staging'),
    );
    await chmod(path.join(edited, 'Makefile'), 0o755);
    await rm(path.join(edited, 'mkdocs.yml'));
    const missing = path.join(scratch, 'check-nothing');

    const all = collector();
    expect(await runCheck([current], all.io)).toBe(0);
    const json = collector();
    expect(await runCheck(['--json', current, edited], json.io)).toBe(1);
    const report = JSON.parse(json.out());
    expect(report.kitVersion).toBe(PACKAGE_VERSION);
    expect(
      report.repositories.map((r: any) => [
        r.state,
        r.editedFiles,
        r.missingFiles,
      ]),
    ).toEqual([
      ['current', [], []],
      ['edited', ['Makefile'], ['mkdocs.yml']],
    ]);
    const withError = collector();
    expect(await runCheck([current, missing], withError.io)).toBe(2);
    expect(withError.out()).toContain(`${missing}: error:`);
    expect(await runCheck([], collector().io)).toBe(2);
  });
});

describe('a repository made by kit 0.1.0', () => {
  // The kits in this tree are the release after 0.1.0. Until the release changeset bumps
  // package.json, they still carry 0.1.0's number; they are 0.2.0 then (the release they become).
  const CURRENT =
    compareVersions(PACKAGE_VERSION, '0.1.0') > 0 ? PACKAGE_VERSION : '0.2.0';

  async function goldenRepository(name: string, golden: string) {
    const environment = golden.split('-')[0] as 'development';
    const files: RenderedFile[] = [];
    for (const file of kitManifest[environment]) {
      files.push({
        path: file.path,
        mode: file.mode,
        content: await readFile(
          path.join(goldenDir('0.1.0'), golden, `${file.path}.golden`),
          'utf8',
        ),
      });
    }
    return repositoryOf(name, files);
  }

  it.each(['development', 'staging', 'development-local'])(
    '%s: upgrades cleanly to the current kit, answers migrated',
    async golden => {
      const dir = await goldenRepository(`from-0.1.0-${golden}`, golden);
      const releases = createKitReleases({
        kits: await loadTestKits(),
        kitVersion: CURRENT,
        releasesRoot: RELEASES_ROOT,
      });
      const before = await releases.get('0.1.0');
      expect(before.version).toBe('0.1.0');
      const check = await checkRepository(releases, directoryReader(dir));
      expect(check).toMatchObject({
        state: 'behind',
        recordedVersion: '0.1.0',
        currentVersion: CURRENT,
        editedFiles: [],
        missingFiles: [],
      });

      const plan = await planUpgrade({ releases, read: directoryReader(dir) });
      expect(plan.conflicted).toBe(false);
      await writeFiles(dir, dir, plan.writes);
      expect(plan.answerNotes.join('\n')).toContain(
        'terraformVersion: pinned to 1.11.4',
      );

      // The result is exactly what the current kit renders from the migrated answers.
      const answers = parseAnswers(
        await readFile(path.join(dir, ANSWERS_FILE), 'utf8'),
      );
      expect(answers.templateVersion).toBe(CURRENT);
      expect(answers.values).toMatchObject({
        terraformVersion: '1.11.4',
        kclVersion: 'v0.11.2',
        unifiSite: 'default',
      });
      expect(
        (answers.values.services as { noTlsVerify: boolean }[]).every(
          s => s.noTlsVerify === false,
        ),
      ).toBe(true);
      expect(Object.keys(answers.values).includes('repoUrl')).toBe(
        golden !== 'development-local',
      );
      const expected = releases.current.render(
        answers.values,
        answers.template,
      );
      for (const file of expected) {
        expect({
          path: file.path,
          content: await readFile(path.join(dir, file.path), 'utf8'),
        }).toEqual({ path: file.path, content: file.content });
      }
      expect(
        await checkRepository(releases, directoryReader(dir)),
      ).toMatchObject({ state: 'current' });
      // git agrees: only kit files changed, none added or removed.
      expect((await status(dir)).every(line => line.startsWith(' M '))).toBe(
        true,
      );
    },
  );

  it('production: names the 0.1.0 answer 0.2.0 refuses (kmsKeyId), and upgrades once the user changes it, keeping an edit', async () => {
    const dir = await goldenRepository('from-0.1.0-production', 'production');
    const makefile = path.join(dir, 'Makefile');
    await writeFile(
      makefile,
      `# Ours: run from the repository root.\n${await readFile(makefile, 'utf8')}`,
    );
    const releases = createKitReleases({
      kits: await loadTestKits(),
      kitVersion: CURRENT,
      releasesRoot: RELEASES_ROOT,
    });

    await expect(
      planUpgrade({ releases, read: directoryReader(dir) }),
    ).rejects.toThrow(/kmsKeyId/);
    const kmsKeyId =
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-86ef-1234567890ab';
    const plan = await planUpgrade({
      releases,
      read: directoryReader(dir),
      changes: { kmsKeyId },
    });
    await writeFiles(dir, dir, plan.writes);
    const merged = await readFile(makefile, 'utf8');
    expect(merged.startsWith('# Ours: run from the repository root.\n')).toBe(
      true,
    );
    expect(plan.conflicted).toBe(false);
    expect(plan.files.find(f => f.path === 'Makefile')?.status).toBe('merged');
    const answers = parse(await readFile(path.join(dir, ANSWERS_FILE), 'utf8'));
    expect(answers.values.kmsKeyId).toBe(kmsKeyId);
  });
});
