import { RootConfigService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import path from 'node:path';
import { matchesRule, rules } from '../../parameters/fieldRules';
import { resolveInside } from '../../workspace/pathGuard';

/** Where the local publisher may write, read from `unifiCloudflare.localPublisher`. */
export interface LocalPublisherSettings {
  enabled: boolean;
  /** Absolute directory holding the local repositories; undefined when not configured. */
  directory?: string;
}

export const LOCAL_PUBLISHER_CONFIG_KEY = 'unifiCloudflare.localPublisher';

/**
 * Reads the local publisher settings. A relative `directory` is resolved against the backend's
 * working directory, as the catalog resolves `file` locations.
 */
export function readLocalPublisherSettings(
  config: RootConfigService,
): LocalPublisherSettings {
  const section = config.getOptionalConfig(LOCAL_PUBLISHER_CONFIG_KEY);
  const enabled = section?.getOptionalBoolean('enabled') ?? false;
  const directory = section?.getOptionalString('directory');
  return {
    enabled,
    directory: directory ? path.resolve(directory) : undefined,
  };
}

/**
 * The configured directory, or an error that says why local publishing is off. Local
 * publishing writes to the backend's own disk, so it must be switched on explicitly.
 */
export function requireLocalDirectory(
  settings: LocalPublisherSettings,
  actionId: string,
): string {
  if (!settings.enabled) {
    throw new NotAllowedError(
      `${actionId} is disabled: it writes repositories to the Backstage backend's own disk, which is only meant for local development. ` +
        `Choose GitHub as the publish target, or set ${LOCAL_PUBLISHER_CONFIG_KEY}.enabled: true and ${LOCAL_PUBLISHER_CONFIG_KEY}.directory in a development app-config.`,
    );
  }
  if (!settings.directory) {
    throw new InputError(
      `${actionId} needs ${LOCAL_PUBLISHER_CONFIG_KEY}.directory in app-config: the directory the local repositories are created in, for example .local-repositories`,
    );
  }
  return settings.directory;
}

/** Checks a repository name against the environment name rule; says the rule and an example. */
export function checkRepositoryName(name: unknown): string {
  if (typeof name !== 'string' || !matchesRule('name', name)) {
    throw new InputError(
      `The repository name ${JSON.stringify(name)} is not allowed: it must be ${rules.name.rule}, for example "${rules.name.example}"`,
    );
  }
  return name;
}

/** The repository directory for a name, inside the configured directory (never outside). */
export function repositoryPath(directory: string, name: string): string {
  return resolveInside(directory, checkRepositoryName(name), {
    name: 'name',
    example: rules.name.example,
    root: 'local repositories directory',
  });
}
