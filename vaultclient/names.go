package vaultclient

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName: a client id, mount or KV path that cxgate refuses to use
// (empty, wrong characters, or able to reach outside its mount).
var ErrInvalidName = errors.New("invalid name")

const (
	keyPrefix  = "cxgate-"
	hmacSuffix = "_hmac"
	maxClient  = 64
	maxPath    = 512
)

// ValidateClient checks a client id: [a-z0-9-]+, starting and ending with a
// letter or digit (Vault key names must end in a word character), at most
// 64 characters.
func ValidateClient(client string) error {
	if client == "" || len(client) > maxClient {
		return fmt.Errorf("%w: client id must be 1 to %d characters", ErrInvalidName, maxClient)
	}
	for i := 0; i < len(client); i++ {
		c := client[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: client id %q: only a-z, 0-9 and - are allowed", ErrInvalidName, client)
		}
	}
	if client[0] == '-' || client[len(client)-1] == '-' {
		return fmt.Errorf("%w: client id %q must start and end with a letter or digit", ErrInvalidName, client)
	}
	return nil
}

// KeyName is the transit encryption key of a client: cxgate-<client>.
func KeyName(client string) string { return keyPrefix + client }

// HMACKeyName is the transit HMAC key of a client: cxgate-<client>_hmac. The
// underscore cannot occur in a client id, so no client's encryption key can
// collide with another client's HMAC key (a "-hmac" suffix could: client
// "acme-hmac" versus client "acme").
func HMACKeyName(client string) string { return keyPrefix + client + hmacSuffix }

// ValidateMount checks a mount path (transit_mount, kv_mount, auth mount):
// one or more segments of [A-Za-z0-9._-], no "." or ".." segment.
func ValidateMount(m string) error {
	if m == "" {
		return fmt.Errorf("%w: mount path is empty", ErrInvalidName)
	}
	return validatePath("mount path", m)
}

// ValidateKVPath checks a secret path relative to the KV mount
// ("cxgate/acme/shopify"): segments of [A-Za-z0-9._-], no "." or "..", no
// leading or trailing slash, so it cannot leave the mount.
func ValidateKVPath(p string) error {
	if p == "" {
		return fmt.Errorf("%w: KV path is empty", ErrInvalidName)
	}
	return validatePath("KV path", p)
}

func validatePath(what, p string) error {
	if len(p) > maxPath {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidName, what, maxPath)
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: %s %q has an empty segment (leading, trailing or double slash)", ErrInvalidName, what, p)
		case ".", "..":
			return fmt.Errorf("%w: %s %q may not contain %q", ErrInvalidName, what, p, seg)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("%w: %s %q: only letters, digits, '-', '_', '.' and '/' are allowed", ErrInvalidName, what, p)
			}
		}
	}
	return nil
}
