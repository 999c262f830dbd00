import nunjucks from 'nunjucks';
import path from 'node:path';
import { RenderedFile } from '../../kits/engine';

/** A kit file: template, output path and mode (the manifest shape every release used). */
export interface ArchivedKitFile {
  template: string;
  path: string;
  mode: number;
}

/**
 * Compiles an archived release's kits with that release's filters and the Nunjucks options
 * every release has used (src/kits/engine.ts: no autoescape, undefined is an error, trimmed
 * blocks). Returns a function that renders an environment's manifest from a context.
 */
export function compileArchivedKits(
  root: string,
  filters: Record<string, (value: unknown) => string>,
  manifest: Record<string, ArchivedKitFile[]>,
): (environment: string, context: object) => RenderedFile[] {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(root, { noCache: false }),
    {
      autoescape: false,
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    },
  );
  for (const [name, filter] of Object.entries(filters))
    env.addFilter(name, filter as (...args: unknown[]) => unknown);
  const compiled = new Map<string, nunjucks.Template>();
  for (const file of Object.values(manifest).flat()) {
    if (!compiled.has(file.template)) {
      if (
        path.isAbsolute(file.template) ||
        file.template.split('/').includes('..')
      ) {
        throw new Error(
          `Archived kit template ${file.template} leaves ${root}`,
        );
      }
      compiled.set(file.template, env.getTemplate(file.template, true));
    }
  }
  return (environment, context) => {
    const files = manifest[environment];
    if (!files)
      throw new Error(`The archived kits have no ${environment} environment`);
    const byTemplate = new Map<string, string>();
    return files.map(file => {
      let content = byTemplate.get(file.template);
      if (content === undefined) {
        content = compiled.get(file.template)!.render(context);
        byTemplate.set(file.template, content);
      }
      return { path: file.path, content, mode: file.mode };
    });
  };
}
