package pii

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Token text format (documented in docs/vault.md):
//
//	cxt_<type>_v<version>_<payload>   a token: reversible, deterministic per (client, type, value, key version)
//	cxh_<type>_v<version>_<payload>   a hash: one-way stable pseudonym (transit HMAC)
//
// <type> is the lower-case PII type ("email"), <version> the key version in
// decimal (>= 1), and <payload> the ciphertext or MAC as unpadded base64url.
// The client is not written in the token: it is bound cryptographically (one
// key per client), so a token presented to another client does not decrypt.
// The fixed prefix makes tokens easy to find in free text; the content
// filter leaves them alone and the gateway finds them in inputs.
const (
	TokenPrefix = "cxt_"
	HashPrefix  = "cxh_"

	// MinPayload and MaxPayload bound the base64url payload length in
	// characters: an AES-GCM ciphertext of one byte is 29 bytes (39 chars);
	// an HMAC-SHA256 is 32 bytes (43 chars).
	MinPayload = 16
	MaxPayload = 8192
)

// Kind tells a token from a hash.
type Kind uint8

const (
	KindToken Kind = iota + 1
	KindHash
)

func (k Kind) prefix() string {
	if k == KindHash {
		return HashPrefix
	}
	return TokenPrefix
}

// Token is a parsed token or hash. Payload is the raw ciphertext or MAC.
type Token struct {
	Kind    Kind
	Type    Type
	Version int
	Payload []byte
}

// String formats the token in its text form.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString(t.Kind.prefix())
	b.WriteString(t.Type.Slug())
	b.WriteString("_v")
	b.WriteString(strconv.Itoa(t.Version))
	b.WriteByte('_')
	b.WriteString(base64.RawURLEncoding.EncodeToString(t.Payload))
	return b.String()
}

// LogValue keeps payloads out of logs: only kind, type and version show.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(t.Type)), slog.Int("version", t.Version))
}

// LogValue never shows the value.
func (i Item) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(i.Type)), slog.Int("len", len(i.Value)))
}

// ParseToken parses a whole string as a token or hash. Errors wrap
// ErrInvalidToken and never echo the input.
func ParseToken(s string) (Token, error) {
	n, tok, why := scan(s)
	if why != "" {
		return Token{}, fmt.Errorf("%w: %s", ErrInvalidToken, why)
	}
	if n != len(s) {
		return Token{}, fmt.Errorf("%w: unexpected characters after the payload", ErrInvalidToken)
	}
	return tok, nil
}

// Span is the byte range [Start, End) of a token found in text.
type Span struct {
	Start, End int
	Token      Token
}

// FindTokens returns every well-formed token or hash in text, in order. A
// candidate glued to a preceding word character is not a token.
func FindTokens(text string) []Span {
	var out []Span
	for i := 0; i+4 <= len(text); {
		j := strings.Index(text[i:], "cx")
		if j < 0 {
			break
		}
		start := i + j
		if start > 0 && isPayloadByte(text[start-1]) {
			i = start + 2
			continue
		}
		n, tok, why := scan(text[start:])
		if why != "" {
			i = start + 2
			continue
		}
		out = append(out, Span{Start: start, End: start + n, Token: tok})
		i = start + n
	}
	return out
}

// scan reads a token at the start of s and returns its length in bytes,
// or why it is not a token. It builds no error value: FindTokens calls it
// at every "cx" in a text, and most of those are not tokens.
func scan(s string) (int, Token, string) {
	var t Token
	switch {
	case strings.HasPrefix(s, TokenPrefix):
		t.Kind = KindToken
	case strings.HasPrefix(s, HashPrefix):
		t.Kind = KindHash
	default:
		return 0, t, "missing \"" + TokenPrefix + "\" or \"" + HashPrefix + "\" prefix"
	}
	i := 4
	j := i
	for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
		j++
	}
	if j == i || j >= len(s) || s[j] != '_' {
		return 0, t, "missing PII type"
	}
	typ, ok := typeOfSlug(s[i:j])
	if !ok {
		return 0, t, "unknown PII type"
	}
	t.Type = typ
	i = j + 1
	if i >= len(s) || s[i] != 'v' {
		return 0, t, "missing key version"
	}
	i++
	j = i
	for j < len(s) && j-i < 9 && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i || j >= len(s) || s[j] != '_' || s[i] == '0' {
		return 0, t, "bad key version"
	}
	t.Version, _ = strconv.Atoi(s[i:j])
	i = j + 1
	j = i
	for j < len(s) && isPayloadByte(s[j]) {
		j++
	}
	if j-i < MinPayload || j-i > MaxPayload {
		return 0, t, "payload length out of range"
	}
	p, err := base64.RawURLEncoding.DecodeString(s[i:j])
	if err != nil {
		return 0, t, "payload is not base64url"
	}
	t.Payload = p
	return j, t, ""
}

func isPayloadByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// Error kinds every tokenizer (Vault transit or the local one) reports.
// Callers branch with errors.Is; the gateway maps ErrUnavailable to
// tokenizer_unavailable (503) and the others to invalid_params (400).
var (
	// ErrUnavailable: protection cannot run now (unreachable, sealed, slow,
	// denied). Callers must withhold the value, never pass it through.
	ErrUnavailable = errors.New("tokenizer unavailable")
	// ErrInvalidToken: malformed, tampered, truncated, or minted for another
	// client or PII type.
	ErrInvalidToken = errors.New("invalid token")
	// ErrExpired: the token's key version is older than the client's
	// retention allows (crypto-shredded).
	ErrExpired = errors.New("token expired by retention")
)

// ItemError is the failure of one item of a batch call.
type ItemError struct {
	Index int
	Err   error
}

// BatchError reports the failed items of a batch call by index; the other
// items succeeded. errors.Is on a BatchError matches any item's error.
type BatchError struct {
	Items []ItemError // sorted by Index
}

func (e *BatchError) Error() string {
	if len(e.Items) == 1 {
		return fmt.Sprintf("item %d: %v", e.Items[0].Index, e.Items[0].Err)
	}
	return fmt.Sprintf("%d items failed; first, item %d: %v", len(e.Items), e.Items[0].Index, e.Items[0].Err)
}

// Unwrap lets errors.Is and errors.As see every item's error.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Items))
	for i, it := range e.Items {
		errs[i] = it.Err
	}
	return errs
}

// At returns the error of item i, or nil.
func (e *BatchError) At(i int) error {
	for _, it := range e.Items {
		if it.Index == i {
			return it.Err
		}
	}
	return nil
}

// typeOfSlug maps a lower-case slug to its type without allocating.
func typeOfSlug(slug string) (Type, bool) {
	for _, t := range types {
		if len(t) == len(slug) && strings.EqualFold(string(t), slug) {
			return t, true
		}
	}
	return "", false
}
