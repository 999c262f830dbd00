import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../processes';

/** One recipe line of a Makefile target, exactly as make hands it to the shell. */
export interface Recipe {
  target: string;
  /** Position among the shell invocations of `make <target>` (prerequisites first). */
  index: number;
  /** The shell flags before `-c` (the Makefile's .SHELLFLAGS). */
  flags: string[];
  /** The fully expanded command text. */
  command: string;
  /** A bash script holding the command, for shellcheck. */
  file: string;
}

// Stands in for the recipe shell: records the flags and the command instead of running them.
const RECORDER = `#!/usr/bin/env bash
# Records each recipe line make would run, instead of running it.
set -euo pipefail
flags=()
while (($# > 0)) && [[ $1 != -c ]]; do flags+=("$1"); shift; done
shift
shopt -s nullglob
recorded=("$RECIPE_RECORD_DIR"/*.cmd)
printf -v name '%03d' "\${#recorded[@]}"
printf '%s\\n' "\${flags[@]}" > "$RECIPE_RECORD_DIR/$name.flags"
printf '%s' "$1" > "$RECIPE_RECORD_DIR/$name.cmd"
`;

/**
 * Extracts the recipes of `targets` by running GNU make with SHELL set to a recorder, so
 * each recipe line is captured after make's own expansion, with the .SHELLFLAGS it would
 * get, and written to `<workDir>/<target>-<n>.sh` with a bash shebang and a `set` line
 * carrying those flags.
 */
export async function extractRecipes(
  makefileDir: string,
  targets: string[],
  workDir: string,
): Promise<Recipe[]> {
  await mkdir(workDir, { recursive: true });
  const recorder = path.join(workDir, 'record-shell');
  await writeFile(recorder, RECORDER, { mode: 0o755 });
  const recipes: Recipe[] = [];
  for (const target of targets) {
    const recordDir = path.join(workDir, `recorded-${target}`);
    await rm(recordDir, { recursive: true, force: true });
    await mkdir(recordDir);
    const result = await run(
      'make',
      ['--no-print-directory', '-f', 'Makefile', `SHELL=${recorder}`, target],
      {
        cwd: makefileDir,
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          RECIPE_RECORD_DIR: recordDir,
          LANG: 'C.UTF-8',
        },
      },
    );
    if (result.code !== 0) {
      throw new Error(
        `make ${target} with the recording shell failed (${result.code}): ${result.stderr}`,
      );
    }
    const names = (await readdir(recordDir))
      .filter(n => n.endsWith('.cmd'))
      .sort();
    for (const [index, name] of names.entries()) {
      const command = await readFile(path.join(recordDir, name), 'utf8');
      const flags = (
        await readFile(
          path.join(recordDir, name.replace(/\.cmd$/, '.flags')),
          'utf8',
        )
      )
        .split('\n')
        .filter(Boolean);
      const file = path.join(workDir, `${target}-${index}.sh`);
      const setLine = flags.length > 0 ? `set ${flags.join(' ')}\n` : '';
      await writeFile(
        file,
        `#!/usr/bin/env bash\n# make ${target}: shell invocation ${index}, run as bash ${[...flags, '-c'].join(' ')} '<command>'\n${setLine}${command}\n`,
      );
      recipes.push({ target, index, flags, command, file });
    }
  }
  return recipes;
}

/** Targets a Makefile declares in .PHONY, in order. */
export function phonyTargets(makefile: string): string[] {
  const line = makefile.split('\n').find(l => l.startsWith('.PHONY:'));
  return line ? line.slice('.PHONY:'.length).trim().split(/\s+/) : [];
}
