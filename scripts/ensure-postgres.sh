#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests.
#
#  - already answering: nothing to do;
#  - installed (Debian postgresql-common) but down: start every cluster;
#  - not installed: apt-get install postgresql, let local TCP connections
#    from 127.0.0.1 (and ::1) use trust auth, and start it.
#
# Then waits up to 60 s for pg_isready. Needs root (or sudo) to start or install.
# ENSURE_POSTGRES_HOST / ENSURE_POSTGRES_PORT override the address checked.
set -euo pipefail

PGHOST_CHECK="${ENSURE_POSTGRES_HOST:-127.0.0.1}"
PGPORT_CHECK="${ENSURE_POSTGRES_PORT:-5432}"
WAIT_SECONDS=60

log() { echo "ensure-postgres: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ready() {
	command -v pg_isready >/dev/null 2>&1 || return 1
	pg_isready -q -h "$PGHOST_CHECK" -p "$PGPORT_CHECK" >/dev/null 2>&1
}

installed() {
	command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_lsclusters >/dev/null 2>&1 &&
		[ -n "$(ls -A /etc/postgresql 2>/dev/null)" ]
}

# start_clusters starts every cluster that is not running.
start_clusters() {
	local ver name status
	while read -r ver name _port status _rest; do
		[ -n "$ver" ] || continue
		case "$status" in
		online*) ;;
		*)
			log "starting cluster $ver/$name"
			as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start ||
				log "pg_ctlcluster $ver $name start failed (continuing)"
			;;
		esac
	done < <(pg_lsclusters -h)
}

# trust_local_tcp makes 127.0.0.1/::1 TCP connections use trust auth in every
# cluster. Only called right after a fresh install.
trust_local_tcp() {
	local hba
	for hba in /etc/postgresql/*/*/pg_hba.conf; do
		[ -f "$hba" ] || continue
		if grep -q '^# careconnect: trust local TCP' "$hba"; then
			continue
		fi
		log "setting trust auth for local TCP in $hba"
		as_root sh -c "tmp=\$(mktemp) && {
			echo '# careconnect: trust local TCP (development/CI only)'
			echo 'host all all 127.0.0.1/32 trust'
			echo 'host all all ::1/128 trust'
			cat '$hba'
		} > \"\$tmp\" && cat \"\$tmp\" > '$hba' && rm -f \"\$tmp\""
	done
}

if ready; then
	log "PostgreSQL is ready on $PGHOST_CHECK:$PGPORT_CHECK"
	exit 0
fi

if installed; then
	start_clusters
else
	command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available; install PostgreSQL and start it on $PGHOST_CHECK:$PGPORT_CHECK"
	log "PostgreSQL is not installed; installing it with apt-get"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
	installed || die "apt-get installed postgresql but no cluster exists under /etc/postgresql"
	trust_local_tcp
	# The package may have started the cluster before pg_hba.conf changed:
	# restart running clusters, then start any that are down.
	while read -r ver name _port status _rest; do
		[ -n "$ver" ] || continue
		case "$status" in
		online*) as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" restart || true ;;
		esac
	done < <(pg_lsclusters -h)
	start_clusters
fi

for _ in $(seq 1 "$WAIT_SECONDS"); do
	if ready; then
		log "PostgreSQL is ready on $PGHOST_CHECK:$PGPORT_CHECK"
		exit 0
	fi
	sleep 1
done

pg_lsclusters >&2 2>/dev/null || true
die "PostgreSQL did not become ready on $PGHOST_CHECK:$PGPORT_CHECK within ${WAIT_SECONDS}s (see /var/log/postgresql/)"
