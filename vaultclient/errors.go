package vaultclient

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// kind is an error kind. Kinds that mean "protection cannot run now" also
// match pii.ErrUnavailable, so callers that only know the pii vocabulary
// withhold the value and answer tokenizer_unavailable.
type kind struct {
	msg         string
	unavailable bool
}

func (k *kind) Error() string { return k.msg }

// Is makes errors.Is(err, pii.ErrUnavailable) hold for unavailable kinds.
func (k *kind) Is(target error) bool { return k.unavailable && target == pii.ErrUnavailable }

// Whole-call error kinds. Every one but ErrNotFound matches
// pii.ErrUnavailable through errors.Is: the call protected nothing, and the
// caller must withhold the values it meant to protect.
var (
	// ErrUnavailable: Vault did not answer (unreachable, slower than the
	// configured timeout) or answered 5xx or 429.
	ErrUnavailable error = &kind{"vault unavailable", true}
	// ErrSealed: Vault is sealed.
	ErrSealed error = &kind{"vault is sealed", true}
	// ErrDenied: Vault refused the call (403): the token lacks a policy, or
	// it expired and re-login did not help.
	ErrDenied error = &kind{"vault permission denied", true}
	// ErrLogin: cxgate could not log in (bad credentials, unreadable
	// role_id/secret_id/JWT file, unknown role).
	ErrLogin error = &kind{"vault login failed", true}
	// ErrKeyMissing: a client's transit key does not exist (run
	// `cxgate vault init`).
	ErrKeyMissing error = &kind{"transit key missing (run cxgate vault init)", true}
	// ErrKeyFlags: a client's transit key exists with the wrong flags
	// (not derived, not convergent, wrong type, exportable). cxgate refuses
	// to use it: a non-derived key silently ignores the derivation context.
	ErrKeyFlags error = &kind{"transit key has the wrong flags", true}
	// ErrRejected: Vault rejected the request as malformed (400).
	ErrRejected error = &kind{"vault rejected the request", true}
	// ErrClosed: the client was closed.
	ErrClosed error = &kind{"vault client closed", true}
	// ErrNotFound: nothing at a KV path (or key) that was read directly.
	ErrNotFound error = &kind{"not found in vault", false}
)

// Per-item error kinds (inside a *pii.BatchError), besides pii.ErrInvalidToken
// and pii.ErrExpired.
var (
	// ErrValueTooLong: a value too long for a token (see MaxValueLen).
	ErrValueTooLong = errors.New("value too long to tokenize")
	// ErrUnknownType: an item whose Type is not a PII type.
	ErrUnknownType = errors.New("unknown PII type")
)

// MaxValueLen is the longest value Tokenize accepts, in bytes: its token's
// payload must stay within pii.MaxPayload base64url characters.
const MaxValueLen = 6000

// Error is a failed Vault call. It names the operation and the Vault path
// and carries Vault's own messages, which describe the request, never the
// values in it; cxgate never puts plaintext in a path.
type Error struct {
	Op     string // "encrypt", "read key", "login", ...
	Path   string // the Vault API path, e.g. transit/encrypt/cxgate-acme-retail
	Status int    // HTTP status; 0 when Vault did not answer
	Kind   error  // ErrUnavailable, ErrSealed, ErrDenied, ...
	Detail string // Vault's messages or the transport failure
	Err    error  // the underlying cause, e.g. context.DeadlineExceeded
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	fmt.Fprintf(&b, ": %s %s", e.Op, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// detail joins Vault's error messages into one short line.
func detail(msgs []string) string {
	var parts []string
	for _, m := range msgs {
		for _, l := range strings.Split(m, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
			if l == "" || strings.HasSuffix(l, "error occurred:") || strings.HasSuffix(l, "errors occurred:") {
				continue
			}
			parts = append(parts, l)
		}
	}
	s := strings.Join(parts, "; ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// batchError builds a *pii.BatchError from item errors, or nil.
func batchError(items []pii.ItemError) error {
	if len(items) == 0 {
		return nil
	}
	slices.SortFunc(items, func(a, b pii.ItemError) int { return cmp.Compare(a.Index, b.Index) })
	return &pii.BatchError{Items: items}
}
