import { forbiddenProviders } from './rules/forbiddenProviders';
import { gitignore } from './rules/gitignore';
import { collectReferences, FoundReference, layout } from './rules/layout';
import { makefileSecrets } from './rules/makefileSecrets';
import { plaintextSecrets } from './rules/plaintextSecrets';
import { referenceSyntax } from './rules/referenceSyntax';
import { secretsDoc } from './rules/secretsDoc';
import {
  DEFAULT_ITEMS,
  ExpectedLayout,
  LayoutItems,
  Rule,
  RuleId,
  ValidationInput,
  Violation,
} from './rules/types';
import { inputFromFiles, loadValidationInput } from './validationInput';
import { SecretsProvider } from './references';

export type {
  ExpectedLayout,
  LayoutItems,
  RuleId,
  Violation,
} from './rules/types';
export type { FoundReference } from './rules/layout';

/** Every rule of the production secrets layout, by id. */
export const LAYOUT_RULES: Record<RuleId, Rule> = {
  referenceSyntax,
  layout,
  forbiddenProviders,
  plaintextSecrets,
  secretsDoc,
  gitignore,
  makefileSecrets,
};

/** A reference as reported by the validator: where it is and what it names, never a value. */
export interface ReportedReference {
  file: string;
  line: number;
  key: string;
  provider: SecretsProvider;
  vault: string;
  item: string;
  section?: string;
  field: string;
}

/** The outcome of a validation: every violation, sorted by file then line, and the references found. */
export interface ValidationResult {
  violations: Violation[];
  references: ReportedReference[];
}

/** Fills the defaults of the expected layout (provider `op`, items cloudflare/unifi/terraform-state). */
export function expectedLayout(options: {
  vault: string;
  provider?: SecretsProvider;
  items?: Partial<LayoutItems>;
}): ExpectedLayout {
  return {
    vault: options.vault,
    provider: options.provider ?? 'op',
    items: {
      ...DEFAULT_ITEMS,
      ...Object.fromEntries(
        Object.entries(options.items ?? {}).filter(([, v]) => v !== undefined),
      ),
    },
  };
}

function compareViolations(a: Violation, b: Violation): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  if (a.message === b.message) return 0;
  return a.message < b.message ? -1 : 1;
}

function toReported(r: FoundReference): ReportedReference {
  const reported: ReportedReference = {
    file: r.file,
    line: r.line,
    key: r.key,
    provider: r.provider,
    vault: r.vault,
    item: r.item,
    field: r.field,
  };
  if (r.section !== undefined) reported.section = r.section;
  return reported;
}

/** Lets timers and I/O of other requests run between two pieces of synchronous work. */
const yieldToEventLoop = () =>
  new Promise<void>(resolve => setImmediate(resolve));

/**
 * Runs every rule on already-loaded files and collects all violations. The rules start one
 * after another with a turn of the event loop in between, so one validation never holds the
 * backend's event loop for all the rules at once; a rule that waits (git) runs on meanwhile.
 */
export async function validateInput(
  input: ValidationInput,
): Promise<ValidationResult> {
  const pending: Promise<Violation[]>[] = [];
  for (const rule of Object.values(LAYOUT_RULES)) {
    const result = rule(input);
    // Awaited below with the others; this only keeps an early failure from counting as unhandled.
    result.catch(() => {});
    pending.push(result);
    await yieldToEventLoop();
  }
  const results = await Promise.all(pending);
  return {
    violations: results.flat().sort(compareViolations),
    references: collectReferences(input).map(toReported),
  };
}

/**
 * Validates the production secrets layout of a directory: reads its text files (never
 * following symbolic links), runs every rule and returns all violations, sorted by file then
 * line, with the references found.
 */
export async function validateLayout(
  dir: string,
  expected: ExpectedLayout,
): Promise<ValidationResult> {
  return validateInput(await loadValidationInput(dir, expected));
}

/**
 * Validates files held in memory (a render that has not been written anywhere) with the same
 * rules as {@link validateLayout}; the CLI checks what it renders this way.
 */
export async function validateFiles(
  files: Iterable<{ path: string; content: string }>,
  expected: ExpectedLayout,
): Promise<ValidationResult> {
  return validateInput(
    inputFromFiles(
      Object.fromEntries([...files].map(f => [f.path, f.content])),
      expected,
    ),
  );
}

/** One violation as one line: `file:line [rule] message — fix`. */
export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line} [${v.rule}] ${v.message} — ${v.fix}`;
}
