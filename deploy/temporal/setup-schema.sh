#!/bin/sh
# Creates Temporal's two PostgreSQL databases, or brings them to the schema
# of this admin-tools image's release: temporal (histories, tasks,
# namespaces) and temporal_visibility (what the UI lists and searches).
# docker-compose.yml runs it in the one-shot temporal-schema service before
# the server starts, at every `docker compose up`: each step is idempotent
# (`create` leaves an existing database alone, `setup-schema -v 0.0` only
# starts the versioning of a new one, `update-schema` applies the versions a
# database lacks), so raising the image tags upgrades the schemas.
#
# The same steps as temporalio/samples-server's compose/scripts/setup-postgres.sh.
set -eu
: "${POSTGRES_SEEDS:?the PostgreSQL host}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?the password of POSTGRES_USER}"

sql() {
	temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

# setup DATABASE SCHEMA: SCHEMA is the folder of its versioned schema in the image.
setup() {
	sql --db "$1" create
	sql --db "$1" setup-schema -v 0.0
	sql --db "$1" update-schema -d "/etc/temporal/schema/postgresql/v12/$2/versioned"
	echo "database $1: schema up to date"
}

setup temporal temporal
setup temporal_visibility visibility
