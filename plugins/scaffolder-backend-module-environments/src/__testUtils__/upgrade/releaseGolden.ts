/**
 * Golden files of an archived kit release, made by that release's own code.
 *
 *   git archive <release commit> plugins/scaffolder-backend-module-environments | tar -x -C /tmp/vX
 *   ln -s "$PWD/../../node_modules" /tmp/vX/node_modules
 *   ln -s "$PWD/node_modules" /tmp/vX/plugins/scaffolder-backend-module-environments/node_modules
 *   node --require @backstage/cli/config/nodeTransform.cjs src/__testUtils__/upgrade/releaseGolden.ts \
 *     /tmp/vX/plugins/scaffolder-backend-module-environments <version>
 *
 * Release trees: 0.1.0 5b3e4c0; 0.2.0 eb9d0e4 (kits and the code they need as released in d2df72d).
 *
 * It renders the release's own canonical values (its testing/values.ts or __testUtils__/values.ts)
 * exactly as its render action did: through its renderEnvironment (src/kits/render.ts) when the
 * release has one (0.2.0 on), else with its parameter model, context and kit renderer (0.1.0), and
 * writes the files under golden-<version>/<case>/. releases.test.ts renders the same repositories
 * with the archive in src/upgrade/releases from their answers files alone and compares byte for
 * byte.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/** The cases: each environment's canonical values, and development published locally. */
export const GOLDEN_CASES = [
  'development',
  'staging',
  'production',
  'development-local',
] as const;

export function goldenDir(version: string): string {
  return resolvePackagePath(
    '@unifi-cloudflare-glue/plugin-scaffolder-backend-module-environments',
    'tests',
    'upgrade',
    `golden-${version}`,
  );
}

/** The golden files of one case of a release, by rendered path (without `.golden`). */
export async function goldenFiles(
  version: string,
  name: string,
): Promise<Map<string, string>> {
  const root = path.join(goldenDir(version), name);
  const files = new Map<string, string>();
  async function walk(dir: string) {
    for (const entry of await readdir(path.join(root, dir), {
      withFileTypes: true,
    })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else
        files.set(
          rel.replace(/\.golden$/, ''),
          await readFile(path.join(root, rel), 'utf8'),
        );
    }
  }
  await walk('');
  return files;
}

/** The first of `candidates` (paths without extension under `root`) the release has. */
function releaseModule(root: string, candidates: string[]): string {
  const found = candidates.find(c => existsSync(path.join(root, `${c}.ts`)));
  if (!found)
    throw new Error(`The release has none of ${candidates.join(', ')}`);
  return path.join(root, found);
}

async function main(releaseRoot: string, version: string) {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { KitRenderer } = require(path.join(releaseRoot, 'src/kits/engine'));
  const { canonicalValues } = require(
    releaseModule(releaseRoot, [
      'src/__testUtils__/values',
      'src/testing/values',
    ]),
  );
  const renderModule = path.join(releaseRoot, 'src/kits/render.ts');
  const render: (
    input: unknown,
    environment: string,
    kits: unknown,
  ) => { path: string; content: string }[] = existsSync(renderModule)
    ? (input, environment, kits) =>
        require(renderModule).renderEnvironment(
          input,
          { kits, kitVersion: version },
          `template:default/${environment}-environment`,
        ).files
    : (input, environment, kits) => {
        const { buildContext } = require(
          path.join(releaseRoot, 'src/kits/context'),
        );
        const { parseParameters } = require(
          path.join(releaseRoot, 'src/parameters/model'),
        );
        const parsed = parseParameters(input);
        if (!parsed.success)
          throw new Error(`${environment}: ${JSON.stringify(parsed.problems)}`);
        return (
          kits as {
            render(e: string, c: object): { path: string; content: string }[];
          }
        ).render(
          environment,
          buildContext(parsed.parameters, {
            name: `template:default/${environment}-environment`,
            version,
          }),
        );
      };
  /* eslint-enable @typescript-eslint/no-var-requires */
  const kits = await KitRenderer.load(path.join(releaseRoot, 'kits'));
  const out = goldenDir(version);
  await rm(out, { recursive: true, force: true });
  for (const name of GOLDEN_CASES) {
    const environment = name.split('-')[0];
    const input =
      name === 'development-local'
        ? {
            ...canonicalValues.development,
            name: 'homelab-dns-dev-local',
            publishTarget: 'local',
            repoUrl: 'github.com?',
          }
        : canonicalValues[environment];
    for (const file of render(input, environment, kits)) {
      const target = path.join(out, name, `${file.path}.golden`);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, file.content);
    }
  }
  process.stdout.write(`Wrote ${GOLDEN_CASES.length} cases to ${out}\n`);
}

if (require.main === module) {
  const [root, version] = process.argv.slice(2);
  if (!root || !version) {
    process.stderr.write(
      'usage: releaseGolden.ts <release-package-dir> <version>\n',
    );
    process.exit(2);
  }
  main(path.resolve(root), version).catch(error => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
