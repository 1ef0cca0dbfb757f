package authn

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Claim limits. They bound what an issuer may put in a Principal, so logs,
// audit records and policy decisions never handle unbounded values.
const (
	maxSubjectLen  = 256
	maxAMR         = 32
	maxAMRLen      = 64
	maxClients     = 1024
	maxClientIDLen = 63
	// maxNumericDate is 9999-12-31T23:59:59Z: a later date is a mistake.
	maxNumericDate = 253402300799
)

// secondFactors are the amr values (RFC 8176) that mean a second factor.
func isSecondFactor(m string) bool {
	switch m {
	case "mfa", "otp", "hwk", "sms":
		return true
	}
	return false
}

// claims validates the verified payload and builds the Principal. Reasons name
// the claim, never its value.
func (v *Verifier) claims(payload []byte) (Principal, error) {
	c, err := decodeObject(payload)
	if err != nil {
		return Principal{}, fail("malformed claims")
	}
	present := func(name string) (json.RawMessage, bool) {
		raw, ok := c[name]
		if !ok || isJSONNull(raw) {
			return nil, false
		}
		return raw, true
	}

	// Who signed it and for whom.
	raw, ok := present("iss")
	if !ok {
		return Principal{}, fail("missing issuer")
	}
	iss, ok := jsonString(raw)
	if !ok {
		return Principal{}, fail("malformed issuer")
	}
	if iss != v.issuer {
		return Principal{}, fail("wrong issuer")
	}
	raw, ok = present("aud")
	if !ok {
		return Principal{}, fail("missing audience")
	}
	auds, ok := stringOrStrings(raw)
	if !ok {
		return Principal{}, fail("malformed audience")
	}
	if !contains(auds, v.audience) {
		return Principal{}, fail("wrong audience")
	}

	// When.
	now := v.now()
	raw, ok = present("exp")
	if !ok {
		return Principal{}, fail("missing expiry")
	}
	exp, ok := numericDate(raw)
	if !ok {
		return Principal{}, fail("malformed expiry")
	}
	raw, ok = present("iat")
	if !ok {
		return Principal{}, fail("missing issued-at")
	}
	iat, ok := numericDate(raw)
	if !ok {
		return Principal{}, fail("malformed issued-at")
	}
	if !now.Before(exp.Add(v.skew)) {
		return Principal{}, fail("token expired")
	}
	if iat.After(now.Add(v.skew)) {
		return Principal{}, fail("token issued in the future")
	}
	if raw, ok := present("nbf"); ok {
		nbf, ok := numericDate(raw)
		if !ok {
			return Principal{}, fail("malformed not-before")
		}
		if nbf.After(now.Add(v.skew)) {
			return Principal{}, fail("token not yet valid")
		}
	}
	if !exp.After(iat) {
		return Principal{}, fail("token expires before it was issued")
	}
	if exp.Sub(iat) > v.maxLifetime {
		return Principal{}, fail("token lifetime too long")
	}

	// Who.
	p := Principal{IssuedAt: iat, Expiry: exp, AMR: []string{}, Clients: []string{}}
	raw, ok = present("sub")
	if !ok {
		return Principal{}, fail("missing subject")
	}
	if p.Subject, ok = jsonString(raw); !ok || !validSubject(p.Subject) {
		return Principal{}, fail("invalid subject")
	}
	raw, ok = present("tier")
	if !ok {
		return Principal{}, fail("missing tier")
	}
	if p.Tier, ok = tier(raw); !ok {
		return Principal{}, fail("invalid tier")
	}
	if raw, ok := present("amr"); ok {
		amr, ok := stringArray(raw)
		if !ok || len(amr) > maxAMR {
			return Principal{}, fail("invalid amr")
		}
		for _, m := range amr {
			if m == "" || len(m) > maxAMRLen || !printable(m) {
				return Principal{}, fail("invalid amr")
			}
			p.MFA = p.MFA || isSecondFactor(m)
		}
		p.AMR = amr
	}
	if raw, ok := present("country"); ok {
		if p.Country, ok = jsonString(raw); !ok || !isCountry(p.Country) {
			return Principal{}, fail("invalid country")
		}
	}
	raw, ok = present("clients")
	if !ok {
		return Principal{}, fail("missing clients")
	}
	clients, ok := stringArray(raw)
	if !ok || len(clients) > maxClients {
		return Principal{}, fail("invalid clients")
	}
	seen := make(map[string]bool, len(clients))
	for _, id := range clients {
		if !ValidClientID(id) {
			return Principal{}, fail("invalid clients")
		}
		if !seen[id] {
			seen[id] = true
			p.Clients = append(p.Clients, id)
		}
	}
	return p, nil
}

// ValidClientID reports whether id is a client id as scope files spell it:
// [a-z0-9-]+, at most 63 characters.
func ValidClientID(id string) bool {
	if id == "" || len(id) > maxClientIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validSubject(s string) bool {
	return s != "" && len(s) <= maxSubjectLen && printable(s)
}

// printable refuses control and format characters (and invalid UTF-8), which
// could forge lines or hide text in logs and audit records.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if !isJSONString(raw) || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func stringArray(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := jsonString(it)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// stringOrStrings reads `aud`, which RFC 7519 allows as a string or an array.
func stringOrStrings(raw json.RawMessage) ([]string, bool) {
	if s, ok := jsonString(raw); ok {
		return []string{s}, true
	}
	return stringArray(raw)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// jsonNumber returns the value of a JSON number literal; strings, booleans
// and everything else are refused rather than converted.
func jsonNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// numericDate reads an RFC 7519 NumericDate: seconds since the epoch, which
// may carry a fraction.
func numericDate(raw json.RawMessage) (time.Time, bool) {
	f, ok := jsonNumber(raw)
	if !ok || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// tier reads an integer 0..9 from the number literal itself: one digit,
// optionally followed by a zero fraction (2 or 2.0, as some encoders write
// integers). Fractions, signs, exponents, strings and anything else are
// refused, so no float rounding can turn a forged value into a tier.
func tier(raw json.RawMessage) (int, bool) {
	s := string(raw)
	if len(s) == 0 || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	if rest := s[1:]; rest != "" {
		if len(rest) < 2 || rest[0] != '.' || strings.Trim(rest[1:], "0") != "" {
			return 0, false
		}
	}
	return int(s[0] - '0'), true
}
