#!/bin/sh
# docker-compose: create Temporal's two PostgreSQL databases and bring their schemas to the
# version of this Temporal image. Safe to run on every `docker compose up`.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
SCHEMAS=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$PORT" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$PORT"
until nc -z "$POSTGRES_SEEDS" "$PORT"; do sleep 1; done

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir="$SCHEMAS/temporal/versioned" ;;
    *) dir="$SCHEMAS/visibility/versioned" ;;
  esac
  # create and setup-schema leave an existing database and schema as they are.
  sql_tool --db "$db" create || echo "database $db exists"
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$dir"
done
echo "Temporal schemas are up to date"
