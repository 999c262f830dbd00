// Archived verbatim from kit release 0.1.0 (git 5b3e4c0, src/kits/context.ts); only the imports are
// adapted. Never edit: repositories made by 0.1.0 are merged against exactly this output.
/* eslint-disable no-nested-ternary */
import { Parameters as EnvironmentParameters } from './parameters';
import { referencesByItem, secretReferences } from './references';

/** Identifies the template and kit version that rendered a repository. */
export interface TemplateIdentity {
  /** Template entity reference, e.g. `template:default/production-environment`. */
  name: string;
  /** Kit version: the module's package version. */
  version: string;
}

export const UPSTREAM_MODULE = 'github.com/SolomonHD/unifi-cloudflare-glue';
export const UPSTREAM_REPOSITORY_URL =
  'https://github.com/SolomonHD/unifi-cloudflare-glue';

const SCHEMES = { http: 'http', https: 'https', tcp: 'tcp' } as const;

/** A repository URL derived from the RepoUrlPicker value, when it has owner and repo. */
export function repositoryUrl(repoUrl: string | undefined): string | undefined {
  if (!repoUrl) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(`https://${repoUrl}`);
  } catch {
    return undefined;
  }
  const owner =
    parsed.searchParams.get('owner') ?? parsed.searchParams.get('organization');
  const repo = parsed.searchParams.get('repo');
  if (!owner || !repo) return undefined;
  return `https://${parsed.host}/${owner}/${repo}`;
}

/**
 * Everything a kit template may read. Values come from validated parameters; the kits escape
 * each one for the format they write.
 */
export function buildContext(
  p: EnvironmentParameters,
  template: TemplateIdentity,
) {
  const unifiServices = p.services.filter(
    s => s.distribution !== 'cloudflare_only',
  );
  const services = p.services.map(s => {
    const internalHostname = `${s.name}.${p.internalDomain}`;
    // cloudflare_only services get no local DNS name of their own; reach them through the device.
    const originHost =
      s.distribution === 'cloudflare_only'
        ? `${p.deviceHostname}.${p.internalDomain}`
        : internalHostname;
    return {
      ...s,
      internalHostname,
      publishedLocally: s.distribution !== 'cloudflare_only',
      publishedPublicly: s.distribution !== 'unifi_only',
      localServiceUrl: `${SCHEMES[s.protocol]}://${originHost}:${s.port}`,
    };
  });
  const references = secretReferences(p);
  const repoLink = repositoryUrl(p.repoUrl);
  const github = repoLink?.startsWith('https://github.com/')
    ? repoLink.slice('https://github.com/'.length)
    : undefined;
  return {
    p,
    environment: p.environment,
    title: `${p.name} (${p.environment})`,
    template,
    upstream: {
      module: `${UPSTREAM_MODULE}@${p.glueVersion}`,
      repositoryUrl: UPSTREAM_REPOSITORY_URL,
    },
    unifiUrl: `https://${p.unifiHost}:${p.unifiPort}`,
    device: {
      hostname: p.deviceHostname,
      fqdn: `${p.deviceHostname}.${p.internalDomain}`,
      mac: p.deviceMac,
      tunnelName: `${p.name}-${p.deviceHostname}`
        .slice(0, 63)
        .replace(/-+$/, ''),
    },
    services,
    unifiServices,
    tunnelServices: services.filter(s => s.publishedPublicly),
    stateBackend:
      p.environment === 'development'
        ? 'ephemeral'
        : p.locking === 'dynamodb'
          ? 's3-dynamodb'
          : 's3-lockfile',
    secretsModel:
      p.environment === 'production' ? '1password-vals' : 'env-file',
    references,
    backendReferences: references.filter(r => r.file === 'backend.yaml.tmpl'),
    backendRefs: Object.fromEntries(
      references
        .filter(r => r.file === 'backend.yaml.tmpl')
        .map(r => [r.key, r.ref]),
    ) as Record<string, string>,
    envReferences: references.filter(r => r.file === 'secrets.vals.yaml'),
    referenceItems: referencesByItem(references),
    repository: { url: repoLink, githubSlug: github },
  };
}

export type KitContext = ReturnType<typeof buildContext>;
