# shellcheck shell=bash
# Sourced by .ci/run (and by developers: `source .ci/postgres.sh`) before the tests.
#
# Gives the scale tests (plugins/scaffolder-backend-module-environments/src/scale) a PostgreSQL
# server: installs Debian's `postgresql` when it is missing, runs a throwaway cluster of its own on
# 127.0.0.1 (no systemd needed; as root the server runs as the `postgres` user), creates a
# `backstage` role that may create databases, and exports the connection string that
# @backstage/backend-test-utils' TestDatabases reads
# (BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING).
#
# Safe to run again: it reuses a cluster it started before (running or not) and leaves any other
# PostgreSQL server on the machine alone (it uses its own data directory and port).

ci_pg_setup() {
  local port="${UNIFI_CI_PG_PORT:-55432}"
  local data="${UNIFI_CI_PG_DATA:-/tmp/unifi-cloudflare-ci-postgres}"
  local bin major password

  if ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' > /dev/null; then
    echo "Installing PostgreSQL from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
  fi
  # The newest server installed (a newer client-only version has no pg_ctl).
  bin="$(dirname "$(printf '%s\n' /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")"
  major="$(basename "$(dirname "$bin")")"

  # The server refuses to run as root: everything below runs as `postgres` when we are root.
  local -a as_pg=()
  if [[ "$(id -u)" == 0 ]]; then
    as_pg=(runuser -u postgres --)
    install -d -m 0700 -o postgres -g postgres "$data"
  else
    install -d -m 0700 "$data"
  fi

  if [[ ! -s "$data/PG_VERSION" ]]; then
    # Trust only on the cluster's own socket directory (inside the data directory, mode 0700);
    # TCP on 127.0.0.1 needs the password.
    "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 > /dev/null
  fi

  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    # Several backend replicas plus the tests' own pools: more connections than the default 100.
    "${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c max_connections=300 -c fsync=off" \
      > /dev/null || {
      tail -n 30 "$data/server.log" >&2
      return 1
    }
  fi

  # A new password each run; the role is created once.
  password="$(openssl rand -hex 16)"
  "${as_pg[@]}" "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$data" -p "$port" -U postgres -d postgres \
    -v password="$password" > /dev/null << 'SQL'
SELECT 'CREATE ROLE backstage LOGIN CREATEDB'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'backstage') \gexec
ALTER ROLE backstage LOGIN CREATEDB PASSWORD :'password';
SQL

  export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$port" POSTGRES_USER=backstage POSTGRES_PASSWORD="$password"
  export "BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING=postgresql://backstage:${password}@127.0.0.1:${port}"
  # The scale tests fail, instead of skipping PostgreSQL, when this is set.
  export UNIFI_CLOUDFLARE_REQUIRE_POSTGRES=1
  echo "PostgreSQL ${major} on 127.0.0.1:${port} (data: ${data})"
}

ci_pg_setup
unset -f ci_pg_setup
