import {
  EntityProvider,
  EntityProviderConnection,
  locationSpecToLocationEntity,
} from '@backstage/plugin-catalog-node';
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { matchesRule } from '../parameters/fieldRules';
import { lstatIfExists } from '../workspace/pathGuard';

/** The catalog file of a local repository, relative to the repository. */
export const LOCAL_CATALOG_FILE = 'catalog-info.yaml';

/** The entity a local repository's catalog file describes. */
export interface LocalEntity {
  kind: string;
  namespace: string;
  name: string;
}

/** `kind:namespace/name`, lower-case kind, as the catalog writes entity references. */
export function entityRef(e: LocalEntity): string {
  return `${e.kind.toLocaleLowerCase('en-US')}:${e.namespace}/${e.name}`;
}

/**
 * Reads the catalog file of a repository directly inside `directory` and returns the one entity
 * it describes, or why it is not a repository the local publisher made: the repository must be
 * a real directory named by the environment name rule (not a symbolic link), the file a regular
 * file, and it must describe exactly one `Resource` of type `environment`. Anything else (a
 * `Location` pointing elsewhere, a `Template` that would run our actions) is never registered.
 */
export async function readLocalRepository(
  directory: string,
  name: string,
): Promise<{ entity: LocalEntity; target: string } | { problem: string }> {
  if (!matchesRule('name', name))
    return { problem: `${JSON.stringify(name)} is not an environment name` };
  const repository = path.join(directory, name);
  const stat = await lstatIfExists(repository).catch(() => undefined);
  if (!stat?.isDirectory())
    return {
      problem: `${repository} is not a directory (symbolic links are not followed)`,
    };
  if (
    (await realpath(repository)) !== path.join(await realpath(directory), name)
  ) {
    return { problem: `${repository} resolves outside ${directory}` };
  }
  const target = path.join(repository, LOCAL_CATALOG_FILE);
  const file = await lstatIfExists(target).catch(() => undefined);
  if (!file?.isFile())
    return {
      problem: `there is no catalog file (a regular file) at ${target}`,
    };
  if (file.size > 256 * 1024)
    return { problem: `${target} is larger than 256 KiB` };
  let documents: unknown[];
  try {
    documents = parseAllDocuments(await readFile(target, 'utf8')).map(d => {
      if (d.errors.length > 0) throw d.errors[0];
      return d.toJS({ maxAliasCount: 0 });
    });
  } catch {
    return { problem: `${target} is not valid YAML` };
  }
  const entities = documents.filter(
    d => d !== null && d !== undefined,
  ) as any[];
  if (entities.length !== 1)
    return {
      problem: `${target} describes ${entities.length} entities; a local repository holds one environment`,
    };
  const [e] = entities;
  if (
    e?.apiVersion !== 'backstage.io/v1alpha1' ||
    e?.kind !== 'Resource' ||
    e?.spec?.type !== 'environment' ||
    typeof e?.metadata?.name !== 'string'
  ) {
    return {
      problem: `${target} does not describe a Resource of type environment`,
    };
  }
  const namespace = e.metadata.namespace ?? 'default';
  if (typeof namespace !== 'string')
    return { problem: `${target} has an invalid namespace` };
  return {
    entity: { kind: 'Resource', namespace, name: e.metadata.name },
    target,
  };
}

/**
 * A catalog entity provider that emits one `file` Location for each repository directly inside
 * the local publisher's directory that {@link readLocalRepository} accepts. The catalog processes
 * locations that providers emit without consulting `allowedLocationTypes`, so the catalog API
 * can keep accepting `url` locations only: nobody can register a `file` location through it.
 */
export class LocalRepositoriesProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private running = Promise.resolve<string[]>([]);

  constructor(
    private readonly directory: string,
    private readonly logger: { warn(message: string): void },
  ) {}

  getProviderName(): string {
    return 'unifi-cloudflare-local-repositories';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.refresh();
  }

  /** Scans the directory and replaces the provider's locations; returns the catalog files emitted. */
  refresh(): Promise<string[]> {
    // One scan at a time, in order: a refresh requested during a scan runs after it.
    this.running = this.running.catch(() => []).then(() => this.scan());
    return this.running;
  }

  private async scan(): Promise<string[]> {
    if (!this.connection) return [];
    const names = await readdir(this.directory).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [] as string[];
        throw error;
      },
    );
    const targets: string[] = [];
    for (const name of names.sort()) {
      const found = await readLocalRepository(this.directory, name);
      if ('problem' in found) {
        if (!name.startsWith('.'))
          this.logger.warn(
            `Not registering the local repository ${name}: ${found.problem}`,
          );
        continue;
      }
      targets.push(found.target);
    }
    await this.connection.applyMutation({
      type: 'full',
      entities: targets.map(target => ({
        entity: locationSpecToLocationEntity({
          location: { type: 'file', target, presence: 'optional' },
        }),
        locationKey: `${this.getProviderName()}:${target}`,
      })),
    });
    return targets;
  }
}

/** The providers of this process, so that the scaffolder action can ask for a refresh. */
const providers = new Set<LocalRepositoriesProvider>();

/** Registers a provider for {@link refreshLocalRepositories}; returns how to unregister it. */
export function registerLocalRepositoriesProvider(
  provider: LocalRepositoriesProvider,
): () => void {
  providers.add(provider);
  return () => providers.delete(provider);
}

/**
 * Asks every local-repositories provider of this process to scan now. Returns the catalog files
 * they emitted, or undefined when no provider runs here (the catalog module is not installed).
 */
export async function refreshLocalRepositories(): Promise<
  string[] | undefined
> {
  if (providers.size === 0) return undefined;
  const results = await Promise.all([...providers].map(p => p.refresh()));
  return results.flat();
}
