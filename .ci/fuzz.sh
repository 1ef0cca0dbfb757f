#!/usr/bin/env bash
# Runs every fuzz target for a short, bounded time, one after another, and
# fails on the first failure. A failing input is written by `go test` to the
# package's testdata/fuzz/<Target>/ folder (printed below): commit it, and
# it becomes a regression seed that plain `go test` runs from then on.
#
#   .ci/fuzz.sh                 10 s per target
#   FUZZTIME=60s .ci/fuzz.sh    longer, e.g. nightly
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"

# package<space>target, one per line: every Fuzz function in the repo.
targets="
./scopes FuzzLoad
./scopes/fieldpath FuzzFieldpath
./gateway/filter FuzzFilter
./pii FuzzParseToken
./gateway/authn FuzzVerify
./gateway/pipeline FuzzProject
./gateway/config FuzzParse
./connectors/sandbox/shopify FuzzParseSearch
./connectors/sandbox/salesforce FuzzParseSOQL
"

# A Fuzz function missing from the list above fails the run, so a new
# target cannot be left out silently.
listed=$(printf '%s\n' "$targets" | awk 'NF == 2 {print $2}' | sort)
found=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's/^func //' | sort)
if [ "$listed" != "$found" ]; then
	echo "fuzz.sh: the target list differs from the Fuzz functions in the repo:" >&2
	diff <(echo "$listed") <(echo "$found") >&2 || true
	exit 1
fi

while read -r pkg target; do
	[ -z "$pkg" ] && continue
	echo "--- fuzz $target ($pkg, $FUZZTIME)"
	if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 5s "$pkg"; then
		echo "fuzz.sh: $target failed; the failing input is in $pkg/testdata/fuzz/$target/" >&2
		exit 1
	fi
done <<<"$targets"
echo "fuzz.sh: all targets passed"
