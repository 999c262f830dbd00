import { repositoryParts } from '../parameters/repoUrl';
import { EnvironmentParameters, tunnelNameOf } from '../parameters/model';
import { referencesByItem, secretReferences } from '../secrets/references';

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
  const parts = repositoryParts(repoUrl);
  return parts && `https://${parts.host}/${parts.owner}/${parts.repo}`;
}

/** Where Terraform keeps state: nowhere durable in development, S3 with the chosen lock elsewhere. */
function stateBackendOf(
  p: EnvironmentParameters,
): 'ephemeral' | 's3-dynamodb' | 's3-lockfile' {
  if (p.environment === 'development') return 'ephemeral';
  return p.locking === 'dynamodb' ? 's3-dynamodb' : 's3-lockfile';
}

/**
 * The state keys of the UniFi-only and Cloudflare-only runs. The module runs a different
 * Terraform root module for them (unifi-dns or cloudflare-tunnel instead of glue), whose resource
 * addresses differ from the full run's: sharing the full run's state would make Terraform plan to
 * destroy everything the other root created. So each kind of run keeps its own state.
 */
function partialStateKeysOf(stateKey: string | undefined) {
  if (stateKey === undefined) return undefined;
  const stem = stateKey.endsWith('.tfstate')
    ? stateKey.slice(0, -'.tfstate'.length)
    : stateKey;
  return {
    unifi: `${stem}.unifi-only.tfstate`,
    cloudflare: `${stem}.cloudflare-only.tfstate`,
  };
}

/**
 * Everything a kit template may read. Values come from validated parameters; the kits escape
 * each one for the format they write.
 */
export function buildContext(
  p: EnvironmentParameters,
  template: TemplateIdentity,
) {
  const devices = p.devices.map(device => {
    const fqdn = `${device.hostname}.${p.internalDomain}`;
    const services = device.services.map(s => {
      const internalHostname = `${s.name}.${p.internalDomain}`;
      // cloudflare_only services get no local DNS name of their own; reach them through the device.
      const originHost =
        s.distribution === 'cloudflare_only' ? fqdn : internalHostname;
      return {
        ...s,
        device: device.hostname,
        internalHostname,
        publishedLocally: s.distribution !== 'cloudflare_only',
        publishedPublicly: s.distribution !== 'unifi_only',
        localServiceUrl: `${SCHEMES[s.protocol]}://${originHost}:${s.port}`,
      };
    });
    const tunnelServices = services.filter(s => s.publishedPublicly);
    return {
      hostname: device.hostname,
      fqdn,
      macAddresses: device.macAddresses,
      /** The first MAC keys the device's tunnel (upstream: one tunnel per MAC). */
      mac: device.macAddresses[0],
      aliases: device.aliases.map(alias => ({
        name: alias,
        fqdn: `${alias}.${p.internalDomain}`,
      })),
      tunnelName: tunnelNameOf(p.name, device.hostname),
      services,
      tunnelServices,
    };
  });
  const services = devices.flatMap(d => d.services);
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
    devices,
    /** The devices with at least one public service: each gets its own tunnel. */
    tunnels: devices.filter(d => d.tunnelServices.length > 0),
    services,
    tunnelServices: services.filter(s => s.publishedPublicly),
    partialStateKeys: partialStateKeysOf(p.stateKey),
    stateBackend: stateBackendOf(p),
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
