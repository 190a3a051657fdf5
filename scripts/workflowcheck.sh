#!/usr/bin/env bash
# Runs Temporal's workflowcheck static analyser over the module: every
# function reachable from a workflow must be deterministic (no time.Now, no
# goroutines, channels or map iteration outside the workflow package's
# replacements, no global state). Exits non-zero on any finding.
#
#   scripts/workflowcheck.sh            # the whole module
#   scripts/workflowcheck.sh ./workflows/...
#
# workflowcheck is its own module; it is pinned here and fetched through the
# Go module proxy (cached after the first run). A justified false positive
# gets a `//workflowcheck:ignore` comment with its reason at the call, or,
# for code outside the module, an entry in scripts/workflowcheck.yaml.
set -euo pipefail

WORKFLOWCHECK_VERSION=v0.6.0 # the release current with go.temporal.io/sdk v1.50

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi
cd "$(dirname "$0")/.."

if [ $# -eq 0 ]; then
	set -- ./...
fi
echo "workflowcheck $WORKFLOWCHECK_VERSION $*" >&2
if ! go run "go.temporal.io/sdk/contrib/tools/workflowcheck@$WORKFLOWCHECK_VERSION" \
	-config scripts/workflowcheck.yaml -show-pos "$@"; then
	echo "workflowcheck: non-deterministic code reachable from a workflow (see above)" >&2
	exit 1
fi
echo "workflowcheck: no findings" >&2
