/**
 * Scaffolder actions that render unifi-cloudflare-glue environment repositories.
 *
 * This file is the package's whole public surface. report.api.md records it (Backstage's API
 * report: `npm run api-reports` at the repository root rewrites it, CI's `--ci` run fails on a
 * difference), and tests/install/install.test.ts checks the packed package's runtime
 * exports against it.
 *
 * @packageDocumentation
 */
export {
  scaffolderModuleEnvironments as default,
  catalogModuleLocalRepositories,
  loadPackagedKits,
} from './module';
export {
  createRenderEnvironmentAction,
  RENDER_ENVIRONMENT_ACTION_ID,
  type RenderEnvironmentActionOptions,
} from './actions/renderEnvironment/renderEnvironment';
export { KitRenderer, type RenderedFile } from './kits/engine';
export {
  parameterSchema,
  parseParameters,
  type EnvironmentParameters,
  type EnvironmentDevice,
  type EnvironmentService,
  type Environment,
  type ParameterProblem,
  type ParseResult,
} from './parameters/model';
