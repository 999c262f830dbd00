import path from 'node:path';
import { AnswerValues } from '../../answers';
import { compileArchivedKits } from '../compile';
import { ArchivedRelease } from '../types';
import { buildContext } from './context';
import { escapingFilters } from './filters';
import { kitManifest } from './manifest';
import { Parameters } from './parameters';

export const VERSION = '0.1.0';

/**
 * The parameters 0.1.0's render action handed its context, rebuilt from 0.1.0's answers file:
 * 0.1.0 recorded every value after its parser filled the defaults, except the ones its parser
 * derived without recording them (targetPath, staging's locking), added here as 0.1.0 did.
 * 0.1.0 kept repoUrl for local repositories, so it is kept.
 */
export function parametersFromAnswers(values: AnswerValues): Parameters {
  const p = { ...values } as Record<string, unknown>;
  p.targetPath = '.';
  p.skipTlsVerify =
    values.environment === 'development'
      ? (values.skipTlsVerify ?? true)
      : false;
  if (values.environment !== 'development' && p.stateKey === undefined) {
    p.stateKey = `unifi-cloudflare-glue/${values.environment}/${String(values.name)}/terraform.tfstate`;
  }
  if (values.environment === 'staging') p.locking = 'lockfile';
  if (values.environment === 'production') {
    p.locking ??= 'dynamodb';
    p.secretsProvider ??= 'op';
    p.cloudflareItem ??= 'cloudflare';
    p.unifiItem ??= 'unifi';
    p.stateItem ??= 'terraform-state';
  }
  return p as unknown as Parameters;
}

/** Kit release 0.1.0: the kits under kits-releases/0.1.0 with 0.1.0's filters and context. */
export const release010: ArchivedRelease = {
  version: VERSION,
  load(releasesRoot) {
    const render = compileArchivedKits(
      path.join(releasesRoot, VERSION),
      escapingFilters,
      kitManifest,
    );
    return {
      version: VERSION,
      render(values, template) {
        const parameters = parametersFromAnswers(values);
        return render(
          values.environment,
          buildContext(parameters, { name: template, version: VERSION }),
        );
      },
    };
  },
};
