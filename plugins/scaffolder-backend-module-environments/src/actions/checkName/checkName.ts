import { AuthService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { examples } from './checkName.examples';

export const CHECK_NAME_ACTION_ID = 'unifiCloudflare:catalog:checkName';

/** The annotation holding where the catalog first read an entity. */
const ORIGIN_LOCATION = 'backstage.io/managed-by-origin-location';
const ENTITY_REF =
  /^[a-z][a-z0-9]*:[a-z0-9][a-z0-9._-]{0,62}\/[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Dependencies of the name check. */
export interface CheckNameActionOptions {
  catalog: CatalogService;
  /** The plugin's auth service: the catalog is asked with the plugin's own credentials, so an entity the user may not see still counts. */
  auth: AuthService;
}

/**
 * Creates the action that refuses an entity name the catalog already holds, before anything is
 * published (without `origin`), or, after a registration, an entity the catalog holds from
 * another location than the one just registered (with `origin`): a name taken beforehand would
 * otherwise end the run "completed" with a link to someone else's entity.
 * @public
 */
export function createCheckNameAction(options: CheckNameActionOptions) {
  const { catalog, auth } = options;
  return createTemplateAction({
    id: CHECK_NAME_ACTION_ID,
    description:
      'Fails when the catalog already holds the entity (before publishing), or holds it from another location than `origin` (after registering). Read-only. A dry run checks the name too; the check after registering only says what a real run checks, as a dry run registers nothing.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .max(300)
            .describe(
              'The entity the template creates, kind:namespace/name, for example resource:default/homelab-dns.',
            ),
        origin: z =>
          z
            .string()
            .max(4096)
            .optional()
            .describe(
              'After registration: the location the entity must come from, as the catalog writes it (url:https://... or file:/...). Without it, any existing entity fails the check.',
            ),
      },
      output: {
        exists: z =>
          z.boolean().describe('Whether the catalog holds the entity now.'),
      },
    },
    async handler(ctx) {
      const ref = ctx.input.entityRef;
      if (!ENTITY_REF.test(ref)) {
        throw new InputError(
          `entityRef must be kind:namespace/name in lower-case letters, digits, ".", "_" and "-", for example "resource:default/homelab-dns"`,
        );
      }
      const origin = ctx.input.origin;
      if (origin !== undefined && ctx.isDryRun) {
        // A dry run registers nothing (catalog:register skips dry runs), so the catalog cannot
        // hold the entity of this run: asking it would cost a round trip and say nothing. The
        // name check before publishing (no origin) does ask, in dry runs too.
        ctx.logger.info(
          `Dry run: nothing was registered; a real run checks the catalog holds ${ref} from ${origin}`,
        );
        return;
      }
      const credentials = await auth.getOwnServiceCredentials();
      const entity = await catalog.getEntityByRef(ref, { credentials });
      ctx.output('exists', entity !== undefined);
      if (origin === undefined) {
        if (entity) {
          throw new ConflictError(
            `The catalog already holds ${ref}, so a new environment of that name would never be registered. Choose another name`,
          );
        }
        ctx.logger.info(`The catalog holds no ${ref} yet`);
        return;
      }
      if (!/^(?:url|file):./.test(origin)) {
        ctx.logger.info(
          `The catalog ${entity ? 'holds' : 'does not hold'} ${ref}; ${origin} is not a url: or file: location, so where it comes from is not checked`,
        );
        return;
      }
      const from = entity?.metadata.annotations?.[ORIGIN_LOCATION];
      if (entity && from !== origin) {
        throw new ConflictError(
          `The catalog holds ${ref} from another location than ${origin}: it is not the entity this run registered. Choose another name`,
        );
      }
      ctx.logger.info(
        entity
          ? `The catalog holds ${ref} from ${origin}`
          : `The catalog has not read ${ref} from ${origin} yet; it will shortly`,
      );
    },
  });
}
