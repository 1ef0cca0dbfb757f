# Policy for key management: `cxgate vault init` (create the clients' keys)
# and `cxgate vault rotate` (the retention cron job). Give it to an operator
# or to the cron job's own AppRole, never to the gateway. It cannot encrypt,
# decrypt, hash, export or delete keys. Adjust the mount name if
# vault.transit_mount is not transit.
#
# A Vault glob (*) may only end a path, and it then covers everything below,
# so this one rule grants, for keys named cxgate-*:
#   transit/keys/<key>          create (init), read (flags and versions)
#   transit/keys/<key>/rotate   update (rotate)
#   transit/keys/<key>/config   update (rotate: min_decryption_version; with
#                               --trim also min_encryption_version)
#   transit/keys/<key>/trim     update (rotate --trim: delete shredded versions)
# Deleting a key needs "delete", which is not granted.
path "transit/keys/cxgate-*" {
  capabilities = ["create", "read", "update"]
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
