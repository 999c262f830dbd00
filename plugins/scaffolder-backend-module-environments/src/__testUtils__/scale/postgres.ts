import { TestDatabaseId } from '@backstage/backend-test-utils';

const CONNECTION_VARIABLE =
  /^BACKSTAGE_TEST_DATABASE_POSTGRES(\d+)_CONNECTION_STRING$/;

/**
 * The PostgreSQL that TestDatabases can use here: the newest major with a connection string in
 * BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING (.ci/postgres.sh exports it).
 * Undefined when none is set: the tests then skip PostgreSQL, unless
 * UNIFI_CLOUDFLARE_REQUIRE_POSTGRES is set (as in CI), where they fail instead.
 */
export function configuredPostgres():
  { id: TestDatabaseId; connectionString: string } | undefined {
  const majors = Object.keys(process.env)
    .map(name => CONNECTION_VARIABLE.exec(name))
    .filter((match): match is RegExpExecArray =>
      Boolean(match && process.env[match[0]]),
    )
    .map(match => Number(match[1]))
    .sort((a, b) => b - a);
  if (majors.length > 0) {
    const connectionString =
      process.env[
        `BACKSTAGE_TEST_DATABASE_POSTGRES${majors[0]}_CONNECTION_STRING`
      ]!;
    return { id: `POSTGRES_${majors[0]}` as TestDatabaseId, connectionString };
  }
  if (process.env.UNIFI_CLOUDFLARE_REQUIRE_POSTGRES) {
    throw new Error(
      'UNIFI_CLOUDFLARE_REQUIRE_POSTGRES is set but no BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING is: run `source .ci/postgres.sh` first',
    );
  }
  return undefined;
}

/** host, port, user and password of a postgresql:// connection string. */
export function connectionParts(connectionString: string) {
  const url = new URL(connectionString);
  return {
    host: url.hostname,
    port: url.port || '5432',
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}
