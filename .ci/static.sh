#!/usr/bin/env bash
# Static checks, each failing the build: go vet, staticcheck and govulncheck.
# Tools come from the Go module proxy at pinned versions. govulncheck cannot
# reach vuln.go.dev from CI, so the Go vulnerability database is built locally
# from the golang.org/x/vulndb module (served by the module proxy) with its own
# gendb tool, and cached outside git keyed by the pinned snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK=golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB_PIN=v0.0.0-20261105234957-e22db6528018   # golang.org/x/vulndb snapshot of 2026-11-05

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run "$STATICCHECK" ./...

echo "== govulncheck (database golang.org/x/vulndb@$VULNDB_PIN)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cxgate/vulndb-$VULNDB_PIN"
if [ ! -f "$cache/index/db.json" ]; then
	src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_PIN" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src/data/osv" ] || { echo "vulndb module has no data/osv" >&2; exit 1; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/repo/data"
	cp -r "$src/data/osv" "$work/repo/data/"
	# gendb reads the reports from a git repository.
	git -C "$work/repo" init -q
	git -C "$work/repo" add -A
	git -C "$work/repo" -c user.email=ci@cxgate.invalid -c user.name=ci commit -qm "vulndb $VULNDB_PIN"
	go run "golang.org/x/vulndb/cmd/gendb@$VULNDB_PIN" -repo "$work/repo" -out "$work/db"
	mkdir -p "$(dirname "$cache")"
	rm -rf "$cache"
	mv "$work/db" "$cache"
fi
go run "$GOVULNCHECK" -db "file://$cache" ./...
