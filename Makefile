.PHONY: test vault-dev

# The whole test suite (CI runs .ci/run, which builds the Vault test server first).
test:
	go test ./...

# A Vault dev server like the one the tests use: prints VAULT_ADDR and VAULT_TOKEN, Ctrl-C stops it.
vault-dev:
	go run ./vaultclient/vaulttest/cmd/vault-dev
