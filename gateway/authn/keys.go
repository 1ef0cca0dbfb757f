package authn

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Key limits.
const (
	minRSABits = 2048
	maxRSABits = 4096 // go-jose's own ceiling for JWKs; PEM keys get the same
	// maxKeysFileBytes bounds the keys file: a JWKS of public keys is small.
	maxKeysFileBytes = 1 << 20
)

// verifyKey is one configured key with the one algorithm it verifies.
type verifyKey struct {
	id  string                  // `kid`, or the RFC 7638 thumbprint when the file gave none
	alg jose.SignatureAlgorithm // fixed by the key type
	pub any                     // ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey or []byte (HS256)
}

// keySet is immutable once built; Reload replaces it whole.
type keySet struct {
	byID  map[string]*verifyKey
	byAlg map[jose.SignatureAlgorithm][]*verifyKey
	ids   []string
}

// candidates picks the keys that may verify a token with this header: the key
// named by kid (which must verify alg), or without kid every key for alg.
func (ks *keySet) candidates(alg, kid string, hasKid bool) ([]*verifyKey, error) {
	if hasKid {
		k, ok := ks.byID[kid]
		if !ok {
			return nil, fail("unknown key id")
		}
		if string(k.alg) != alg {
			return nil, fail("algorithm not allowed for this key")
		}
		return []*verifyKey{k}, nil
	}
	keys := ks.byAlg[jose.SignatureAlgorithm(alg)]
	if len(keys) == 0 {
		return nil, fail("algorithm not allowed")
	}
	return keys, nil
}

func newKeySet(keys []*verifyKey) *keySet {
	ks := &keySet{byID: map[string]*verifyKey{}, byAlg: map[jose.SignatureAlgorithm][]*verifyKey{}}
	for _, k := range keys {
		if k.id != "" {
			ks.byID[k.id] = k
			ks.ids = append(ks.ids, k.id)
		}
		ks.byAlg[k.alg] = append(ks.byAlg[k.alg], k)
	}
	sort.Strings(ks.ids)
	return ks
}

func hs256KeySet(secret []byte) (*keySet, error) {
	if len(secret) < MinHS256SecretBytes {
		return nil, fmt.Errorf("authn: HS256 secret has %d bytes; at least %d are required", len(secret), MinHS256SecretBytes)
	}
	return newKeySet([]*verifyKey{{alg: jose.HS256, pub: bytes.Clone(secret)}}), nil
}

// KeyFileError is one problem in a keys file, printed as
// FILE:LINE:COL: error: MESSAGE [code] (LINE:COL omitted when not known).
type KeyFileError struct {
	File    string
	Line    int
	Col     int
	Message string
	Code    string
}

func (e *KeyFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: error: %s [%s]", e.File, e.Line, e.Col, e.Message, e.Code)
	}
	return fmt.Sprintf("%s: error: %s [%s]", e.File, e.Message, e.Code)
}

// Problem codes of KeyFileError.
const (
	CodeKeysIO          = "keys_io"
	CodeKeysMalformed   = "keys_malformed"
	CodeKeysEmpty       = "keys_empty"
	CodePrivateKey      = "private_key"
	CodeSymmetricKey    = "symmetric_key"
	CodeWeakKey         = "weak_key"
	CodeUnsupportedKey  = "unsupported_key"
	CodeAlgMismatch     = "alg_mismatch"
	CodeKeyUse          = "key_use"
	CodeDuplicateKeyID  = "duplicate_kid"
	CodeUnsupportedPEM  = "unsupported_pem_block"
	CodeInvalidKeyField = "invalid_key"
)

// problems collects every problem of one file, in file order.
type problems struct {
	file string
	data []byte
	errs []error
}

func (p *problems) add(offset int, code, format string, args ...any) {
	e := &KeyFileError{File: p.file, Message: fmt.Sprintf(format, args...), Code: code}
	if offset >= 0 {
		e.Line, e.Col = position(p.data, offset)
	}
	p.errs = append(p.errs, e)
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// position turns a byte offset into a 1-based line and column (in runes).
func position(data []byte, offset int) (int, int) {
	offset = min(offset, len(data))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, len([]rune(string(before[start:]))) + 1
}

func loadKeysFile(path string) (*keySet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &KeyFileError{File: path, Message: "cannot open keys file: " + ioReason(err), Code: CodeKeysIO}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeysFileBytes+1))
	if err != nil {
		return nil, &KeyFileError{File: path, Message: "cannot read keys file: " + ioReason(err), Code: CodeKeysIO}
	}
	if len(data) > maxKeysFileBytes {
		return nil, &KeyFileError{File: path, Message: fmt.Sprintf("keys file is larger than %d bytes", maxKeysFileBytes), Code: CodeKeysIO}
	}
	return parseKeys(path, data)
}

// ioReason keeps the OS reason without repeating the path.
func ioReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseKeys reads a JWKS (the file starts with '{') or PEM blocks.
func parseKeys(name string, data []byte) (*keySet, error) {
	p := &problems{file: name, data: data}
	var keys []*verifyKey
	var offsets []int
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		keys, offsets = parseJWKS(p)
	} else {
		keys, offsets = parsePEM(p)
	}
	if len(p.errs) == 0 && len(keys) == 0 {
		p.add(-1, CodeKeysEmpty, "no public keys found (expected a JWK set {\"keys\":[...]} or PEM PUBLIC KEY / CERTIFICATE blocks)")
	}
	seen := map[string]int{}
	for i, k := range keys {
		if j, dup := seen[k.id]; dup {
			l, c := position(data, offsets[j])
			p.add(offsets[i], CodeDuplicateKeyID, "key id %q is also used by the key at %d:%d", k.id, l, c)
			continue
		}
		seen[k.id] = i
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return newKeySet(keys), nil
}

// parseJWKS walks {"keys":[...]} with a token decoder so that every problem
// names the line of the key it is about.
func parseJWKS(p *problems) ([]*verifyKey, []int) {
	dec := json.NewDecoder(bytes.NewReader(p.data))
	syntax := func(err error) {
		// A streaming decoder reports offsets relative to its buffer; a
		// whole-document pass gives the absolute position of the error.
		var se *json.SyntaxError
		var whole any
		if errors.As(json.Unmarshal(p.data, &whole), &se) {
			p.add(max(int(se.Offset)-1, 0), CodeKeysMalformed, "invalid JSON: %s", se.Error())
			return
		}
		p.add(int(dec.InputOffset()), CodeKeysMalformed, "invalid JWK set: expected {\"keys\":[...]}")
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		if err != nil {
			syntax(err)
		} else {
			p.add(skipSpace(p.data, 0), CodeKeysMalformed, "invalid JWK set: expected {\"keys\":[...]}")
		}
		return nil, nil
	}
	var keys []*verifyKey
	var offsets []int
	sawKeys := false
	for dec.More() {
		nameOff := skipSpace(p.data, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			syntax(err)
			return nil, nil
		}
		if tok != "keys" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				syntax(err)
				return nil, nil
			}
			continue
		}
		if sawKeys {
			p.add(nameOff, CodeKeysMalformed, "duplicate \"keys\" member")
			return nil, nil
		}
		sawKeys = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			p.add(nameOff, CodeKeysMalformed, "\"keys\" must be an array of JWKs")
			return nil, nil
		}
		for i := 0; dec.More(); i++ {
			off := skipSpace(p.data, int(dec.InputOffset()))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				syntax(err)
				return nil, nil
			}
			if k := parseJWK(p, off, i, raw); k != nil {
				keys = append(keys, k)
				offsets = append(offsets, off)
			}
		}
		if _, err := dec.Token(); err != nil {
			syntax(err)
			return nil, nil
		}
	}
	if _, err := dec.Token(); err != nil {
		syntax(err)
		return nil, nil
	}
	extra := skipSpace(p.data, int(dec.InputOffset()))
	if _, err := dec.Token(); err != io.EOF {
		p.add(extra, CodeKeysMalformed, "unexpected data after the JWK set")
		return nil, nil
	}
	if !sawKeys {
		p.add(0, CodeKeysMalformed, "invalid JWK set: missing \"keys\" (expected {\"keys\":[...]})")
	}
	return keys, offsets
}

// skipSpace moves off past whitespace and the commas between values, so an
// offset taken between tokens points at the next value.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// privateJWKMembers are the JWK members that only private or symmetric keys have.
func privateJWKMember(name string) bool {
	switch name {
	case "d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv":
		return true
	}
	return false
}

func parseJWK(p *problems, off, index int, raw json.RawMessage) *verifyKey {
	label := fmt.Sprintf("key %d", index+1)
	members, err := decodeObject(raw)
	if err != nil {
		p.add(off, CodeKeysMalformed, "%s: a JWK must be a JSON object without duplicate members", label)
		return nil
	}
	var kty, kid, use string
	var ops []string
	for name, v := range members {
		switch name {
		case "kty":
			kty, _ = jsonString(v)
		case "kid":
			kid, _ = jsonString(v)
		case "use":
			use, _ = jsonString(v)
		case "key_ops":
			ops, _ = stringArray(v)
		}
	}
	if kid != "" {
		label = fmt.Sprintf("key %d (kid %q)", index+1, kid)
	}
	if kty == "oct" {
		p.add(off, CodeSymmetricKey, "%s: symmetric (oct) keys are not accepted in a keys file; HS256 is configured as a dev-only secret", label)
		return nil
	}
	for name := range members {
		if privateJWKMember(name) {
			p.add(off, CodePrivateKey, "%s: holds private key material; the keys file must contain public keys only", label)
			return nil
		}
	}
	if use != "" && use != "sig" {
		p.add(off, CodeKeyUse, "%s: \"use\" is %q; verification keys must have use \"sig\"", label, use)
		return nil
	}
	if ops != nil && !contains(ops, "verify") {
		p.add(off, CodeKeyUse, "%s: \"key_ops\" does not include \"verify\"", label)
		return nil
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		msg := joseReason(err)
		if errors.Is(err, jose.ErrUnsupportedKeyType) {
			p.add(off, CodeUnsupportedKey, "%s: unsupported or incomplete key (kty %q; want RSA, EC P-256 or OKP Ed25519)", label, kty)
			return nil
		}
		p.add(off, CodeInvalidKeyField, "%s: %s", label, msg)
		return nil
	}
	k, code, msg := checkPublicKey(jwk.Key)
	if k == nil {
		p.add(off, code, "%s: %s", label, msg)
		return nil
	}
	if jwk.Algorithm != "" && jwk.Algorithm != string(k.alg) {
		p.add(off, CodeAlgMismatch, "%s: alg %q does not match the key type (%s keys verify %s only)", label, jwk.Algorithm, keyKind(k.alg), k.alg)
		return nil
	}
	k.id = kid
	if k.id == "" {
		k.id = thumbprint(k.pub)
	}
	return k
}

// parsePEM reads PUBLIC KEY, RSA PUBLIC KEY and CERTIFICATE blocks. Text
// between blocks is allowed (openssl writes some); a private key is not.
func parsePEM(p *problems) ([]*verifyKey, []int) {
	var keys []*verifyKey
	var offsets []int
	rest := p.data
	for n := 1; ; n++ {
		begin := bytes.Index(rest, []byte("-----BEGIN "))
		if begin < 0 {
			break
		}
		off := len(p.data) - len(rest) + begin
		block, after := pem.Decode(rest[begin:])
		if block == nil {
			p.add(off, CodeKeysMalformed, "PEM block %d is malformed", n)
			break
		}
		rest = after
		label := fmt.Sprintf("PEM block %d (%s)", n, block.Type)
		var pub any
		var err error
		switch {
		case strings.Contains(block.Type, "PRIVATE KEY"):
			p.add(off, CodePrivateKey, "%s: private keys are not accepted; the keys file must contain public keys only", label)
			continue
		case block.Type == "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case block.Type == "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case block.Type == "CERTIFICATE":
			// The certificate is a container for a pinned key: its chain and
			// validity are not checked, the key is trusted because it is here.
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = cert.PublicKey
			}
		default:
			p.add(off, CodeUnsupportedPEM, "%s: unsupported PEM block type (want PUBLIC KEY or CERTIFICATE)", label)
			continue
		}
		if err != nil {
			p.add(off, CodeInvalidKeyField, "%s: cannot parse: %s", label, strings.TrimPrefix(err.Error(), "x509: "))
			continue
		}
		k, code, msg := checkPublicKey(pub)
		if k == nil {
			p.add(off, code, "%s: %s", label, msg)
			continue
		}
		// A round trip through go-jose's JWK decoder applies the same checks
		// a JWKS key gets (RSA ceiling, low-order Ed25519 points).
		if b, err := json.Marshal(jose.JSONWebKey{Key: k.pub}); err != nil {
			p.add(off, CodeInvalidKeyField, "%s: %s", label, joseReason(err))
			continue
		} else if err := new(jose.JSONWebKey).UnmarshalJSON(b); err != nil {
			p.add(off, CodeInvalidKeyField, "%s: %s", label, joseReason(err))
			continue
		}
		k.id = thumbprint(k.pub)
		keys = append(keys, k)
		offsets = append(offsets, off)
	}
	if len(keys) == 0 && len(p.errs) == 0 && len(bytes.TrimSpace(p.data)) > 0 {
		p.add(0, CodeKeysMalformed, "neither a JWK set nor PEM blocks")
	}
	return keys, offsets
}

// checkPublicKey pins the algorithm to the key type and refuses weak,
// unsupported and private keys.
func checkPublicKey(pub any) (*verifyKey, string, string) {
	switch key := pub.(type) {
	case *rsa.PublicKey:
		bits := key.N.BitLen()
		if bits < minRSABits {
			return nil, CodeWeakKey, fmt.Sprintf("RSA key has %d bits; at least %d are required", bits, minRSABits)
		}
		if bits > maxRSABits {
			return nil, CodeUnsupportedKey, fmt.Sprintf("RSA key has %d bits; at most %d are supported", bits, maxRSABits)
		}
		if key.E < 3 || key.E%2 == 0 {
			return nil, CodeWeakKey, "RSA public exponent is invalid"
		}
		return &verifyKey{alg: jose.RS256, pub: key}, "", ""
	case *ecdsa.PublicKey:
		if key.Curve != elliptic.P256() {
			return nil, CodeUnsupportedKey, fmt.Sprintf("EC key on curve %s is not supported (want P-256 for ES256)", key.Curve.Params().Name)
		}
		return &verifyKey{alg: jose.ES256, pub: key}, "", ""
	case ed25519.PublicKey:
		return &verifyKey{alg: jose.EdDSA, pub: key}, "", ""
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return nil, CodePrivateKey, "private keys are not accepted; the keys file must contain public keys only"
	}
	return nil, CodeUnsupportedKey, "unsupported key type (want RSA, EC P-256 or Ed25519)"
}

// joseReason keeps the library's own words and drops its prefixes and the
// encoding/json wrapping around them.
func joseReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "go-jose/go-jose: "); i >= 0 {
		msg = msg[i+len("go-jose/go-jose: "):]
	}
	return msg
}

func keyKind(alg jose.SignatureAlgorithm) string {
	switch alg {
	case jose.RS256:
		return "RSA"
	case jose.ES256:
		return "EC P-256"
	case jose.EdDSA:
		return "Ed25519"
	}
	return "HMAC"
}

// thumbprint is the RFC 7638 SHA-256 thumbprint, base64url: the id of a key
// that came without a `kid`.
func thumbprint(pub any) string {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}
