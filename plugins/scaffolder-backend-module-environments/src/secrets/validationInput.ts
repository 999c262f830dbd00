import { constants } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import {
  Document,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
} from 'yaml';
import {
  ExpectedLayout,
  linesOf,
  SkippedFile,
  ValidationInput,
  WorkspaceFile,
} from './rules/types';
import { listTree } from '../workspace/pathGuard';

/** Files larger than this are not read (a kit file is a few kilobytes). */
const MAX_FILE_BYTES = 1024 * 1024;
/** Stop walking after this many entries, so a huge directory cannot stall a task. */
const MAX_ENTRIES = 5000;
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

const OPEN_FLAGS =
  constants.O_RDONLY |
  (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

/**
 * The `size` bytes of an open file, as `readFile` reads them (it also stops at the size its
 * stat gave), without the second stat `readFile` would make.
 */
async function readAll(handle: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  let length = 0;
  while (length < size) {
    const { bytesRead } = await handle.read(
      buffer,
      length,
      size - length,
      length,
    );
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/**
 * Reads every text file under `root` without following symbolic links: a link is listed as
 * skipped, never read, so nothing outside the directory is ever looked at. The tree is listed
 * first (by the path guard's `listTree`, one call per directory); the files are then read
 * together, each with one `O_NOFOLLOW` open whose `fstat` tells a regular file and its size.
 */
export async function loadValidationInput(
  root: string,
  expected: ExpectedLayout,
): Promise<ValidationInput> {
  // The one tree walk of the package: names sorted, so the entry limit cuts the same place every
  // time, and a link listed as a link, never entered or read.
  const { entries, truncatedAt } = await listTree(root, {
    skipDirectory: e => SKIPPED_DIRECTORIES.has(path.posix.basename(e.path)),
    maxEntries: MAX_ENTRIES,
  });
  // In walk order: a file to read, or an entry already known to be skipped.
  const slots: ({ read: string } | { skipped: SkippedFile })[] = [];
  for (const entry of entries) {
    if (entry.kind === 'symlink') {
      slots.push({
        skipped: { path: entry.path, reason: 'symbolic link (not followed)' },
      });
    } else if (entry.kind === 'other') {
      slots.push({
        skipped: { path: entry.path, reason: 'not a regular file' },
      });
    } else if (entry.kind === 'file') {
      // Its size is checked on the open file, before anything is read.
      slots.push({ read: entry.path });
    }
  }
  if (truncatedAt !== undefined) {
    slots.push({
      skipped: {
        path: truncatedAt,
        reason: `more than ${MAX_ENTRIES} entries; the rest was not read`,
      },
    });
  }

  async function read(relative: string): Promise<WorkspaceFile | SkippedFile> {
    let handle: FileHandle;
    try {
      // A file swapped for a link since the listing is refused by open itself (O_NOFOLLOW), not
      // followed; a FIFO swapped in cannot hold the open (O_NONBLOCK).
      handle = await open(path.join(root, relative), OPEN_FLAGS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        return { path: relative, reason: 'symbolic link (not followed)' };
      throw error;
    }
    try {
      // What is read is what was opened: the checks look at the open file, not at the path.
      const stat = await handle.stat();
      if (!stat.isFile())
        return { path: relative, reason: 'not a regular file' };
      if (stat.size > MAX_FILE_BYTES)
        return {
          path: relative,
          reason: `larger than ${MAX_FILE_BYTES} bytes`,
        };
      const bytes = await readAll(handle, stat.size);
      if (bytes.includes(0)) return { path: relative, reason: 'binary file' };
      return { path: relative, content: bytes.toString('utf8') };
    } finally {
      await handle.close();
    }
  }

  const results = await Promise.all(
    slots.map(slot => ('read' in slot ? read(slot.read) : slot.skipped)),
  );
  const files: WorkspaceFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const result of results) {
    if ('content' in result) files.push(result);
    else skipped.push(result);
  }
  return {
    root,
    expected,
    files: new Map(files.map(f => [f.path, f])),
    skipped,
  };
}

/** Builds an input from in-memory files (for tests and for callers that already hold the files). */
export function inputFromFiles(
  files: Record<string, string>,
  expected: ExpectedLayout,
  root = '/nonexistent',
): ValidationInput {
  const sorted = Object.keys(files).sort();
  return {
    root,
    expected,
    files: new Map(sorted.map(p => [p, { path: p, content: files[p] }])),
    skipped: [],
  };
}

/**
 * A piece of text and its role:
 * - `value`: something a tool reads or runs (a YAML key or value, a Makefile or script line, a
 *   line of a fenced code block in Markdown);
 * - `comment`: a comment line of a YAML file, Makefile, script or `.env` file;
 * - `prose`: Markdown outside code blocks.
 * References in comments and prose are documentation: nothing evaluates them.
 */
export interface Segment {
  file: string;
  line: number;
  text: string;
  kind: 'value' | 'comment' | 'prose';
}

export function isYamlFile(file: string): boolean {
  return /\.ya?ml(\.tmpl)?$/i.test(file);
}

export function isMarkdownFile(file: string): boolean {
  return /\.(md|markdown)$/i.test(file);
}

// Several rules read the same segments and YAML top levels of one validation: each is computed
// once per input (or file) and shared. Callers only read them.
const segmentsCache = new WeakMap<ValidationInput, Segment[]>();
const topLevelCache = new WeakMap<WorkspaceFile, YamlTopLevel>();

const parsedCache = new WeakMap<
  WorkspaceFile,
  { doc: Document.Parsed; lineCounter: LineCounter }
>();

/**
 * A YAML file parsed once for every rule that reads it (segments and top level), duplicate keys
 * being errors. Readers only read the document.
 */
function parsedYaml(file: WorkspaceFile) {
  let parsed = parsedCache.get(file);
  if (!parsed) {
    const lineCounter = new LineCounter();
    parsed = {
      doc: parseDocument(file.content, {
        lineCounter,
        prettyErrors: false,
        uniqueKeys: true,
      }),
      lineCounter,
    };
    parsedCache.set(file, parsed);
  }
  return parsed;
}

/** Splits every file into segments (see {@link Segment}); computed once per input. */
export function segmentsOf(input: ValidationInput): Segment[] {
  let segments = segmentsCache.get(input);
  if (!segments) {
    segments = computeSegments(input);
    segmentsCache.set(input, segments);
  }
  return segments;
}

function computeSegments(input: ValidationInput): Segment[] {
  const segments: Segment[] = [];
  for (const file of input.files.values()) segments.push(...fileSegments(file));
  return segments;
}

function fileSegments(file: WorkspaceFile): Segment[] {
  if (isYamlFile(file.path)) return yamlSegments(file);
  if (isMarkdownFile(file.path)) return markdownSegments(file);
  return lineSegments(file);
}

const referenceSegmentsCache = new WeakMap<ValidationInput, Segment[]>();

/**
 * Whether any segment of a file can contain `ref+` (which `secretref+` ends in): segments are
 * the file's lines, or for YAML its scalars and comment lines. Folding joins YAML lines with a
 * space, so a scalar spells `ref+` only as written or through an escape of a double-quoted
 * string, which needs a backslash.
 */
function couldHoldAReference(file: WorkspaceFile): boolean {
  return (
    file.content.includes('ref+') ||
    (isYamlFile(file.path) && file.content.includes('\\'))
  );
}

/**
 * The segments of the files that can hold a vals reference ({@link segmentsOf} restricted to
 * them), for the rules that look for references: most YAML files of a kit have none and are
 * then not parsed for them. Computed once per input.
 */
export function referenceSegmentsOf(input: ValidationInput): Segment[] {
  let segments = referenceSegmentsCache.get(input);
  if (!segments) {
    segments = [];
    for (const file of input.files.values()) {
      if (couldHoldAReference(file)) segments.push(...fileSegments(file));
    }
    referenceSegmentsCache.set(input, segments);
  }
  return segments;
}

function lineSegments(file: WorkspaceFile): Segment[] {
  return linesOf(file.content).map((text, i) => ({
    file: file.path,
    line: i + 1,
    text,
    kind: /^\s*#/.test(text) ? 'comment' : 'value',
  }));
}

function markdownSegments(file: WorkspaceFile): Segment[] {
  let fence: string | undefined;
  return linesOf(file.content).map((text, i) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    let kind: Segment['kind'] = fence ? 'value' : 'prose';
    if (
      marker &&
      (!fence || (marker[0] === fence[0] && marker.length >= fence.length))
    ) {
      fence = fence ? undefined : marker;
      kind = 'prose';
    }
    return { file: file.path, line: i + 1, text, kind };
  });
}

/**
 * Every scalar (keys and values) of a YAML file, with the line where it starts, plus its
 * comment lines. A file that does not parse is treated line by line, so nothing is missed.
 */
function yamlSegments(file: WorkspaceFile): Segment[] {
  const { doc, lineCounter } = parsedYaml(file);
  if (doc.errors.length > 0) return lineSegments(file);
  const segments: Segment[] = [];
  visit(doc, {
    Scalar(_, node) {
      if (node.range && node.value !== null && node.value !== undefined) {
        segments.push({
          file: file.path,
          line: lineCounter.linePos(node.range[0]).line,
          text: String(node.value),
          kind: 'value',
        });
      }
    },
  });
  linesOf(file.content).forEach((text, i) => {
    if (/^\s*#/.test(text))
      segments.push({ file: file.path, line: i + 1, text, kind: 'comment' });
  });
  return segments;
}

/** A top-level `key: value` of a YAML file, with line numbers. */
export interface YamlEntry {
  key: string;
  keyLine: number;
  valueLine: number;
  /** The value when it is a scalar (string, number, boolean or null); undefined for maps and lists. */
  scalar?: unknown;
  isScalar: boolean;
}

/** The parsed top level of a YAML file, or why it could not be read. */
export interface YamlTopLevel {
  entries: YamlEntry[];
  errors: { line: number; message: string }[];
}

/** Reads the top-level mapping of a YAML file with line numbers (`parseDocument` + `LineCounter`); once per file. */
export function yamlTopLevel(file: WorkspaceFile): YamlTopLevel {
  let top = topLevelCache.get(file);
  if (!top) {
    top = computeTopLevel(file);
    topLevelCache.set(file, top);
  }
  return top;
}

function computeTopLevel(file: WorkspaceFile): YamlTopLevel {
  const { doc, lineCounter } = parsedYaml(file);
  const errors = doc.errors.map(e => ({
    line: lineCounter.linePos(e.pos[0]).line,
    message: e.message.split('\n')[0],
  }));
  if (errors.length > 0) return { entries: [], errors };
  if (doc.contents === null) return { entries: [], errors: [] };
  if (!isMap(doc.contents)) {
    const at = doc.contents.range
      ? lineCounter.linePos(doc.contents.range[0]).line
      : 1;
    return {
      entries: [],
      errors: [
        {
          line: at,
          message: 'the top level is not a mapping of keys to values',
        },
      ],
    };
  }
  const entries: YamlEntry[] = [];
  for (const pair of doc.contents.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const keyNode = pair.key;
    const keyLine = keyNode.range
      ? lineCounter.linePos(keyNode.range[0]).line
      : 0;
    const value = pair.value;
    const valueLine =
      value && typeof value === 'object' && 'range' in value && value.range
        ? lineCounter.linePos(value.range[0]).line
        : keyLine;
    entries.push({
      key: String(keyNode.value),
      keyLine,
      valueLine,
      scalar: isScalar(value) ? value.value : undefined,
      isScalar: value === null || isScalar(value),
    });
  }
  return { entries, errors: [] };
}
