/**
 * Command-line check of a production secrets layout, the same rules as the scaffolder action
 * unifiCloudflare:secretsLayout:validate, for any directory (a generated repository, CI):
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs src/cli/validateSecrets.ts <dir> \
 *     [--vault NAME] [--provider op|onepasswordconnect] \
 *     [--cloudflare-item NAME] [--unifi-item NAME] [--state-item NAME]
 *
 * Defaults come from the directory's .environment-answers.yaml when present. Prints each
 * violation as `file:line [rule] message — fix`. Exit status: 0 valid, 1 violations, 2 usage.
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { SECRETS_PROVIDERS } from '../parameters/model';
import { matchesRule, rules } from '../parameters/fieldRules';
import { SecretsProvider } from '../secrets/references';
import { LayoutItems } from '../secrets/rules/types';
import {
  expectedLayout,
  formatViolation,
  validateLayout,
} from '../secrets/validateLayout';

const USAGE = `Usage: validateSecrets <dir> [--vault NAME] [--provider op|onepasswordconnect]
                       [--cloudflare-item NAME] [--unifi-item NAME] [--state-item NAME]

Checks the production secrets layout of <dir>. Options default to the values in
<dir>/.environment-answers.yaml. Exit status: 0 valid, 1 violations, 2 usage error.`;

/** Where the command writes; replaced in tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = {
  out: text => process.stdout.write(`${text}\n`),
  err: text => process.stderr.write(`${text}\n`),
};

class UsageError extends Error {}

interface Answers {
  vault?: string;
  provider?: string;
  items: Partial<LayoutItems>;
}

/** Reads the layout values of .environment-answers.yaml (the render action's answers file), if any. */
async function readAnswers(dir: string): Promise<Answers> {
  const file = path.join(dir, '.environment-answers.yaml');
  // Like the rules, never follow a symbolic link out of the directory.
  if (!(await lstat(file).catch(() => undefined))?.isFile())
    return { items: {} };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { items: {} };
  }
  let values: Record<string, unknown>;
  try {
    values =
      (parse(text) as { values?: Record<string, unknown> })?.values ?? {};
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    vault: str(values.vault),
    provider: str(values.secretsProvider),
    items: {
      cloudflare: str(values.cloudflareItem),
      unifi: str(values.unifiItem),
      state: str(values.stateItem),
    },
  };
}

/** Runs the command; returns the exit status. */
export async function main(
  argv: string[],
  io: Io = processIo,
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        vault: { type: 'string' },
        provider: { type: 'string' },
        'cloudflare-item': { type: 'string' },
        'unifi-item': { type: 'string' },
        'state-item': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0
          ? 'give the directory to check'
          : 'give exactly one directory',
      );
    const dir = path.resolve(positionals[0]);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory())
      throw new UsageError(`${positionals[0]} is not a directory`);

    const answers = await readAnswers(dir);
    const vault = values.vault ?? answers.vault;
    if (vault === undefined)
      throw new UsageError(
        'give --vault (no .environment-answers.yaml with values.vault in the directory)',
      );
    if (!matchesRule('vault', vault))
      throw new UsageError(
        `--vault must be ${rules.vault.rule}, for example "${rules.vault.example}"`,
      );
    const provider = values.provider ?? answers.provider ?? 'op';
    if (!(SECRETS_PROVIDERS as readonly string[]).includes(provider)) {
      throw new UsageError(
        `--provider must be one of ${SECRETS_PROVIDERS.join(', ')}; got "${provider}"`,
      );
    }
    const items: Partial<LayoutItems> = {
      cloudflare: values['cloudflare-item'] ?? answers.items.cloudflare,
      unifi: values['unifi-item'] ?? answers.items.unifi,
      state: values['state-item'] ?? answers.items.state,
    };
    for (const [name, item] of Object.entries(items)) {
      if (item !== undefined && !matchesRule('itemName', item)) {
        throw new UsageError(
          `--${name}-item must be ${rules.itemName.rule}, for example "${rules.itemName.example}"`,
        );
      }
    }

    const expected = expectedLayout({
      vault,
      provider: provider as SecretsProvider,
      items,
    });
    const result = await validateLayout(dir, expected);
    for (const violation of result.violations)
      io.out(formatViolation(violation));
    if (result.violations.length > 0) {
      io.err(
        `${result.violations.length} violation(s) of the production secrets layout in ${positionals[0]}`,
      );
      return 1;
    }
    io.err(
      `${positionals[0]}: no violations (${result.references.length} references, vault ${vault}, provider ${provider})`,
    );
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`validateSecrets: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    code => {
      process.exitCode = code;
    },
    error => {
      process.stderr.write(
        `validateSecrets: ${(error as Error).stack ?? error}\n`,
      );
      process.exitCode = 3;
    },
  );
}
