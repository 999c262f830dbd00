import { existsSync } from 'node:fs';
import {
  cp,
  mkdir,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { run, runOrFail, tail, userEnv } from '../processes';
import { PACKAGE_DIR } from '../paths';

/** This package's directory and the repository root. */
export const MODULE_DIR = PACKAGE_DIR;
export const REPO_ROOT = path.resolve(MODULE_DIR, '../..');

export interface PackedModule {
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** Its size in bytes. */
  size: number;
  /** The files in the tarball, relative to the package root, sorted. */
  files: string[];
  /** The tarball extracted: the package as a registry would serve it. */
  extractedDir: string;
  /** The package.json inside the tarball. */
  packageJson: any;
  /** tsc's output when the code src/index.ts reaches does not type-check. */
  typeErrors?: string;
  /** How long each phase took, in milliseconds. */
  timings: Record<string, number>;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async entry => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory()
        ? listFiles(path.join(dir, entry.name), relative)
        : [relative];
    }),
  );
  return nested.flat().sort();
}

const bin = (name: string) =>
  path.join(REPO_ROOT, 'node_modules', '.bin', name);

/**
 * Builds and packs the module the way it is published: type declarations with tsc, then
 * `backstage-cli package build`, then `npm pack`, whose `prepack` (`backstage-cli package prepack`)
 * switches `main` and `types` to dist/ through `publishConfig`.
 *
 * `npm pack` runs on a copy of the package (package.json plus what its `files` list names) inside
 * the repository's node_modules/.cache, not in the package itself: prepack rewrites package.json in
 * place, and the other test files of the same jest run read it while this one packs. The copy stays
 * under the repository root because `backstage-cli package prepack` looks for the workspace root's
 * tsconfig.json from where it runs.
 */
export async function buildAndPack(workDir: string): Promise<PackedModule> {
  const timings: Record<string, number> = {};

  // Declarations for the build to bundle into dist/index.d.ts: only the files index.ts reaches,
  // with the repository's compiler options, into the repository's dist-types/ like `npm run tsc`.
  const tsconfig = path.join(workDir, 'tsconfig.pack.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: path.join(REPO_ROOT, 'tsconfig.json'),
      files: [path.join(MODULE_DIR, 'src', 'index.ts')],
      include: [],
      compilerOptions: {
        rootDir: REPO_ROOT,
        outDir: path.join(REPO_ROOT, 'dist-types'),
        incremental: false,
        // Type packages are looked up from the config file's directory, which is not the repository.
        typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
      },
    }),
  );
  // tsc writes the declarations even when it finds type errors; those are reported separately
  // (`typeErrors`) so that a type error does not hide whether the package installs and runs.
  const declarations = path.join(
    REPO_ROOT,
    'dist-types',
    path.relative(REPO_ROOT, MODULE_DIR),
    'src',
    'index.d.ts',
  );
  await rm(declarations, { force: true });
  const tsc = await run(bin('tsc'), ['-p', tsconfig, '--pretty', 'false'], {
    cwd: REPO_ROOT,
  });
  timings.tsc = tsc.ms;
  if (!existsSync(declarations)) {
    throw new Error(
      `tsc (exit ${tsc.code}) wrote no ${path.relative(REPO_ROOT, declarations)}:\n${tail(tsc.output)}`,
    );
  }
  const typeErrors = tsc.code === 0 ? undefined : tsc.output;
  timings.build = (
    await runOrFail(
      'backstage-cli package build',
      bin('backstage-cli'),
      ['package', 'build'],
      { cwd: MODULE_DIR },
    )
  ).ms;

  const started = Date.now();
  const pkg = JSON.parse(
    await readFile(path.join(MODULE_DIR, 'package.json'), 'utf8'),
  );
  const stage = path.join(
    REPO_ROOT,
    'node_modules',
    '.cache',
    'install-test',
    `stage-${process.pid}`,
  );
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  try {
    // npm packs package.json, README, LICENSE and what `files` names; CHANGELOG must be listed.
    const topLevel = await readdir(MODULE_DIR);
    const always = topLevel.filter(name =>
      /^(package\.json|readme|license|licence)/i.test(name),
    );
    for (const name of new Set([...always, ...(pkg.files as string[])])) {
      await cp(path.join(MODULE_DIR, name), path.join(stage, name), {
        recursive: true,
      });
    }
    const packDir = path.join(workDir, 'pack');
    await mkdir(packDir, { recursive: true });
    await runOrFail(
      'npm pack',
      'npm',
      ['pack', '--pack-destination', packDir],
      { cwd: stage, env: userEnv() },
    );
    const [tarballName, ...more] = (await readdir(packDir)).filter(name =>
      name.endsWith('.tgz'),
    );
    if (!tarballName || more.length > 0) {
      throw new Error(
        `npm pack should write exactly one tarball into ${packDir}; found ${[tarballName, ...more]}`,
      );
    }
    const tarball = path.join(packDir, tarballName);
    timings.pack = Date.now() - started;

    const extractedDir = path.join(workDir, 'extracted');
    await mkdir(extractedDir, { recursive: true });
    await runOrFail(
      'Extracting the tarball',
      'tar',
      ['-xzf', tarball, '-C', extractedDir],
      { cwd: workDir },
    );
    const packageRoot = path.join(extractedDir, 'package');
    return {
      tarball,
      size: (await stat(tarball)).size,
      files: await listFiles(packageRoot),
      extractedDir: packageRoot,
      packageJson: JSON.parse(
        await readFile(path.join(packageRoot, 'package.json'), 'utf8'),
      ),
      typeErrors,
      timings,
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
