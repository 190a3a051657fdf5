#!/bin/sh
# temporal-schema.sh: the compose stack's schema job (admin-tools image).
# It sets up, or updates to this image's version, both of Temporal's
# PostgreSQL schemas: the default store (temporal) and visibility
# (temporal_visibility). Both databases exist already, owned by the
# temporal role (deploy/postgres/init.sql); the job connects as that role
# over verified TLS (SQL_TLS, SQL_TLS_CA_FILE, SQL_TLS_SERVER_NAME) with
# SQL_PASSWORD. Run on every start: both steps are idempotent, and an
# upgrade of the images applies the new versions here, before the server.
set -eu
schema=/etc/temporal/schema/postgresql/v12
for db in temporal:temporal temporal_visibility:visibility; do
	name=${db%%:*}
	dir=${db#*:}
	temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST:-postgres}" -p "${SQL_PORT:-5432}" -u "${SQL_USER:-temporal}" \
		--db "$name" setup-schema -v 0.0
	temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST:-postgres}" -p "${SQL_PORT:-5432}" -u "${SQL_USER:-temporal}" \
		--db "$name" update-schema -d "$schema/$dir/versioned"
	echo "schema $name is up to date"
done
