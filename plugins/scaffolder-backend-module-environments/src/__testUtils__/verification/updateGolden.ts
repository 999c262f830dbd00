/**
 * Rewrites the golden files from the canonical value sets through the real scaffolder
 * dry-run API. Run from plugins/scaffolder-backend-module-environments:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs src/__testUtils__/verification/updateGolden.ts
 *
 * Review the diff before committing: every change is a change to what users get.
 */
import { ENVIRONMENTS } from '../../parameters/model';
import { startScaffolderBackend } from '../backend';
import { GOLDEN_ROOT, renderCanonical, writeGolden } from './golden';

async function main() {
  const backend = await startScaffolderBackend();
  try {
    for (const environment of ENVIRONMENTS) {
      const files = await renderCanonical(backend, environment);
      await writeGolden(environment, files);
      process.stdout.write(
        `${environment}: wrote ${files.size} golden files under ${GOLDEN_ROOT}/${environment}\n`,
      );
    }
  } finally {
    await backend.stop();
  }
}

main().then(
  // The stopped backend leaves timers behind; the work is done, so leave explicitly.
  () => process.exit(0),
  error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
