/**
 * Golden files of an archived kit release, made by that release's own code.
 *
 *   git archive 5b3e4c0 plugins/scaffolder-backend-module-environments | tar -x -C /tmp/v010
 *   ln -s "$PWD/../../node_modules" /tmp/v010/node_modules
 *   node --require @backstage/cli/config/nodeTransform.cjs src/__tests__/upgrade/releaseGolden.ts \
 *     /tmp/v010/plugins/scaffolder-backend-module-environments 0.1.0
 *
 * It renders the release's own canonical values (its testing/values.ts) with the release's own
 * parameter model, context and kit renderer, exactly as its render action did, and writes the
 * files under golden-<version>/<case>/. releases.test.ts renders the same repositories with the
 * archive in src/upgrade/releases from their answers files alone and compares byte for byte.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
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
    'src',
    '__tests__',
    'upgrade',
    `golden-${version}`,
  );
}

async function main(releaseRoot: string, version: string) {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { KitRenderer } = require(path.join(releaseRoot, 'src/kits/engine'));
  const { buildContext } = require(path.join(releaseRoot, 'src/kits/context'));
  const { parseParameters } = require(
    path.join(releaseRoot, 'src/parameters/model'),
  );
  const { canonicalValues } = require(
    path.join(releaseRoot, 'src/testing/values'),
  );
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
    const parsed = parseParameters(input);
    if (!parsed.success)
      throw new Error(`${name}: ${JSON.stringify(parsed.problems)}`);
    const context = buildContext(parsed.parameters, {
      name: `template:default/${environment}-environment`,
      version,
    });
    for (const file of kits.render(environment, context)) {
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
