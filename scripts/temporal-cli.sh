#!/usr/bin/env bash
# Prints the path of the pinned Temporal CLI, building it first if it is not
# in the cache yet. Only the path goes to stdout; build output goes to stderr.
#
#   TEMPORAL_BIN=$(scripts/temporal-cli.sh)
#
# Cache: ${CARECONNECT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/careconnect}/temporal-cli/<version>/temporal
# The CLI is built from the Go module proxy (later tags than v1.5.1 refuse
# `go install`), so the first run takes several minutes.
set -euo pipefail

TEMPORAL_CLI_VERSION=v1.5.1

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi

cache_root="${CARECONNECT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/careconnect}"
dir="$cache_root/temporal-cli/$TEMPORAL_CLI_VERSION"
bin="$dir/temporal"

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$dir"
command -v flock >/dev/null 2>&1 || { echo "temporal-cli.sh: flock (util-linux) is required" >&2; exit 1; }
command -v go >/dev/null 2>&1 || { echo "temporal-cli.sh: go is not on PATH" >&2; exit 1; }

# One builder at a time; the others wait here and then find the binary.
exec 9>"$dir/.lock"
flock 9

if [ ! -x "$bin" ]; then
	tmp="$(mktemp -d "$dir/.build.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	echo "temporal-cli.sh: building temporal CLI $TEMPORAL_CLI_VERSION into $dir (this takes a few minutes)..." >&2
	# Run outside the project module so its go.mod does not interfere.
	if ! (cd "$tmp" && GOBIN="$tmp" GOWORK=off \
		go install -ldflags="-s -w" "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION") 1>&2; then
		echo "temporal-cli.sh: building temporal CLI $TEMPORAL_CLI_VERSION failed" >&2
		exit 1
	fi
	chmod 0755 "$tmp/temporal"
	mv -f "$tmp/temporal" "$bin"
	echo "temporal-cli.sh: built $bin" >&2
fi

echo "$bin"
