import { linesOf, MAKEFILE, Rule, ValidationInput, Violation } from './types';

/**
 * One shell invocation of a Makefile: a logical recipe line (physical lines joined by a
 * trailing backslash), or the whole recipe under `.ONESHELL:`. A logical line of a `define`
 * body counts too, because `$(call NAME)` in a recipe expands it into recipe lines.
 */
export interface ShellUnit {
  /** The rule's target, or the `define` name. */
  owner: string;
  kind: 'recipe' | 'define';
  /** Physical lines with their 1-based numbers. */
  lines: { line: number; text: string }[];
}

/** Splits a Makefile into the shell invocations make will start. */
export function shellUnits(content: string): ShellUnit[] {
  const lines = linesOf(content);
  const oneShell = lines.some(l => /^\.ONESHELL\s*:/.test(l));
  const units: ShellUnit[] = [];
  let target: string | undefined;
  let define: string | undefined;
  let current: ShellUnit | undefined;
  let continued = false;

  const start = (owner: string, kind: ShellUnit['kind']) => {
    current = { owner, kind, lines: [] };
    units.push(current);
  };

  lines.forEach((text, i) => {
    const line = i + 1;
    if (define !== undefined) {
      if (/^\s*endef\b/.test(text)) {
        define = undefined;
        current = undefined;
        continued = false;
        return;
      }
      if (!continued) start(define, 'define');
      current!.lines.push({ line, text });
      continued = /\\$/.test(text);
      return;
    }
    const def = /^\s*define\s+([^\s=:+?!]+)/.exec(text);
    if (def) {
      define = def[1];
      target = undefined;
      continued = false;
      return;
    }
    if (text.startsWith('\t') && target !== undefined) {
      if (
        !continued &&
        !(oneShell && current?.kind === 'recipe' && current.owner === target)
      )
        start(target, 'recipe');
      current!.lines.push({ line, text: text.slice(1) });
      continued = /\\$/.test(text);
      return;
    }
    if (continued && current) {
      current.lines.push({ line, text });
      continued = /\\$/.test(text);
      return;
    }
    if (/^\s*(#|$)/.test(text)) return;
    const rule = /^([^\s:=#][^:=]*?)\s*::?(?!=)(.*)$/.exec(text);
    if (rule && !/^\s*(export|override|unexport)\b/.test(text)) {
      target = rule[1].trim().split(/\s+/)[0];
      current = undefined;
      const inline = /;(.*)$/.exec(rule[2]);
      if (inline) {
        start(target, 'recipe');
        current!.lines.push({ line, text: inline[1] });
        continued = /\\$/.test(text);
      }
      return;
    }
    target = undefined; // a variable assignment or directive ends the recipe
    current = undefined;
  });
  return units;
}

interface Located {
  line: number;
  index: number;
}

/** Joins a unit's lines and maps an offset of the joined text back to its physical line. */
function joined(unit: ShellUnit): {
  text: string;
  lineAt: (index: number) => number;
} {
  const starts: number[] = [];
  let text = '';
  for (const l of unit.lines) {
    starts.push(text.length);
    text += `${l.text}\n`;
  }
  return {
    text,
    lineAt: index => {
      let k = 0;
      while (k + 1 < starts.length && starts[k + 1] <= index) k++;
      return unit.lines[k].line;
    },
  };
}

function findAll(
  re: RegExp,
  text: string,
  lineAt: (i: number) => number,
): Located[] {
  const out: Located[] = [];
  const global = new RegExp(
    re.source,
    re.flags.includes('g') ? re.flags : `${re.flags}g`,
  );
  for (let m = global.exec(text); m; m = global.exec(text))
    out.push({ index: m.index, line: lineAt(m.index) });
  return out;
}

/** Writing backend.yaml: `> backend.yaml`, `>> backend.yaml`, `tee backend.yaml`, `-o backend.yaml`. */
const WRITE =
  /(?:>>?|\btee\s+(?:-a\s+)?|(?:\s-o|--output)(?:\s+|=))\s*["']?(?:\.\/)?backend\.yaml(?![\w.])/;
/** Owner-only creation before the write. */
const OWNER_ONLY =
  /\bumask\s+(?:0{0,2}77|u=rwx?,g=,o=)\b|\binstall\s+(?:-\S+\s+)*-m\s*0?600\b[^\n]*?backend\.yaml(?![\w.])|\bchmod\s+(?:0?600|u=rw,go=|go-rwx)\s+["']?(?:\.\/)?backend\.yaml(?![\w.])/;
/** A trap that removes backend.yaml when the shell exits. */
const EXIT_TRAP =
  /\btrap\s+(["'])(?:(?!\1).)*\brm\b(?:(?!\1).)*backend\.yaml(?![\w.])(?:(?!\1).)*\1\s+(?:[A-Z0-9 ]*\s)?(?:EXIT|0)\b/;
const REMOVE = /\brm\s+(?:-\S+\s+)*["']?(?:\.\/)?backend\.yaml(?![\w.])/;
const IGNORE_FAILURE = /\|\|\s*(?:true|:)(?![\w-])/;

/**
 * Rule `makefileSecrets`: the Makefile writes backend.yaml only owner-readable (umask 077, or
 * `install -m 600` / `chmod 600` before writing) and in a shell that removes it on exit, so it
 * goes away on failure and interrupt as well as success (a `trap '... rm -f backend.yaml' EXIT`
 * in the same recipe line); a separate `rm -f backend.yaml` runs only after success; and no
 * plan hides its failure with `|| true`.
 */
export const makefileSecrets: Rule = async (input: ValidationInput) => {
  const violations: Violation[] = [];
  const seen = new Set<string>();
  const push = (line: number, message: string, fix: string) => {
    if (seen.has(`${line}\u0000${message}`)) return; // one report per line and problem
    seen.add(`${line}\u0000${message}`);
    violations.push({
      file: MAKEFILE,
      line,
      rule: 'makefileSecrets',
      message,
      fix,
    });
  };
  const makefile = input.files.get(MAKEFILE);
  if (!makefile) {
    push(
      0,
      'the Makefile is missing, so nothing renders and removes backend.yaml safely',
      'render the production kit again or restore the Makefile from git',
    );
    return violations;
  }
  const units = shellUnits(makefile.content);
  let writes = 0;

  units.forEach((unit, u) => {
    const { text, lineAt } = joined(unit);
    for (const write of findAll(WRITE, text, lineAt)) {
      writes++;
      const before = text.slice(0, write.index);
      if (!OWNER_ONLY.test(before)) {
        push(
          write.line,
          'backend.yaml is written with the default umask, so the rendered secrets are readable by other users (usually mode 644)',
          'write it in the same shell after "umask 077", e.g. "( umask 077 && vals eval -f backend.yaml.tmpl > backend.yaml )", or create it first with "install -m 600 /dev/null backend.yaml"',
        );
      }
      if (EXIT_TRAP.test(before)) continue;
      push(
        write.line,
        'backend.yaml is written without a trap that removes it when the shell exits, so a failed or interrupted run leaves the rendered secrets on disk',
        'set "trap \'rm -f backend.yaml\' EXIT" earlier in the same recipe line (join the lines with "; \\"), before writing it',
      );
      // Removals after the write, in this shell or a later one of the same recipe, are skipped when
      // a command fails (make stops; -e or && stop the shell) or the run is interrupted.
      const after: {
        text: string;
        offset: number;
        lineAt: (i: number) => number;
      }[] = [{ text: text.slice(write.index), offset: write.index, lineAt }];
      const followers = (
        from: number,
        owner: string,
        kind: ShellUnit['kind'],
      ) => {
        for (const later of units.slice(from + 1)) {
          if (later.owner !== owner || later.kind !== kind) break;
          const j = joined(later);
          after.push({ text: j.text, offset: 0, lineAt: j.lineAt });
        }
      };
      followers(u, unit.owner, unit.kind);
      if (unit.kind === 'define') {
        // A define runs where it is called: look after each $(call NAME) in the recipes.
        units.forEach((caller, c) => {
          if (caller.kind !== 'recipe') return;
          const j = joined(caller);
          const call = new RegExp(
            `\\$\\((?:call\\s+)?${unit.owner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[,)]`,
          ).exec(j.text);
          if (!call) return;
          after.push({
            text: j.text.slice(call.index),
            offset: call.index,
            lineAt: j.lineAt,
          });
          followers(c, caller.owner, caller.kind);
        });
      }
      for (const part of after) {
        for (const removal of findAll(REMOVE, part.text, i =>
          part.lineAt(i + part.offset),
        )) {
          push(
            removal.line,
            'this rm -f backend.yaml runs only if the recipe gets that far: a failed command or an interrupt before it leaves the rendered secrets on disk',
            'replace it with "trap \'rm -f backend.yaml\' EXIT" set before backend.yaml is written, in the same recipe line',
          );
        }
      }
    }
  });

  if (
    writes === 0 &&
    /backend\.yaml(?![\w.])/.test(makefile.content.replace(/^\s*#.*$/gm, ''))
  ) {
    push(
      0,
      'the Makefile uses backend.yaml but never renders it in a form this check recognises (vals eval ... > backend.yaml)',
      'render it as "trap \'rm -f backend.yaml\' EXIT; ( umask 077 && vals eval -f backend.yaml.tmpl > backend.yaml )" in the recipe line that runs dagger',
    );
  }

  // Plans must fail loudly: `|| true` (or a leading "-") would hide a failed plan.
  const planDefines = new Set<string>();
  for (const unit of units.filter(
    x => x.owner === 'plan' && x.kind === 'recipe',
  )) {
    for (const m of joined(unit).text.matchAll(/\$\(call\s+([^,)\s]+)/g))
      planDefines.add(m[1]);
  }
  for (const unit of units) {
    const { text, lineAt } = joined(unit);
    const isPlan =
      (unit.kind === 'recipe' && unit.owner === 'plan') ||
      (unit.kind === 'define' && planDefines.has(unit.owner)) ||
      /\bplan\b/.test(text.replace(/^\s*#.*$/gm, ''));
    if (!isPlan) continue;
    for (const hit of findAll(IGNORE_FAILURE, text, lineAt)) {
      push(
        hit.line,
        '"|| true" makes a failed plan look like success',
        'remove "|| true" so make stops when the plan fails',
      );
    }
    if (
      unit.kind === 'recipe' &&
      unit.owner === 'plan' &&
      /^[@+]*-/.test(unit.lines[0].text)
    ) {
      push(
        unit.lines[0].line,
        'the "-" prefix makes make ignore a failed plan',
        'remove the leading "-" from the recipe line',
      );
    }
  }
  return violations;
};
