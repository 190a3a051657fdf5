#!/usr/bin/env bash
# Makes sure the browser tests (e2e/) have what they need, and never lets a
# test tool download a browser of its own:
#
#  - headless Chromium from Debian's `chromium` package (/usr/bin/chromium,
#    or $CARECONNECT_CHROMIUM): apt-get installs it when missing;
#  - axe-core, pinned by e2e/package-lock.json: `npm ci` in e2e/ when
#    e2e/node_modules is missing or older than the lock file.
#
# Needs root (or passwordless sudo) only to install Chromium.
set -euo pipefail

cd "$(dirname "$0")/.."
log() { echo "ensure-browser: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source=scripts/lib.sh
. scripts/lib.sh # the working directory is the repository (above)

CHROMIUM="${CARECONNECT_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
	[ -n "${CARECONNECT_CHROMIUM:-}" ] && die "CARECONNECT_CHROMIUM=$CHROMIUM is not an executable"
	log "installing Debian's chromium (a few minutes, once)"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get install -y -q chromium >/dev/null 2>&1 || {
		as_root apt-get update -q >/dev/null
		as_root apt-get install -y -q chromium >/dev/null
	}
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo "chromium at $CHROMIUM")"

command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch axe-core (Debian: apt-get install npm)"
if [ ! -f e2e/node_modules/axe-core/axe.min.js ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
	log "npm ci in e2e/ (axe-core, pinned)"
	(cd e2e && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
fi
log "axe-core $(cd e2e && node -p 'require("axe-core/package.json").version' 2>/dev/null || echo present)"
