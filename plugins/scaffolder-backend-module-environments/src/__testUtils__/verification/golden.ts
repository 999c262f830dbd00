import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ENVIRONMENTS, Environment } from '../../parameters/model';
import { canonicalValues } from '../values';
import { Backend, dryRunFiles } from './renders';

/**
 * Golden files: the dry-run output of the canonical value set of each environment
 * (src/__testUtils__/values.ts), byte for byte. Each file is stored as `<env>/<path>.golden` so
 * that a golden `.gitignore`, `catalog-info.yaml` or `Makefile` is never taken for a real one
 * by git, catalog discovery or make.
 */
export const GOLDEN_ROOT = path.resolve(__dirname, 'golden');
export const GOLDEN_SUFFIX = '.golden';

/** The command that rewrites the golden files, run from the module's directory. */
export const UPDATE_GOLDEN_COMMAND =
  'cd plugins/scaffolder-backend-module-environments && node --require @backstage/cli/config/nodeTransform.cjs src/__testUtils__/verification/updateGolden.ts';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory())
      files.push(...(await listFiles(path.join(dir, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}

/** The golden files of an environment, by rendered path. */
export async function readGolden(
  environment: Environment,
): Promise<Map<string, Buffer>> {
  const dir = path.join(GOLDEN_ROOT, environment);
  const golden = new Map<string, Buffer>();
  for (const file of await listFiles(dir)) {
    if (!file.endsWith(GOLDEN_SUFFIX)) continue;
    golden.set(
      file.slice(0, -GOLDEN_SUFFIX.length),
      await readFile(path.join(dir, file)),
    );
  }
  return golden;
}

/** Replaces the golden files of an environment. */
export async function writeGolden(
  environment: Environment,
  files: Map<string, Buffer>,
): Promise<void> {
  const dir = path.join(GOLDEN_ROOT, environment);
  await rm(dir, { recursive: true, force: true });
  for (const [file, content] of [...files].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const target = path.join(dir, `${file}${GOLDEN_SUFFIX}`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** The canonical render of an environment through the dry-run API. */
export function renderCanonical(
  backend: Backend,
  environment: Environment,
): Promise<Map<string, Buffer>> {
  return dryRunFiles(backend, environment, canonicalValues[environment]);
}

export { ENVIRONMENTS };
