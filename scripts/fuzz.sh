#!/usr/bin/env bash
# Runs every Go fuzz target in the module briefly, one after another:
#
#   scripts/fuzz.sh          # 50,000 inputs per target (a few seconds each)
#   scripts/fuzz.sh 1000000x # longer (any -fuzztime value: 1000000x, 60s)
#
# The default is a count, not a duration: with a duration, Go 1.26's fuzz
# coordinator can race its own deadline and fail a target with a bare
# "context deadline exceeded" and no failing input (golang/go#75804, fixed
# in Go 1.27); a count has no deadline to race. A duration still works for
# a long hunt by hand, with that small risk of a spurious failure.
#
# Targets are found, not listed: every `func FuzzXxx(f *testing.F)` in a
# _test.go file. Their seed corpora (f.Add and testdata/fuzz/FuzzXxx/) also
# run in plain `go test ./...`. When a target finds a failing input, Go
# writes it to testdata/fuzz/FuzzXxx/ in that package: fix the code and
# commit that file as a regression seed.
set -euo pipefail

fuzztime="${1:-50000x}"
case "$fuzztime" in
*[0-9]) fuzztime="${fuzztime}s" ;; # a bare number means seconds
esac

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi
cd "$(dirname "$0")/.."

targets=$(grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
	grep -v '^./\.git/' | sort | while read -r file; do
	pkg="./$(dirname "${file#./}")"
	grep -oE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "$file" | sed -E "s/^func (Fuzz[A-Za-z0-9_]*).*/$(printf '%s' "$pkg" | sed 's/[\/&]/\\&/g') \1/"
done)

if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

n=0
while read -r pkg name; do
	n=$((n + 1))
	echo "fuzz: $pkg $name ($fuzztime)" >&2
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -timeout 10m "$pkg"
done <<<"$targets"
echo "fuzz: $n targets passed" >&2
