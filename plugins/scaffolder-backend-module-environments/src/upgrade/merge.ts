import { diff3Merge, diffComm } from 'node-diff3';

/** The labels git merge-file --diff3 -L ours -L base -L theirs writes. */
export const MARKERS = {
  ours: '<<<<<<< ours',
  base: '||||||| base',
  separator: '=======',
  theirs: '>>>>>>> theirs',
} as const;

/** Lines with their line ends kept, so a missing final newline is a difference too. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function block(marker: string, content: string[]): string {
  const text = content.join('');
  return `${marker}\n${text}${text === '' || text.endsWith('\n') ? '' : '\n'}`;
}

/** The outcome of merging one file three ways. */
export interface TextMerge {
  content: string;
  /** Conflict regions written with markers; 0 when the merge is clean. */
  conflicts: number;
}

/**
 * Merges `theirs` (the new kit's render) into `ours` (the repository) relative to `base` (what
 * the recorded kit rendered), line by line. Conflicting regions are written as
 * `git merge-file --diff3` writes them: ours, base, theirs between standard markers.
 */
export function mergeText(
  ours: string,
  base: string,
  theirs: string,
): TextMerge {
  if (ours === base) return { content: theirs, conflicts: 0 };
  if (theirs === base || theirs === ours)
    return { content: ours, conflicts: 0 };
  const regions = diff3Merge(lines(ours), lines(base), lines(theirs), {
    excludeFalseConflicts: true,
  });
  let content = '';
  let conflicts = 0;
  for (const region of regions) {
    if (region.ok) {
      content += region.ok.join('');
    } else if (region.conflict) {
      conflicts++;
      const { a, o, b } = region.conflict;
      content += `${block(MARKERS.ours, a)}${block(MARKERS.base, o)}${block(MARKERS.separator, b)}${MARKERS.theirs}\n`;
    }
  }
  return { content, conflicts };
}

/** Share of lines two texts have in common (0..1), as git's rename detection judges it. */
export function similarity(a: string, b: string): number {
  const la = lines(a);
  const lb = lines(b);
  if (la.length === 0 && lb.length === 0) return 1;
  const common = diffComm(la, lb).reduce(
    (n, part) => n + (part.common?.length ?? 0),
    0,
  );
  return (2 * common) / (la.length + lb.length);
}
