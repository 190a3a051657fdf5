#!/usr/bin/env bash
# Pins every image of docker-compose.yml and every FROM of the Dockerfile to
# the digest its tag has in the registry now. The files carry references of
# the form name:tag@sha256:<digest>; this replaces each digest with the tag's
# current one (a placeholder of zeros included), so review the diff and commit
# it. Run it with registry access, to pin first and to take updates later.
#
#   scripts/pin-images.sh            # rewrite the files
#   scripts/pin-images.sh --check    # list the references; fail if a placeholder is left
#
# Needs crane (go-containerregistry) or docker with buildx.
set -euo pipefail
cd "$(dirname "$0")/.."

files=(docker-compose.yml Dockerfile)
placeholder=sha256:0000000000000000000000000000000000000000000000000000000000000000
ref_re='[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}'

refs() { grep -ohE "$ref_re" "${files[@]}" | sort -u; }

if [ "${1:-}" = "--check" ]; then
	refs
	if grep -q "$placeholder" "${files[@]}"; then
		echo "pin-images.sh: placeholder digests remain; run scripts/pin-images.sh with registry access" >&2
		exit 1
	fi
	exit 0
fi

digest() {
	if command -v crane >/dev/null 2>&1; then
		crane digest "$1"
	elif docker buildx version >/dev/null 2>&1; then
		docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' | sed -n 's/.*"digest":"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' | head -n1
	else
		echo "pin-images.sh: needs crane or docker buildx" >&2
		exit 1
	fi
}

for ref in $(refs); do
	tagged=${ref%@*}
	new=$(digest "$tagged")
	case "$new" in sha256:*) ;; *) echo "pin-images.sh: no digest for $tagged" >&2; exit 1 ;; esac
	sed -i "s|$tagged@sha256:[0-9a-f]\{64\}|$tagged@$new|g" "${files[@]}"
	echo "$tagged@$new"
done
