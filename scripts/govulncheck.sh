#!/usr/bin/env bash
# Runs govulncheck over the module against the vendored snapshot of the Go
# vulnerability database in testdata/vulndb, so that the check needs no
# route to vuln.go.dev (CI has none). Exits non-zero on a vulnerability the
# code reaches, or when the snapshot does not cover a module the build uses.
#
#   scripts/govulncheck.sh                    # the check (`make test` runs it after go vet)
#   scripts/govulncheck.sh --refresh [VER]    # rebuild the snapshot from golang.org/x/vulndb@VER
#                                             # (default: latest) through the Go module proxy
#
# govulncheck and x/vulndb are Go modules, pinned here and fetched through
# the module proxy. The standard library is judged at the toolchain go.mod
# names (its `toolchain` line), which the Dockerfile builds the shipped
# binary with: the script checks that the two agree, and runs govulncheck
# under that toolchain (GOTOOLCHAIN; the go command fetches it once through
# the proxy), whatever Go is installed locally.
set -euo pipefail

GOVULNCHECK_VERSION=v1.10.0 # golang.org/x/vuln/cmd/govulncheck
DB=testdata/vulndb

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi
cd "$(dirname "$0")/.."

die() {
	echo "govulncheck: $*" >&2
	exit 1
}

# modules lists the modules the build graph holds, plus the standard
# library and the toolchain: what the snapshot must cover.
modules() {
	{
		go list -m -f '{{if not .Main}}{{.Path}}{{end}}' all
		echo stdlib
		echo toolchain
	} | sed '/^$/d' | LC_ALL=C sort -u
}

# toolchain is go.mod's toolchain line (go1.26.11), or its go line.
toolchain() {
	local t
	t=$(sed -n 's/^toolchain \(go[0-9.]*\)$/\1/p' go.mod)
	[ -n "$t" ] || t=go$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod)
	echo "$t"
}

refresh() {
	local query=${1:-latest} version when dir
	read -r version when < <(go list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z07:00"}}' "golang.org/x/vulndb@$query")
	go mod download "golang.org/x/vulndb@$version"
	dir=$(go list -m -f '{{.Dir}}' "golang.org/x/vulndb@$version")
	[ -d "$dir/data/osv" ] || die "golang.org/x/vulndb@$version has no data/osv"
	tmp=$(mktemp -d) # global: the EXIT trap outlives this function
	trap 'rm -rf "$tmp"' EXIT
	modules >"$tmp/modules.txt"
	echo "selecting the entries of golang.org/x/vulndb@$version ($when) that affect $(wc -l <"$tmp/modules.txt") modules" >&2
	go run ./scripts/vulndbsnapshot select -osv "$dir/data/osv" -modules "$tmp/modules.txt" -out "$tmp/osv"
	echo "building the database with golang.org/x/vulndb/cmd/indexdb@$version" >&2
	(cd "$tmp" && go run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$tmp/osv" -out "$tmp/db")
	mkdir -p "$DB"
	go run ./scripts/vulndbsnapshot install -db "$tmp/db" -out "$DB" -modified "$when"
	cp "$tmp/modules.txt" "$DB/modules.txt"
	echo "golang.org/x/vulndb $version $when" >"$DB/VERSION"
	echo "snapshot: $DB ($(du -sh "$DB" | cut -f1), $(find "$DB/ID" -name '*.json' | wc -l) entries); review and commit it" >&2
}

if [ "${1:-}" = "--refresh" ]; then
	refresh "${2:-}"
	exit 0
fi

[ -f "$DB/index/db.json" ] && [ -f "$DB/modules.txt" ] || die "no snapshot in $DB: run scripts/govulncheck.sh --refresh"
missing=$(LC_ALL=C comm -23 <(modules) <(LC_ALL=C sort -u "$DB/modules.txt"))
if [ -n "$missing" ]; then
	die "the snapshot in $DB does not cover these modules of the build; run scripts/govulncheck.sh --refresh and commit $DB:
$missing"
fi
tc=$(toolchain)
docker=$(sed -n 's/^FROM golang:\([0-9.]*\)-.*/go\1/p' Dockerfile)
[ "$docker" = "$tc" ] || die "the Dockerfile builds with $docker but go.mod names $tc; make them agree"
echo "govulncheck $GOVULNCHECK_VERSION, $tc, database $(cut -d' ' -f2- "$DB/VERSION")" >&2
if ! GOTOOLCHAIN=$tc go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$PWD/$DB" ./...; then
	echo "govulncheck: the code reaches a known vulnerability (see above), or the check failed" >&2
	exit 1
fi
