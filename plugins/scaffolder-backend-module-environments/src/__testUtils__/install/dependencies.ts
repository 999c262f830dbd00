import { builtinModules } from 'node:module';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Which packages the module needs at run time, found three ways that do not depend on what the
 * repository's hoisted node_modules happens to hold: the requires of the built JavaScript, the
 * imports of the bundled type declarations (a TypeScript user needs those to resolve), and the
 * imports of every source file src/index.ts reaches.
 */

const BUILTINS = new Set(builtinModules);

/** The package a module specifier names, or undefined for relative paths and Node built-ins. */
export function packageName(specifier: string): string | undefined {
  if (
    specifier.startsWith('.') ||
    specifier.startsWith('/') ||
    specifier.startsWith('node:')
  )
    return undefined;
  const [first, second] = specifier.split('/');
  if (BUILTINS.has(first)) return undefined;
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/** Module specifiers of static and dynamic imports, re-exports and requires in JS or TS text. */
export function specifiersIn(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

async function walk(
  dir: string,
  keep: (file: string) => boolean,
): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(entry => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full, keep);
      return Promise.resolve(keep(full) ? [full] : []);
    }),
  );
  return nested.flat();
}

async function packagesOfFiles(
  files: string[],
): Promise<Map<string, string[]>> {
  const byPackage = new Map<string, string[]>();
  for (const file of files) {
    for (const specifier of specifiersIn(await readFile(file, 'utf8'))) {
      const name = packageName(specifier);
      if (name) byPackage.set(name, [...(byPackage.get(name) ?? []), file]);
    }
  }
  return byPackage;
}

/** Packages required by the built JavaScript under `distDir`. */
export async function packagesOfBuiltCode(
  distDir: string,
): Promise<Map<string, string[]>> {
  return packagesOfFiles(
    await walk(distDir, file => /\.(?:c|m)?js$/.test(file)),
  );
}

/** Packages imported by the bundled type declarations under `distDir`. */
export async function packagesOfDeclarations(
  distDir: string,
): Promise<Map<string, string[]>> {
  return packagesOfFiles(await walk(distDir, file => file.endsWith('.d.ts')));
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    s => s.isFile(),
    () => false,
  );
}

async function resolveSource(from: string, specifier: string): Promise<string> {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    path.join(base, 'index.ts'),
  ]) {
    if (await isFile(candidate)) return candidate;
  }
  throw new Error(
    `${from} imports ${specifier}, which resolves to no source file`,
  );
}

/** Packages imported by every source file reachable from `entry` through relative imports. */
export async function packagesOfSourceGraph(
  entry: string,
): Promise<{ packages: Map<string, string[]>; files: string[] }> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of specifiersIn(await readFile(file, 'utf8'))) {
      if (specifier.startsWith('.'))
        queue.push(await resolveSource(file, specifier));
    }
  }
  const files = [...seen].sort();
  return { packages: await packagesOfFiles(files), files };
}
