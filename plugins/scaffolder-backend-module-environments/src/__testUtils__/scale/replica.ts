/*
 * One backend replica for the scale tests (tests/scale/replicas.test.ts), run as its own process:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs src/__testUtils__/scale/replica.ts \
 *     --config ../../app-config.production.yaml --config <test overrides>.yaml
 *
 * A production-shaped backend (createBackend from @backstage/backend-defaults, its real
 * database, auth, discovery and HTTP services): the catalog with the scaffolder entity model,
 * the scaffolder with Backstage's database workspace provider (which app-config.production.yaml
 * selects for task recovery), this module, and the test-only record and gate actions, which
 * report SCALE_REPLICA_ID.
 */
import { createBackend } from '@backstage/backend-defaults';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModuleWorkspaceDatabase from '@backstage/plugin-scaffolder-backend-module-workspace-database';
import { scaffolderModuleEnvironments } from '../../module';
import { createRecordModule } from './recordAction';

const replicaId = process.env.SCALE_REPLICA_ID;
if (!replicaId) throw new Error('SCALE_REPLICA_ID is not set');

const backend = createBackend();
backend.add(catalogPlugin);
backend.add(catalogModuleScaffolderEntityModel);
backend.add(scaffolderPlugin);
backend.add(scaffolderModuleWorkspaceDatabase);
backend.add(scaffolderModuleEnvironments);
backend.add(createRecordModule(replicaId));
backend.start().catch(error => {
  process.stderr.write(
    `replica ${replicaId} failed to start: ${error?.stack ?? error}\n`,
  );
  process.exit(1);
});
