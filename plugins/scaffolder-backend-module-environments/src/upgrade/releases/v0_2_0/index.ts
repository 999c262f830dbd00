import path from 'node:path';
import { AnswerValues } from '../../answers';
import { compileArchivedKits } from '../compile';
import { ArchivedRelease } from '../types';
import { buildContext } from './context';
import { escapingFilters } from './filters';
import { kitManifest } from './manifest';
import { Parameters } from './parameters';

export const VERSION = '0.2.0';

/**
 * The parameters 0.2.0's render action handed its context, rebuilt from 0.2.0's answers file:
 * 0.2.0 recorded every value after its parser filled the defaults, except the ones its parser
 * derived without recording them (targetPath, staging's locking, skipTlsVerify outside
 * development), added here as 0.2.0 did. 0.2.0 handed a local repository's context no repoUrl.
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
  if (values.publishTarget === 'local') delete p.repoUrl;
  return p as unknown as Parameters;
}

/** Kit release 0.2.0: the kits under kits-releases/0.2.0 with 0.2.0's filters and context. */
export const release020: ArchivedRelease = {
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
        return render(
          values.environment,
          buildContext(parametersFromAnswers(values), {
            name: template,
            version: VERSION,
          }),
        );
      },
    };
  },
};
