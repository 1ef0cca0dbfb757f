# Policy for the cxgate gateway (`cxgate serve` and `cxgate vault check`).
# Exactly what the gateway needs, nothing more. Adjust the mount names if
# vault.transit_mount / vault.kv_mount are not transit / secret.

# Tokenize, detokenize and hash with the clients' keys (cxgate-<client> and
# cxgate-<client>_hmac). "update" only: without "create", encrypting with a
# missing key is refused instead of creating a key with the wrong flags.
path "transit/encrypt/cxgate-*" {
  capabilities = ["update"]
}
path "transit/decrypt/cxgate-*" {
  capabilities = ["update"]
}
path "transit/hmac/cxgate-*" {
  capabilities = ["update"]
}

# Read the keys' configuration (flags and versions, never key material):
# cxgate checks the flags before using a key and tells tokens expired by
# retention from foreign ones.
path "transit/keys/cxgate-*" {
  capabilities = ["read"]
}

# Connection credentials (connections.*.credentials.vault paths).
path "secret/data/cxgate/*" {
  capabilities = ["read"]
}

# Keep its own login alive, give its token back at exit, and let
# `cxgate vault check` ask what it may do.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
path "sys/capabilities-self" {
  capabilities = ["update"]
}
