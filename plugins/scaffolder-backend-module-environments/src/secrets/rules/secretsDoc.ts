import { collectReferences, FoundReference } from './layout';
import { formatReference, parseReference } from './referenceSyntax';
import {
  BACKEND_TEMPLATE,
  linesOf,
  Rule,
  SECRETS_DOC,
  SECRETS_TEMPLATE,
  ValidationInput,
  Violation,
} from './types';
import { yamlTopLevel } from '../validationInput';
import { vocabulary } from './masking';

/** A row of the layout table of SECRETS.md. */
export interface DocumentedField {
  line: number;
  item: string;
  field: string;
  usedAs?: string;
  file?: string;
}

/** A reference listed under the References heading of SECRETS.md. */
export interface DocumentedReference {
  line: number;
  text: string;
}

/** What SECRETS.md documents: its layout table (if any) and its reference list (if any). */
export interface SecretsDocument {
  table?: { line: number; rows: DocumentedField[] };
  list?: { line: number; references: DocumentedReference[] };
}

/** Splits a Markdown table row into cells, keeping escaped pipes inside cells. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '\\' && i + 1 < inner.length) {
      current += inner[i] + inner[i + 1];
      i++;
    } else if (inner[i] === '|') {
      out.push(current);
      current = '';
    } else current += inner[i];
  }
  out.push(current);
  return out.map(c => c.trim());
}

/** The text of a cell: a code span literally, anything else with Markdown escapes removed. */
function cellText(cell: string): string {
  const code = /^(`+)\s?(.*?)\s?\1$/.exec(cell);
  if (code) return code[2];
  return cell.replace(/\\(.)/g, '$1');
}

/** Reads the layout table (columns Item and Field, optionally Used as and In) and the References list. */
export function parseSecretsDocument(content: string): SecretsDocument {
  const lines = linesOf(content);
  const doc: SecretsDocument = {};
  let fence: string | undefined;
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker) {
      if (!fence) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length)
        fence = undefined;
      continue;
    }
    if (fence) continue;
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      heading = h[1];
      if (/^references$/i.test(heading) && !doc.list)
        doc.list = { line: i + 1, references: [] };
      continue;
    }
    const next = lines[i + 1] ?? '';
    if (!doc.table && /^\s*\|/.test(line) && /^\s*\|?\s*:?-{3,}/.test(next)) {
      const header = cells(line).map(c => cellText(c).toLowerCase());
      const col = {
        item: header.indexOf('item'),
        field: header.indexOf('field'),
        usedAs: header.indexOf('used as'),
        file: header.indexOf('in'),
      };
      if (col.item !== -1 && col.field !== -1) {
        const rows: DocumentedField[] = [];
        let j = i + 2;
        for (; j < lines.length && /^\s*\|/.test(lines[j]); j++) {
          const row = cells(lines[j]).map(cellText);
          const documented: DocumentedField = {
            line: j + 1,
            item: row[col.item] ?? '',
            field: row[col.field] ?? '',
          };
          if (col.usedAs !== -1) documented.usedAs = row[col.usedAs];
          if (col.file !== -1) documented.file = row[col.file];
          rows.push(documented);
        }
        doc.table = { line: i + 1, rows };
        i = j - 1;
        continue;
      }
    }
    if (doc.list && /^references$/i.test(heading)) {
      const item = /^\s*[-*+]\s+(.*)$/.exec(line);
      const ref = item && /(?:secret)?ref\+[^\s`]+/.exec(item[1]);
      if (ref) doc.list.references.push({ line: i + 1, text: ref[0] });
    }
  }
  return doc;
}

const pairKey = (item: string, field: string) => `${item}/${field}`;

/**
 * Rule `secretsDoc`: the layout table of SECRETS.md lists exactly the items and fields that
 * backend.yaml.tmpl and secrets.vals.yaml reference (and where each is used), and its
 * References list, when present, exactly the references themselves. While a template is
 * missing or does not parse, only omissions are reported.
 */
export const secretsDoc: Rule = async (input: ValidationInput) => {
  const violations: Violation[] = [];
  const push = (line: number, message: string, fix: string) =>
    violations.push({
      file: SECRETS_DOC,
      line,
      rule: 'secretsDoc',
      message,
      fix,
    });
  const names = vocabulary(input.expected);
  const file = input.files.get(SECRETS_DOC);
  if (!file) {
    push(
      0,
      'SECRETS.md is missing; nobody can create the 1Password items without it',
      'render the production kit again or restore SECRETS.md from git',
    );
    return violations;
  }
  const used = collectReferences(input);
  // With a template missing or unreadable (reported by the layout rule), what it references is
  // unknown: only report references the document leaves out, not the ones it has in excess.
  const complete = [BACKEND_TEMPLATE, SECRETS_TEMPLATE].every(name => {
    const template = input.files.get(name);
    return template !== undefined && yamlTopLevel(template).errors.length === 0;
  });
  const usedByPair = new Map<string, FoundReference[]>();
  for (const r of used)
    usedByPair.set(pairKey(r.item, r.field), [
      ...(usedByPair.get(pairKey(r.item, r.field)) ?? []),
      r,
    ]);
  const where = (r: FoundReference) =>
    `${names.bare(r.key)} in ${r.file}:${r.line}`;
  const doc = parseSecretsDocument(file.content);

  if (!doc.table) {
    push(
      0,
      'SECRETS.md has no layout table (a Markdown table with Item and Field columns)',
      'add the table "| Item | Field | Used as | In |" with one row per referenced field (render the kit again to get it)',
    );
  } else {
    const documented = new Set<string>();
    for (const row of doc.table.rows) {
      const key = pairKey(row.item, row.field);
      documented.add(key);
      const users = usedByPair.get(key);
      if (!users) {
        if (!complete) continue;
        push(
          row.line,
          `the table documents ${names.bare(row.item)} / ${names.bare(row.field)}, which neither backend.yaml.tmpl nor secrets.vals.yaml references`,
          'remove the row, or add the reference it documents',
        );
        continue;
      }
      const matches = users.some(
        u =>
          (row.usedAs === undefined || row.usedAs === u.key) &&
          (row.file === undefined || row.file === u.file),
      );
      if (!matches) {
        push(
          row.line,
          `the table says ${names.bare(row.item)} / ${names.bare(row.field)} is used as ${row.usedAs === undefined ? '?' : names.bare(row.usedAs)} in ${row.file === undefined ? '?' : names.bare(row.file)}, but it is used as ${users.map(where).join(', ')}`,
          `correct the row to "${names.bare(users[0].key)}" in "${users[0].file}"`,
        );
      }
    }
    for (const [key, users] of usedByPair) {
      if (!documented.has(key)) {
        push(
          doc.table.line,
          `the table does not document ${names.bare(users[0].item)} / ${names.bare(users[0].field)}, used as ${users.map(where).join(', ')}`,
          `add the row | \`${names.bare(users[0].item)}\` | \`${names.bare(users[0].field)}\` | \`${names.bare(users[0].key)}\` | \`${users[0].file}\` | ... |`,
        );
      }
    }
  }

  if (doc.list) {
    const expected = new Map(used.map(u => [formatReference(u), u]));
    const listed = new Set<string>();
    for (const entry of doc.list.references) {
      const parsed = parseReference(entry.text.replace(/\+$/, ''), names);
      if (!parsed.ok) {
        push(
          entry.line,
          `the References list has ${names.reference(entry.text)}, which is not a valid 1Password reference: ${parsed.problems[0]}`,
          'list the references exactly as the templates write them',
        );
        continue;
      }
      const text = formatReference(parsed.reference);
      listed.add(text);
      if (!expected.has(text) && complete) {
        push(
          entry.line,
          `the References list has ${names.reference(text)}, which neither backend.yaml.tmpl nor secrets.vals.yaml uses`,
          'remove it from the list, or add the reference it documents',
        );
      }
    }
    for (const [text, u] of expected) {
      if (!listed.has(text)) {
        push(
          doc.list.line,
          `the References list does not have ${names.reference(text)}, used as ${where(u)}`,
          `add "- \`${names.reference(text).slice(1, -1)}\`" to the list`,
        );
      }
    }
  }
  return violations;
};
