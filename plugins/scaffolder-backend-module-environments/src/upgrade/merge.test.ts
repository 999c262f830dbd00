import { MARKERS, mergeText, similarity } from './merge';

const base = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\n';

describe('mergeText', () => {
  it('takes theirs when ours is the base, and ours when theirs is the base or equals ours', () => {
    expect(mergeText(base, base, 'new\n')).toEqual({
      content: 'new\n',
      conflicts: 0,
    });
    expect(mergeText('mine\n', base, base)).toEqual({
      content: 'mine\n',
      conflicts: 0,
    });
    expect(mergeText('same\n', base, 'same\n')).toEqual({
      content: 'same\n',
      conflicts: 0,
    });
  });

  it('merges changes in different places', () => {
    const ours = base.replace('one', 'ONE');
    const theirs = base.replace('seven', 'SEVEN');
    expect(mergeText(ours, base, theirs)).toEqual({
      content: 'ONE\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n',
      conflicts: 0,
    });
  });

  it('writes git merge-file --diff3 markers where both changed the same lines', () => {
    const ours = base.replace('four', 'FOUR (ours)');
    const theirs = base.replace('four', 'FOUR (theirs)');
    expect(mergeText(ours, base, theirs)).toEqual({
      content: `one\ntwo\nthree\n${MARKERS.ours}\nFOUR (ours)\n${MARKERS.base}\nfour\n${MARKERS.separator}\nFOUR (theirs)\n${MARKERS.theirs}\nfive\nsix\nseven\n`,
      conflicts: 1,
    });
  });

  it('counts each conflicting region and keeps a missing final newline a difference', () => {
    const ours = base.replace('one', 'uno').replace('seven\n', 'siete');
    const theirs = base.replace('one', 'eins').replace('seven\n', 'sieben');
    const merged = mergeText(ours, base, theirs);
    expect(merged.conflicts).toBe(2);
    expect(merged.content.split(MARKERS.ours).length - 1).toBe(2);
    expect(merged.content.endsWith(`${MARKERS.theirs}\n`)).toBe(true);
    expect(merged.content).toContain(`siete\n${MARKERS.base}`);
  });

  it('does not report a conflict when both made the same change', () => {
    const both = base.replace('three', 'THREE');
    expect(mergeText(both.replace('one', 'ONE'), base, both)).toEqual({
      content: both.replace('one', 'ONE'),
      conflicts: 0,
    });
  });
});

describe('similarity', () => {
  it('is 1 for equal texts, 0 for disjoint ones, and between for an edit', () => {
    expect(similarity(base, base)).toBe(1);
    expect(similarity('a\nb\n', 'c\nd\n')).toBe(0);
    const s = similarity(base, base.replace('four', 'FOUR'));
    expect(s).toBeGreaterThan(0.8);
    expect(s).toBeLessThan(1);
  });
});
