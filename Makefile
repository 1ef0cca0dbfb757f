.PHONY: test vault-dev fuzz

# The whole test suite (CI runs .ci/run, which builds the Vault test server first).
test:
	go test ./...

# A Vault dev server like the one the tests use: prints VAULT_ADDR and VAULT_TOKEN, Ctrl-C stops it.
vault-dev:
	go run ./vaultclient/vaulttest/cmd/vault-dev

# Fuzz every target for FUZZTIME each (default 10s); failing inputs land in testdata/fuzz/.
fuzz:
	.ci/fuzz.sh
