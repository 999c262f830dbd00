/**
 * Scaffolder actions that render unifi-cloudflare-glue environment repositories.
 *
 * @packageDocumentation
 */
export { scaffolderModuleEnvironments as default } from './module';
export {
  createRenderEnvironmentAction,
  RENDER_ENVIRONMENT_ACTION_ID,
  type RenderEnvironmentActionOptions,
} from './actions/renderEnvironment/renderEnvironment';
export { KitRenderer } from './kits/engine';
export { parameterSchema, parseParameters, type EnvironmentParameters, type Environment } from './parameters/model';
