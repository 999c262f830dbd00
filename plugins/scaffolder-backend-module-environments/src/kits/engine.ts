import nunjucks from 'nunjucks';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { escapingFilters } from '../escaping/filters';
import { Environment, ENVIRONMENTS } from '../parameters/model';
import { KitFile, kitManifest } from './manifest';

/**
 * A file rendered from a kit, ready to write.
 * @public
 */
export interface RenderedFile {
  /** Path relative to the target directory, with `/` separators. */
  path: string;
  /** The rendered text. */
  content: string;
  /** Permission bits, for example `0o755` for a script. */
  mode: number;
}

/** A problem found when a kit is loaded: an interpolation without an escaping filter. */
export interface KitLintProblem {
  template: string;
  line: number;
  column: number;
  message: string;
}

// nunjucks exports its parser and node classes, but @types/nunjucks does not describe them.
interface NunjucksNode {
  lineno: number;
  colno: number;
  typename: string;
  children?: NunjucksNode[];
  name?: { value?: string };
  findAll(type: unknown, results?: NunjucksNode[]): NunjucksNode[];
}
const internals = nunjucks as unknown as {
  parser: {
    parse(src: string, extensions?: unknown[], opts?: object): NunjucksNode;
  };
  nodes: Record<string, unknown>;
};

const PARSE_OPTIONS = { trimBlocks: true, lstripBlocks: true };
const FILTER_NAMES = new Set(Object.keys(escapingFilters));

/**
 * Checks that every `{{ ... }}` in a template ends in one of our escaping filters.
 * Literal template text is the only thing that may reach the output unfiltered.
 */
export function lintTemplate(name: string, source: string): KitLintProblem[] {
  const root = internals.parser.parse(source, [], PARSE_OPTIONS);
  const problems: KitLintProblem[] = [];
  for (const output of root.findAll(internals.nodes.Output)) {
    for (const child of output.children ?? []) {
      if (child.typename === 'TemplateData') continue;
      const filter =
        child.typename === 'Filter' ? child.name?.value : undefined;
      if (!filter || !FILTER_NAMES.has(filter)) {
        problems.push({
          template: name,
          line: child.lineno + 1,
          column: child.colno + 1,
          message: filter
            ? `interpolation ends in filter "${filter}", which is not an escaping filter (${[...FILTER_NAMES].join(', ')})`
            : `interpolation has no escaping filter; end it in one of ${[...FILTER_NAMES].join(', ')}`,
        });
      }
    }
  }
  return problems;
}

async function listTemplates(root: string, dir = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async entry => {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return listTemplates(root, rel);
      return entry.isFile() && entry.name.endsWith('.njk') ? [rel] : [];
    }),
  );
  return nested.flat().sort();
}

/**
 * The kits, loaded from a fixed root, linted, and compiled once. Rendering never reads the
 * disk and never compiles a string built from user input: values are data only.
 * @public
 */
export class KitRenderer {
  private constructor(
    private readonly compiled: Map<string, nunjucks.Template>,
  ) {}

  /** Loads, lints and compiles every template under `root`; throws if any kit is unsafe. */
  static async load(root: string): Promise<KitRenderer> {
    const names = await listTemplates(root);
    const problems: KitLintProblem[] = [];
    for (const name of names) {
      problems.push(
        ...lintTemplate(name, await readFile(path.join(root, name), 'utf8')),
      );
    }
    if (problems.length > 0) {
      const lines = problems.map(
        p => `${p.template}:${p.line}:${p.column} ${p.message}`,
      );
      throw new Error(
        `Kit templates interpolate unescaped values:\n${lines.join('\n')}`,
      );
    }

    const env = new nunjucks.Environment(
      new nunjucks.FileSystemLoader(root, { noCache: false }),
      {
        autoescape: false,
        throwOnUndefined: true,
        ...PARSE_OPTIONS,
      },
    );
    for (const [filterName, filter] of Object.entries(escapingFilters)) {
      env.addFilter(filterName, filter as (...args: unknown[]) => unknown);
    }

    const compiled = new Map<string, nunjucks.Template>();
    const needed = new Set(
      ENVIRONMENTS.flatMap(e => kitManifest[e].map(f => f.template)),
    );
    for (const name of needed) {
      if (!names.includes(name))
        throw new Error(`Kit template ${name} is missing under ${root}`);
    }
    for (const name of names) {
      compiled.set(name, env.getTemplate(name, true));
    }
    return new KitRenderer(compiled);
  }

  /** Renders every file of an environment's kit with the given context. */
  render(environment: Environment, context: object): RenderedFile[] {
    const byTemplate = new Map<string, string>();
    return kitManifest[environment].map((file: KitFile) => {
      let content = byTemplate.get(file.template);
      if (content === undefined) {
        content = this.compiled.get(file.template)!.render(context);
        byTemplate.set(file.template, content);
      }
      return { path: file.path, content, mode: file.mode };
    });
  }

  /** The template names this renderer compiled. */
  get templates(): string[] {
    return [...this.compiled.keys()];
  }
}
