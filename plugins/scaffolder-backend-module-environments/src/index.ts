/**
 * Scaffolder actions that render unifi-cloudflare-glue environment repositories.
 *
 * This file is the package's whole public surface. README.md lists it (section "Public API"),
 * and src/__tests__/install/install.test.ts fails when the packed package exports anything else.
 *
 * @packageDocumentation
 */
export { scaffolderModuleEnvironments as default, catalogModuleLocalRepositories, loadPackagedKits } from './module';
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
  type Environment,
  type ParameterProblem,
  type ParseResult,
} from './parameters/model';
