import { createMockDirectory } from '@backstage/backend-test-utils';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CANONICAL_LAYOUT } from '../__testUtils__/secretsLayout';
import { maskSecret } from './rules/types';
import {
  inputFromFiles,
  loadValidationInput,
  referenceSegmentsOf,
  segmentsOf,
  yamlTopLevel,
} from './validationInput';

describe('loadValidationInput', () => {
  const dir = createMockDirectory();
  const outside = createMockDirectory();
  beforeEach(() => {
    dir.clear();
    outside.clear();
  });

  it('reads text files recursively and never follows symbolic links', async () => {
    dir.setContent({
      'a.txt': 'a',
      'sub/b.yaml': 'b: 1',
      '.git/config': 'x',
      'node_modules/m/index.js': 'x',
    });
    outside.setContent({ 'secret.txt': 'outside' });
    await symlink(
      path.join(outside.path, 'secret.txt'),
      path.join(dir.path, 'link.txt'),
    );
    await symlink(outside.path, path.join(dir.path, 'linkdir'));
    await writeFile(path.join(dir.path, 'blob.bin'), Buffer.from([1, 0, 2]));
    const input = await loadValidationInput(dir.path, CANONICAL_LAYOUT);
    expect([...input.files.keys()]).toEqual(['a.txt', 'sub/b.yaml']);
    expect(input.skipped).toEqual([
      { path: 'blob.bin', reason: 'binary file' },
      { path: 'link.txt', reason: 'symbolic link (not followed)' },
      { path: 'linkdir', reason: 'symbolic link (not followed)' },
    ]);
  });

  it('reads an empty directory', async () => {
    await mkdir(path.join(dir.path, 'empty'));
    expect(
      (
        await loadValidationInput(
          path.join(dir.path, 'empty'),
          CANONICAL_LAYOUT,
        )
      ).files.size,
    ).toBe(0);
  });
});

describe('segmentsOf', () => {
  it('tells values from comments and prose, with lines', () => {
    const input = inputFromFiles(
      {
        'a.yaml': '# comment\nkey: "value"\nlist:\n  - item\n',
        'b.md': 'prose\n```sh\ncode\n```\n',
        Makefile: '# c\nall:\n\techo hi\n',
      },
      CANONICAL_LAYOUT,
    );
    expect(
      segmentsOf(input).map(
        s => `${s.file}:${s.line}:${s.kind}:${s.text.trim()}`,
      ),
    ).toEqual([
      'Makefile:1:comment:# c',
      'Makefile:2:value:all:',
      'Makefile:3:value:echo hi',
      'Makefile:4:value:',
      'a.yaml:2:value:key',
      'a.yaml:2:value:value',
      'a.yaml:3:value:list',
      'a.yaml:4:value:item',
      'a.yaml:1:comment:# comment',
      'b.md:1:prose:prose',
      'b.md:2:prose:```sh',
      'b.md:3:value:code',
      'b.md:4:prose:```',
      'b.md:5:prose:',
    ]);
  });

  it('falls back to lines for YAML that does not parse', () => {
    const input = inputFromFiles(
      { 'a.yaml': 'a: [1\nb: ref+file://x\n' },
      CANONICAL_LAYOUT,
    );
    expect(segmentsOf(input).filter(s => s.text.includes('ref+'))).toEqual([
      { file: 'a.yaml', line: 2, text: 'b: ref+file://x', kind: 'value' },
    ]);
  });
});

describe('referenceSegmentsOf', () => {
  const withRef = (segments: { text: string }[]) =>
    segments.filter(s => s.text.includes('ref+'));

  it('keeps every segment that holds ref+, escaped YAML included, and skips files without one', () => {
    const input = inputFromFiles(
      {
        'plain.yaml': 'a: 1\nb: [x, y]\n',
        'escaped.yaml':
          'a: "r\\x65f+op://v/i/f"\nb: "secret\\u0072ef+op://v/i/f"\n',
        'folded.yaml': 'a: ref\n  +op://v/i/f\nb: >\n  ref+op://v/i/f\n',
        'quoted.yaml': "a: 'ref+op://v/i/f'\n# ref+file://x\n",
        'b.md': 'prose ref+op://v/i/f\n```\nref+echo://x\n```\n',
        Makefile: 'X := ref+op://v/i/f\n',
        'notes.txt': 'nothing here\n',
      },
      CANONICAL_LAYOUT,
    );
    const reference = referenceSegmentsOf(input);
    expect(withRef(reference)).toEqual(withRef(segmentsOf(input)));
    expect(withRef(reference).map(s => s.text)).toEqual(
      expect.arrayContaining(['ref+op://v/i/f', 'secretref+op://v/i/f']),
    );
    expect(new Set(reference.map(s => s.file))).toEqual(
      new Set([
        'Makefile',
        'b.md',
        'escaped.yaml',
        'folded.yaml',
        'quoted.yaml',
      ]),
    );
  });
});

describe('yamlTopLevel', () => {
  it('reads keys, values and their lines, and reports a top level that is not a mapping', () => {
    expect(
      yamlTopLevel({ path: 'a.yaml', content: '# c\na: "x"\nb:\n  c: 1\nd:\n' })
        .entries,
    ).toEqual([
      { key: 'a', keyLine: 2, valueLine: 2, scalar: 'x', isScalar: true },
      {
        key: 'b',
        keyLine: 3,
        valueLine: 4,
        scalar: undefined,
        isScalar: false,
      },
      { key: 'd', keyLine: 5, valueLine: 5, scalar: null, isScalar: true },
    ]);
    expect(yamlTopLevel({ path: 'a.yaml', content: '- a\n' }).errors).toEqual([
      { line: 1, message: 'the top level is not a mapping of keys to values' },
    ]);
  });
});

describe('maskSecret', () => {
  it('shows at most 4 characters, fewer for short values', () => {
    expect(maskSecret('abcdefghijklmnop')).toBe('abcd…');
    expect(maskSecret('abcdef')).toBe('ab…');
    expect(maskSecret('ab')).toBe('…');
  });
});
