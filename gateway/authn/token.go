package authn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// header is what Verify needs from the protected header before it picks a key.
type header struct {
	alg    string
	kid    string
	hasKid bool
}

// rejectedHeader names the header parameters cxgate refuses, with the reason:
// those that carry or point at a key (only configured keys are trusted), that
// change what is signed (b64, zip), or that demand processing cxgate does not
// do (crit; nested tokens via cty; enc belongs to encrypted tokens).
func rejectedHeader(name string) (string, bool) {
	switch name {
	case "crit":
		return "critical header parameters are not supported", true
	case "b64", "zip":
		return "unsupported header parameter", true
	case "enc":
		return "encrypted tokens are not accepted", true
	case "jwk", "jku", "x5c", "x5u":
		return "embedded keys are not accepted", true
	case "cty":
		return "nested tokens are not accepted", true
	}
	return "", false
}

// parseCompact checks the shape of a compact JWS before any library sees it:
// three non-empty base64url segments, a header that is a JSON object without
// duplicate names, a known algorithm and none of the rejected parameters.
func parseCompact(raw string) (header, error) {
	if strings.HasPrefix(strings.TrimLeft(raw, " \t\r\n"), "{") {
		return header{}, fail("unsupported token serialization")
	}
	segs := strings.Count(raw, ".") + 1
	switch {
	case segs == 5:
		return header{}, fail("encrypted tokens are not accepted")
	case segs != 3:
		return header{}, fail("malformed token")
	}
	for i := 0; i < len(raw); i++ {
		if !isSegmentByte(raw[i]) {
			return header{}, fail("malformed token")
		}
	}
	h64, rest, _ := strings.Cut(raw, ".")
	p64, s64, _ := strings.Cut(rest, ".")
	if h64 == "" || p64 == "" || s64 == "" {
		return header{}, fail("malformed token")
	}
	hb, err := decodeSegment(h64)
	if err != nil {
		return header{}, fail("malformed token header")
	}
	if _, err := decodeSegment(p64); err != nil {
		return header{}, fail("malformed token payload")
	}
	if _, err := decodeSegment(s64); err != nil {
		return header{}, fail("malformed token signature")
	}

	fields, err := decodeObject(hb)
	if err != nil {
		return header{}, fail("malformed token header")
	}
	for name := range fields {
		if reason, bad := rejectedHeader(name); bad {
			return header{}, fail(reason)
		}
	}
	var h header
	algRaw, ok := fields["alg"]
	if !ok || !isJSONString(algRaw) || json.Unmarshal(algRaw, &h.alg) != nil {
		return header{}, fail("malformed token header")
	}
	switch h.alg {
	case AlgRS256, AlgES256, AlgEdDSA, AlgHS256:
	default:
		return header{}, fail("algorithm not allowed")
	}
	if kidRaw, ok := fields["kid"]; ok {
		if !isJSONString(kidRaw) || json.Unmarshal(kidRaw, &h.kid) != nil || h.kid == "" {
			return header{}, fail("malformed token header")
		}
		h.hasKid = true
	}
	if typRaw, ok := fields["typ"]; ok {
		var typ string
		if !isJSONString(typRaw) || json.Unmarshal(typRaw, &typ) != nil || !acceptedType(typ) {
			return header{}, fail("unsupported token type")
		}
	}
	return h, nil
}

// acceptedType allows the media types of a JWT (RFC 7519 section 5.1 and
// RFC 9068): another type means the token was made for another purpose.
func acceptedType(typ string) bool {
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == "jwt" || t == "at+jwt"
}

// decodeSegment decodes unpadded base64url strictly: no padding, no other
// alphabet, no non-zero trailing bits (so one token has one spelling).
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// isSegmentByte allows the base64url alphabet and the segment separator only.
// The base64 decoder skips CR and LF, so they must be refused before it runs.
func isSegmentByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}

func isJSONString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

func isJSONNull(raw json.RawMessage) bool { return string(raw) == "null" }

var errBadObject = errors.New("not a JSON object")

// decodeObject reads one JSON object and returns its members as raw values.
// Duplicate names are an error: two parsers could otherwise disagree on which
// value is meant. So are invalid UTF-8 and anything after the object.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, errBadObject
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errBadObject
	}
	out := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errBadObject
		}
		if _, dup := out[name]; dup {
			return nil, errBadObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errBadObject
	}
	return out, nil
}
