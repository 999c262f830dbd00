import { buildContext } from '../kits/context';
import { parseParameters, ParameterInput } from '../parameters/model';
import { loadTestKits } from './kits';
import { canonicalValues } from './values';
import { ExpectedLayout } from '../secrets/rules/types';
import { inputFromFiles } from '../secrets/validationInput';

/** The layout of `canonicalValues.production`. */
export const CANONICAL_LAYOUT: ExpectedLayout = {
  vault: 'Infrastructure',
  provider: 'op',
  items: { cloudflare: 'cloudflare', unifi: 'unifi', state: 'terraform-state' },
};

/** Renders the production kit in memory (tests only): relative path to content. */
export async function renderProductionFiles(
  overrides: Partial<ParameterInput> = {},
): Promise<Record<string, string>> {
  const kits = await loadTestKits();
  const parsed = parseParameters({
    ...canonicalValues.production,
    ...overrides,
  });
  if (!parsed.success) throw new Error(JSON.stringify(parsed.problems));
  const files = kits.render(
    'production',
    buildContext(parsed.parameters, {
      name: 'template:default/production-environment',
      version: '0.0.0',
    }),
  );
  return Object.fromEntries(files.map(f => [f.path, f.content]));
}

/** The rendered production kit with some files replaced (`undefined` removes a file). */
export async function tamperedInput(
  change: (files: Record<string, string>) => Record<string, string | undefined>,
  expected: ExpectedLayout = CANONICAL_LAYOUT,
) {
  const files = await renderProductionFiles();
  const changed = { ...files, ...change(files) };
  const kept = Object.fromEntries(
    Object.entries(changed).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  return inputFromFiles(kept, expected);
}

/** Replaces exactly one occurrence of `from` (fails loudly if the kit changed under the test). */
export function replaceOnce(
  content: string,
  from: string | RegExp,
  to: string,
): string {
  const count =
    typeof from === 'string'
      ? content.split(from).length - 1
      : (
          content.match(
            new RegExp(from.source, `${from.flags.replace('g', '')}g`),
          ) ?? []
        ).length;
  if (count !== 1)
    throw new Error(
      `expected exactly one ${String(from)} in the kit file, found ${count}`,
    );
  return content.replace(from, () => to);
}
