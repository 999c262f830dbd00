import { stringify } from 'yaml';
import { RenderedFile } from '../kits/engine';
import { ANSWERS_FILE, AnswerValues } from './answers';
import { checkRepository } from './check';
import { KitReleases } from './kitReleases';
import { MARKERS } from './merge';
import {
  describePlan,
  planUpgrade,
  RepositoryFile,
  summarize,
} from './upgrade';
import { KitRelease } from './releases';

const TEMPLATE = 'template:default/staging-environment';
const answersFile = (version: string, values: AnswerValues) =>
  stringify({ template: TEMPLATE, templateVersion: version, values });
const body = (title: string, values: AnswerValues) =>
  `# ${title}\n\nname: ${values.name}\n\nline 4\nline 5\nline 6\nline 7\nline 8\n`;

/** Two kit versions of a small kit: 2.0.0 changes, adds, removes and renames files of 1.0.0. */
const v1: KitRelease = {
  version: '1.0.0',
  render: (values): RenderedFile[] => [
    { path: 'README.md', content: body('Readme', values), mode: 0o644 },
    { path: 'deploy.sh', content: '#!/bin/sh\necho deploy\n', mode: 0o755 },
    { path: 'old.txt', content: 'gone in 2.0.0\n', mode: 0o644 },
    {
      path: 'scripts/env.sh',
      content: body('Environment', values),
      mode: 0o644,
    },
    { path: ANSWERS_FILE, content: answersFile('1.0.0', values), mode: 0o644 },
  ],
};
const v2: KitRelease = {
  version: '2.0.0',
  render: (values): RenderedFile[] => [
    {
      path: 'README.md',
      content: body('Readme', values).replace('line 8', 'line 8, revised'),
      mode: 0o644,
    },
    { path: 'deploy.sh', content: '#!/bin/sh\necho deploy\n', mode: 0o755 },
    {
      path: 'lib/env.sh',
      content: body('Environment', values).replace('line 7', 'line 7, revised'),
      mode: 0o644,
    },
    { path: 'NEW.md', content: 'new in 2.0.0\n', mode: 0o644 },
    { path: ANSWERS_FILE, content: answersFile('2.0.0', values), mode: 0o644 },
  ],
};
const releases = new KitReleases(
  v2,
  [{ version: '1.0.0', load: () => v1 }],
  '/nowhere',
);
const values = { environment: 'staging', name: 'lab' } as AnswerValues;

/** An in-memory repository made by 1.0.0, then edited by `edit`. */
function repository(
  edit: (files: Map<string, RepositoryFile>) => void = () => {},
) {
  const files = new Map(
    v1
      .render(values, TEMPLATE)
      .map(f => [f.path, { content: f.content, mode: f.mode }]),
  );
  edit(files);
  return { files, read: async (p: string) => files.get(p) };
}
const written = (plan: Awaited<ReturnType<typeof planUpgrade>>) =>
  new Map(plan.writes.map(w => [w.path, w]));

describe('planUpgrade', () => {
  it("applies an unchanged repository's upgrade exactly: updated, added, removed, renamed", async () => {
    const repo = repository();
    const plan = await planUpgrade({ releases, read: repo.read });
    expect(plan.conflicted).toBe(false);
    expect(plan.files.map(f => [f.path, f.status, f.from])).toEqual([
      ['README.md', 'updated', undefined],
      ['lib/env.sh', 'renamed', 'scripts/env.sh'],
      ['NEW.md', 'added', undefined],
      [ANSWERS_FILE, 'updated', undefined],
      ['old.txt', 'removed', undefined],
    ]);
    expect(plan.deletes.sort()).toEqual(['old.txt', 'scripts/env.sh']);
    const expected = v2.render(values, TEMPLATE);
    const out = written(plan);
    for (const file of expected.filter(f => f.path !== 'deploy.sh'))
      expect(out.get(file.path)).toEqual(file);
    expect(out.has('deploy.sh')).toBe(false);
    expect(plan.answers.templateVersion).toBe('2.0.0');
  });

  it('carries an edit of a renamed file to its new path, and keeps a file the kit removed but the repository changed', async () => {
    const repo = repository(files => {
      files.set('scripts/env.sh', {
        ...files.get('scripts/env.sh')!,
        content: files
          .get('scripts/env.sh')!
          .content.replace('line 4', 'line 4, ours'),
      });
      files.set('old.txt', { content: 'we use this\n', mode: 0o644 });
    });
    const plan = await planUpgrade({ releases, read: repo.read });
    const env = written(plan).get('lib/env.sh')!.content;
    expect(env).toContain('line 4, ours');
    expect(env).toContain('line 7, revised');
    expect(plan.files.find(f => f.path === 'lib/env.sh')).toMatchObject({
      status: 'renamed',
      detail: expect.stringContaining('carried over'),
    });
    expect(plan.deletes).toEqual(['scripts/env.sh']);
    expect(plan.files.find(f => f.path === 'old.txt')).toMatchObject({
      status: 'conflict',
    });
    expect(summarize(plan).mergedCleanly.map(f => f.path)).toEqual([
      'lib/env.sh',
    ]);
  });

  it('marks same-line edits, an add/add clash and a deleted-here-changed-there file as conflicts', async () => {
    const repo = repository(files => {
      files.set('README.md', {
        content: files
          .get('README.md')!
          .content.replace('line 8', 'line 8, ours'),
        mode: 0o644,
      });
      files.set('NEW.md', { content: 'our own NEW.md\n', mode: 0o644 });
    });
    const plan = await planUpgrade({ releases, read: repo.read });
    const out = written(plan);
    expect(out.get('README.md')!.content).toContain(
      `${MARKERS.ours}\nline 8, ours\n${MARKERS.base}\nline 8\n${MARKERS.separator}\nline 8, revised\n${MARKERS.theirs}\n`,
    );
    expect(out.get('NEW.md')!.content).toContain('our own NEW.md');
    expect(out.get('NEW.md')!.content).toContain(MARKERS.ours);
    expect(summarize(plan).conflicts.map(f => f.path)).toEqual([
      'README.md',
      'NEW.md',
    ]);
    expect(describePlan(plan)).toMatch(
      /### Conflicts\n\n- `README\.md`: 1 region/,
    );

    const deleted = repository(files => files.delete('README.md'));
    const again = await planUpgrade({ releases, read: deleted.read });
    expect(again.files.find(f => f.path === 'README.md')).toMatchObject({
      status: 'conflict',
      detail: expect.stringContaining('removed in the repository'),
    });
  });

  it('keeps a mode the repository changed, and leaves a file only the repository changed alone', async () => {
    const repo = repository(files =>
      files.set('deploy.sh', {
        content: '#!/bin/sh\necho ours\n',
        mode: 0o700,
      }),
    );
    const plan = await planUpgrade({ releases, read: repo.read });
    expect(written(plan).has('deploy.sh')).toBe(false);
    expect(plan.files.some(f => f.path === 'deploy.sh')).toBe(false);
    const chmodded = repository(files =>
      files.set('README.md', { ...files.get('README.md')!, mode: 0o600 }),
    );
    expect(
      written(await planUpgrade({ releases, read: chmodded.read })).get(
        'README.md',
      )!.mode,
    ).toBe(0o600);
  });

  it('records answer changes, refuses moving back, an unknown version and a missing answers file', async () => {
    const plan = await planUpgrade({
      releases,
      read: repository().read,
      changes: { name: 'lab2' },
    });
    expect(plan.answers.values.name).toBe('lab2');
    expect(written(plan).get('README.md')!.content).toContain('name: lab2');
    expect(plan.answerNotes).toEqual(['name: changed as requested']);
    await expect(
      planUpgrade({ releases, read: repository().read, to: '0.9.0' }),
    ).rejects.toThrow('moving back to 0.9.0 is not supported');
    const unknown = repository(files =>
      files.set(ANSWERS_FILE, {
        content: answersFile('1.5.0', values),
        mode: 0o644,
      }),
    );
    await expect(planUpgrade({ releases, read: unknown.read })).rejects.toThrow(
      'Kit version 1.5.0 is not one this package can render',
    );
    const none = repository(files => files.delete(ANSWERS_FILE));
    await expect(planUpgrade({ releases, read: none.read })).rejects.toThrow(
      `${ANSWERS_FILE} is missing`,
    );
  });
});

describe('checkRepository', () => {
  it('tells behind, edited and both apart, against the exact base', async () => {
    expect(await checkRepository(releases, repository().read)).toMatchObject({
      state: 'behind',
      recordedVersion: '1.0.0',
      currentVersion: '2.0.0',
    });
    const edited = repository(files => files.delete('old.txt'));
    expect(await checkRepository(releases, edited.read)).toMatchObject({
      state: 'behind-and-edited',
      missingFiles: ['old.txt'],
      editedFiles: [],
    });
    const current = new Map(
      v2
        .render(values, TEMPLATE)
        .map(f => [f.path, { content: f.content, mode: f.mode }]),
    );
    expect(
      await checkRepository(releases, async p => current.get(p)),
    ).toMatchObject({ state: 'current' });
    current.set('deploy.sh', { ...current.get('deploy.sh')!, mode: 0o644 });
    expect(
      await checkRepository(releases, async p => current.get(p)),
    ).toMatchObject({ state: 'edited', editedFiles: ['deploy.sh'] });
  });
});

describe('KitReleases', () => {
  it('lets the current kits answer for their own version, even over an archive of that number', () => {
    const archived2 = { ...v2, render: () => [] };
    const both = new KitReleases(
      v2,
      [
        { version: '1.0.0', load: () => v1 },
        { version: '2.0.0', load: () => archived2 },
      ],
      '/nowhere',
    );
    expect(both.get('2.0.0')).toBe(v2);
    expect(both.get('1.0.0')).toBe(v1);
    expect(both.versions).toEqual(['1.0.0', '2.0.0']);
    // Once the package version moves on, the archive answers for its release.
    const next = new KitReleases(
      { ...v2, version: '3.0.0' },
      [{ version: '2.0.0', load: () => archived2 }],
      '/nowhere',
    );
    expect(next.get('2.0.0')).toBe(archived2);
  });
});
