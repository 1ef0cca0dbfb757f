//go:build tools

// Package vaultserver pins the Vault server that vaulttest builds.
package vaultserver

import _ "github.com/hashicorp/vault"
