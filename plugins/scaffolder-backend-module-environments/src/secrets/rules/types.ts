import { SecretsProvider } from '../references';

/** The identifiers of the secrets-layout rules, as printed in `[rule]`. */
export const RULE_IDS = [
  'referenceSyntax',
  'layout',
  'forbiddenProviders',
  'plaintextSecrets',
  'secretsDoc',
  'gitignore',
  'makefileSecrets',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** The 1Password item names of the layout. */
export interface LayoutItems {
  /** Item with the Cloudflare API token. */
  cloudflare: string;
  /** Item with the UniFi credentials. */
  unifi: string;
  /** Item with the state-backend settings and AWS keys. */
  state: string;
}

/** What the directory is expected to hold: the layout chosen when the kit was rendered. */
export interface ExpectedLayout {
  vault: string;
  provider: SecretsProvider;
  items: LayoutItems;
}

export const DEFAULT_ITEMS: LayoutItems = {
  cloudflare: 'cloudflare',
  unifi: 'unifi',
  state: 'terraform-state',
};

/** One text file of the directory under validation. */
export interface WorkspaceFile {
  /** Path relative to the validated directory, POSIX separators. */
  path: string;
  content: string;
}

/** A file that was not read, and why (symbolic link, binary, too large). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** Everything a rule looks at: the directory, its text files and the expected layout. */
export interface ValidationInput {
  /** Absolute path of the validated directory. */
  root: string;
  expected: ExpectedLayout;
  /** Text files by relative path, in sorted order. */
  files: ReadonlyMap<string, WorkspaceFile>;
  skipped: readonly SkippedFile[];
}

/**
 * One broken rule. `line` is 1-based; 0 means the file as a whole (for example a missing file
 * or a missing key).
 */
export interface Violation {
  file: string;
  line: number;
  rule: RuleId;
  message: string;
  fix: string;
}

/** A rule: looks at the input and reports every violation it finds, never only the first. */
export type Rule = (input: ValidationInput) => Promise<Violation[]>;

/** The production files the rules know by name. */
export const BACKEND_TEMPLATE = 'backend.yaml.tmpl';
export const SECRETS_TEMPLATE = 'secrets.vals.yaml';
export const SECRETS_DOC = 'SECRETS.md';
export const MAKEFILE = 'Makefile';
export const GITIGNORE = '.gitignore';
export const ENV_EXAMPLE = '.env.example';

/**
 * Shows a possibly secret value without revealing it: at most its first 4 characters (fewer
 * for short values), then an ellipsis.
 */
export function maskSecret(value: string): string {
  const shown = Math.min(4, Math.floor(value.length / 3));
  return `${value.slice(0, shown)}…`;
}

/** Lines of a text, without their line terminators. */
export function linesOf(content: string): string[] {
  return content.split(/\r?\n/);
}
