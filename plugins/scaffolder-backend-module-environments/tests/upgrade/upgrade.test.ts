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
import { CommandIo, runCheck, runUpgrade } from '../../src/cli/fleet';
import { RenderedFile } from '../../src/kits/engine';
import { parseParameters } from '../../src/parameters/model';
import { loadTestKits } from '../../src/__testUtils__/kits';
import { PACKAGE_DIR } from '../../src/__testUtils__/paths';
import { run, runOrFail, userEnv } from '../../src/__testUtils__/processes';
import { canonicalValues } from '../../src/__testUtils__/values';
import {
  ANSWERS_FILE,
  checkRepository,
  compareVersions,
  createKitReleases,
  directoryReader,
  planUpgrade,
  parseAnswers,
} from '../../src/upgrade';
import { writeFiles } from '../../src/workspace/writeFiles';
import { kitManifest as manifest010 } from '../../src/upgrade/releases/v0_1_0/manifest';
import { kitManifest as manifest020 } from '../../src/upgrade/releases/v0_2_0/manifest';
import { goldenFiles } from '../../src/__testUtils__/upgrade/releaseGolden';

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
    const devices = canonicalValues.production.devices as {
      hostname: string;
      services: object[];
    }[];
    expect(devices.length).toBeGreaterThan(1);
    const device = devices[1].hostname;
    const cli = collector();
    const code = await runUpgrade(
      [
        dir,
        '--values',
        await changesFile('add-service', {
          addServices: [{ ...service, device }],
        }),
      ],
      cli.io,
    );
    expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
    expect(cli.out()).toContain(
      `addServices: service photos2 added to device ${device}`,
    );
    const expected = await renderedToday('production', {
      devices: devices.map((d, i) =>
        i === 1 ? { ...d, services: [...d.services, service] } : d,
      ),
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

  it('refuses an added service that names no device when there are several, and says where the kit found a problem (exit 2)', async () => {
    const dir = await repositoryOf(
      'which-device',
      await renderedToday('production'),
    );
    const service = { name: 'photos2', port: 2284 };
    const cli = collector();
    expect(
      await runUpgrade(
        [
          dir,
          '--values',
          await changesFile('no-device', { addServices: [service] }),
        ],
        cli.io,
      ),
    ).toBe(2);
    expect(cli.err()).toMatch(
      /addServices\[0\]\.device is required: this environment has \d+ devices \(media-server, [^)]*\), so an added service names the hostname of the device that runs it, for example device: media-server/,
    );
    const refused = collector();
    expect(
      await runUpgrade(
        [
          dir,
          '--values',
          await changesFile('no-hostname', {
            addServices: [{ ...service, device: 'media-server' }],
          }),
        ],
        refused.io,
      ),
    ).toBe(2);
    // The kit names the field by its place in the answers; the message says where the service went.
    expect(refused.err()).toContain('publicHostname');
    expect(refused.err()).toMatch(
      /\(addServices\[0\] is devices\[0\]\.services\[\d+\]\)/,
    );
    expect(await status(dir)).toEqual([]);
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

// The kits in this tree are the release after 0.2.0 (devices). Until the release bumps
// package.json they may still carry 0.2.0's number; they are 0.3.0 then (the release they become).
const CURRENT =
  compareVersions(PACKAGE_VERSION, '0.2.0') > 0 ? PACKAGE_VERSION : '0.3.0';
const MANIFESTS = { '0.1.0': manifest010, '0.2.0': manifest020 };

/** A git repository holding what kit `version` rendered for a golden case, exactly. */
async function goldenRepository(
  name: string,
  version: '0.1.0' | '0.2.0',
  golden: string,
) {
  const environment = golden.split('-')[0] as 'development';
  const content = await goldenFiles(version, golden);
  return repositoryOf(
    name,
    MANIFESTS[version][environment].map(file => ({
      path: file.path,
      mode: file.mode,
      content: content.get(file.path)!,
    })),
  );
}

function currentReleases() {
  return loadTestKits().then(kits =>
    createKitReleases({
      kits,
      kitVersion: CURRENT,
      releasesRoot: RELEASES_ROOT,
    }),
  );
}

/** The recorded single device of old answers, as 0.3.0 records it in devices. */
function deviceOf(values: Record<string, unknown>) {
  return {
    hostname: values.deviceHostname,
    macAddresses: [values.deviceMac],
    services: (values.services as object[]).map(s => ({
      noTlsVerify: false,
      ...s,
    })),
  };
}

describe.each(['0.1.0', '0.2.0'] as const)(
  'a repository made by kit %s',
  version => {
    it.each(['development', 'staging', 'development-local'])(
      '%s: upgrades cleanly to the current kit, answers migrated to devices',
      async golden => {
        const dir = await goldenRepository(
          `from-${version}-${golden}`,
          version,
          golden,
        );
        const recorded = parseAnswers(
          await readFile(path.join(dir, ANSWERS_FILE), 'utf8'),
        );
        const releases = await currentReleases();
        expect(releases.get(version).version).toBe(version);
        const check = await checkRepository(releases, directoryReader(dir));
        expect(check).toMatchObject({
          state: 'behind',
          recordedVersion: version,
          currentVersion: CURRENT,
          editedFiles: [],
          missingFiles: [],
        });

        const plan = await planUpgrade({
          releases,
          read: directoryReader(dir),
        });
        expect(plan.conflicted).toBe(false);
        await writeFiles(dir, dir, plan.writes);
        await Promise.all(plan.deletes.map(file => rm(path.join(dir, file))));
        expect(plan.answerNotes.join('\n')).toContain(
          '0.2.0 -> 0.3.0: deviceHostname, deviceMac, services: moved into devices, as its one device media-server',
        );
        expect(
          plan.answerNotes.some(n => n.includes('terraformVersion: pinned')),
        ).toBe(version === '0.1.0');

        // The answers file records devices, and the result is exactly what the current kit
        // renders from the migrated answers.
        const answers = parseAnswers(
          await readFile(path.join(dir, ANSWERS_FILE), 'utf8'),
        );
        expect(answers.templateVersion).toBe(CURRENT);
        expect(answers.values).toMatchObject({
          terraformVersion: '1.11.4',
          kclVersion: 'v0.11.2',
          devices: [deviceOf(recorded.values)],
        });
        for (const field of ['deviceHostname', 'deviceMac', 'services'])
          expect(answers.values).not.toHaveProperty(field);
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
  },
);

describe('a repository made by kit 0.1.0', () => {
  it('production: names the 0.1.0 answer 0.2.0 refuses (kmsKeyId), and upgrades once the user changes it, keeping an edit', async () => {
    const dir = await goldenRepository(
      'from-0.1.0-production',
      '0.1.0',
      'production',
    );
    const makefile = path.join(dir, 'Makefile');
    await writeFile(
      makefile,
      `# Ours: run from the repository root.\n${await readFile(makefile, 'utf8')}`,
    );
    const releases = await currentReleases();

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
    expect(answers.values.devices).toHaveLength(1);
  });
});

describe('a repository made by kit 0.2.0', () => {
  it('production: upgrades with a device and services added in the same run through the CLI, keeping an edit', async () => {
    // The CLI renders with the package's kits at the package's version: a repository 0.2.0 made
    // is compared with the 0.2.0 archive, not with the devices kits, only once package.json
    // carries the version the devices kits are released as.
    expect(compareVersions(PACKAGE_VERSION, '0.2.0')).toBeGreaterThan(0);
    const dir = await goldenRepository(
      'from-0.2.0-production',
      '0.2.0',
      'production',
    );
    const readme = path.join(dir, 'README.md');
    const notes = '\n## Our notes\n\nThe NAS reboots on Sundays at 03:00.\n';
    await writeFile(readme, (await readFile(readme, 'utf8')) + notes);
    await git(dir, ['commit', '--quiet', '-am', 'Our notes']);
    const synology = {
      hostname: 'synology',
      macAddresses: ['00-11-32-AA-BB-CC'],
      aliases: ['storage'],
      services: [
        {
          name: 'dsm',
          port: 5001,
          protocol: 'https',
          distribution: 'unifi_only',
        },
      ],
    };
    const files = {
      name: 'files',
      port: 5443,
      protocol: 'https',
      distribution: 'both',
      publicHostname: 'files.example.com',
      noTlsVerify: true,
    };
    const cli = collector();
    const code = await runUpgrade(
      [
        dir,
        '--values',
        await changesFile('add-synology', {
          addDevices: [synology],
          addServices: [{ ...files, device: 'synology' }],
        }),
      ],
      cli.io,
    );
    expect({ code, err: cli.err() }).toEqual({ code: 0, err: '' });
    expect(cli.out()).toContain('kit 0.2.0 -> ');
    expect(cli.out()).toContain(
      '0.2.0 -> 0.3.0: deviceHostname, deviceMac, services: moved into devices',
    );
    expect(cli.out()).toContain('addDevices: device synology added');
    expect(cli.out()).toContain(
      'addServices: service files added to device synology',
    );
    expect(cli.out()).toMatch(/merged\s+README\.md/);

    const answers = parseAnswers(
      await readFile(path.join(dir, ANSWERS_FILE), 'utf8'),
    );
    expect(answers.templateVersion).toBe(CURRENT);
    const devices = answers.values.devices as {
      hostname: string;
      macAddresses: string[];
      aliases?: string[];
      services: { name: string }[];
    }[];
    expect(
      devices.map(d => [
        d.hostname,
        d.macAddresses,
        d.aliases,
        d.services.map(s => s.name),
      ]),
    ).toEqual([
      [
        'media-server',
        ['aa:bb:cc:dd:ee:ff'],
        undefined,
        ['jellyfin', 'photos', 'nas'],
      ],
      ['synology', ['00:11:32:aa:bb:cc'], ['storage'], ['dsm', 'files']],
    ]);
    const merged = await readFile(readme, 'utf8');
    expect(merged.endsWith(notes)).toBe(true);
    expect(await readFile(path.join(dir, 'kcl/main.k'), 'utf8')).toContain(
      'files.example.com',
    );
    expect(await git(dir, ['diff'])).not.toContain('<<<<<<<');

    // Afterwards the repository is at the current kit; the team's notes are the only difference.
    const check = collector();
    expect(await runCheck([dir, '--json'], check.io)).toBe(1);
    expect(JSON.parse(check.out()).repositories[0]).toMatchObject({
      state: 'edited',
      editedFiles: ['README.md'],
      recordedVersion: CURRENT,
    });
  });

  it('upgrade --to 0.2.0 is a no-op at 0.2.0, and the check names it behind the current kit', async () => {
    const dir = await goldenRepository('at-0.2.0', '0.2.0', 'staging');
    const releases = await currentReleases();
    const plan = await planUpgrade({
      releases,
      read: directoryReader(dir),
      to: '0.2.0',
    });
    expect(plan).toMatchObject({ files: [], writes: [], answerNotes: [] });
    expect(await checkRepository(releases, directoryReader(dir))).toMatchObject(
      { state: 'behind', recordedVersion: '0.2.0' },
    );
  });
});
