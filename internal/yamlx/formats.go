package yamlx

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// FormatError is a string that does not have its format. Offset, when not
// negative, is the byte offset of the problem inside the string.
type FormatError struct {
	Code   string
	Msg    string
	Offset int
}

// Format checks the text of a string value beyond its kind, and tells the
// JSON Schema what it can express of the same rule.
type Format struct {
	Name    string
	Pattern string   // a JSON Schema pattern, when one exists
	Enum    []string // a JSON Schema enum, when the values are a closed list
	Doc     string   // what the schema's description says about the format
	Check   func(s string) *FormatError
}

func fmtErr(code, format string, args ...any) *FormatError {
	return &FormatError{Code: code, Msg: fmt.Sprintf(format, args...), Offset: -1}
}

// ID returns the format of identifiers made of lower-case letters, digits
// and sep ('-' for clients and connections, '_' for inquiries and
// operations), at most 64 characters.
func ID(noun string, sep byte) *Format {
	// Ids start and end with a letter or digit: they become Vault key names
	// (cxgate-<client>), which must end in a word character, and a leading
	// or trailing separator is always a typo.
	charset := "a-z0-9" + string(sep)
	pattern := "^[a-z0-9](?:[" + charset + "]{0,62}[a-z0-9])?$"
	re := regexp.MustCompile(pattern)
	return &Format{
		Name:    "id" + string(sep),
		Pattern: pattern,
		Doc:     fmt.Sprintf("%s: lower-case letters, digits and %q", noun, sep),
		Check: func(s string) *FormatError {
			if re.MatchString(s) {
				return nil
			}
			if len(s) > 64 {
				return fmtErr("bad-id", "%s %q is too long (at most 64 characters)", noun, s)
			}
			fixed := strings.Map(func(r rune) rune {
				switch {
				case r >= 'A' && r <= 'Z':
					return r + 'a' - 'A'
				case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == rune(sep):
					return r
				case r == '-' || r == '_' || r == ' ' || r == '.':
					return rune(sep)
				}
				return -1
			}, s)
			hint := ""
			if fixed != "" && fixed != s && re.MatchString(fixed) {
				hint = fmt.Sprintf("; did you mean %q?", fixed)
			}
			if fixed == s {
				return fmtErr("bad-id", "%s %q must start and end with a letter or digit", noun, s)
			}
			return fmtErr("bad-id", "%s %q may only use lower-case letters, digits and %q%s", noun, s, sep, hint)
		},
	}
}

// Duration is the format of durations such as 30d or 10s.
var Duration = &Format{
	Name:    "duration",
	Pattern: DurationPattern,
	Doc:     "a duration: whole numbers with units ms, s, m, h, d or w (30d, 10s, 1h30m)",
	Check: func(s string) *FormatError {
		if _, err := ParseDuration(s); err != nil {
			return fmtErr("bad-duration", "invalid duration %q: %v", s, err)
		}
		return nil
	},
}

// CIDR is the format of IPv4 and IPv6 networks.
var CIDR = &Format{
	Name: "cidr",
	Doc:  "an IPv4 or IPv6 network in CIDR form (198.51.100.0/24, 2001:db8::/32)",
	Check: func(s string) *FormatError {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				return fmtErr("bad-cidr", "%q is an address, not a network; write %s/%d for this one address", s, a, a.BitLen())
			}
			return fmtErr("bad-cidr", "%q is not an IPv4 or IPv6 network in CIDR form (such as 198.51.100.0/24 or 2001:db8::/32)", s)
		}
		if p.Masked() != p {
			return fmtErr("bad-cidr", "network %q has bits set after the prefix length; did you mean %q?", s, p.Masked().String())
		}
		return nil
	},
}

// Regexp is the format of regular expressions (RE2 syntax, as Go reads them).
var Regexp = &Format{
	Name: "regexp",
	Doc:  "a regular expression (RE2 syntax)",
	Check: func(s string) *FormatError {
		if len(s) > 1000 {
			return fmtErr("bad-pattern", "pattern is too long (at most 1000 characters)")
		}
		if _, err := regexp.Compile(s); err != nil {
			msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			return fmtErr("bad-pattern", "invalid pattern: %s", msg)
		}
		return nil
	},
}

// FieldPath is the format of field paths (a.b, items[].title, tags[]).
var FieldPath = &Format{
	Name:    "fieldpath",
	Pattern: `^[A-Za-z_][A-Za-z0-9_]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\])?)*$`,
	Doc:     "a field path: names joined by dots, [] after a name for every element of a list (customer.email, line_items[].title, tags[])",
	Check: func(s string) *FormatError {
		if _, err := fieldpath.Parse(s); err != nil {
			if fe, ok := err.(*fieldpath.Error); ok {
				return &FormatError{Code: "bad-field-path", Msg: fmt.Sprintf("invalid field path %q: %s", s, fe.Msg), Offset: fe.Offset}
			}
			return fmtErr("bad-field-path", "invalid field path %q", s)
		}
		return nil
	},
}

// URL is the format of absolute http(s) URLs without credentials.
var URL = &Format{
	Name: "url",
	Doc:  "an absolute https:// (or http:// for loopback) URL",
	Check: func(s string) *FormatError {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmtErr("bad-url", "%q is not an absolute URL such as https://example.com", s)
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			return fmtErr("bad-url", "URL scheme %q is not supported; use https", u.Scheme)
		}
		if u.User != nil {
			return fmtErr("bad-url", "URLs must not carry credentials; put secrets where credentials: points")
		}
		return nil
	},
}

// HostPort is the format of listen addresses (host:port).
var HostPort = &Format{
	Name: "hostport",
	Doc:  "a listen address host:port (127.0.0.1:8080, [::1]:8443, :8080)",
	Check: func(s string) *FormatError {
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			return fmtErr("bad-address", "%q is not a host:port address such as 127.0.0.1:8080", s)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return fmtErr("bad-address", "port %q of %q is not a number from 0 to 65535", port, s)
		}
		if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
			return fmtErr("bad-address", "host %q of %q is not an IP address or host name", host, s)
		}
		return nil
	},
}

// Size is the format of byte sizes: a whole number with an optional unit
// B, KB, KiB, MB, MiB, GB or GiB.
var Size = &Format{
	Name:    "size",
	Pattern: `^[0-9]+ ?(B|KB|KiB|MB|MiB|GB|GiB)?$`,
	Doc:     "a size in bytes, with an optional unit (65536, 64KiB, 1MiB, 1MB)",
	Check: func(s string) *FormatError {
		if _, err := ParseSize(s); err != nil {
			return fmtErr("bad-size", "invalid size %q: %v", s, err)
		}
		return nil
	},
}

// ParseSize reads a byte size written as Size describes.
func ParseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("expected a whole number of bytes, optionally with a unit (KiB, MiB, KB, MB)")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number too large")
	}
	mult := int64(1)
	switch strings.TrimSpace(s[i:]) {
	case "", "B":
	case "KB":
		mult = 1000
	case "KiB":
		mult = 1 << 10
	case "MB":
		mult = 1000 * 1000
	case "MiB":
		mult = 1 << 20
	case "GB":
		mult = 1000 * 1000 * 1000
	case "GiB":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("unknown unit %q (use B, KB, KiB, MB, MiB, GB or GiB)", strings.TrimSpace(s[i:]))
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size too large")
	}
	return n * mult, nil
}

// Country is the format of ISO 3166-1 alpha-2 country codes.
var Country = &Format{
	Name: "country",
	Enum: Countries(),
	Doc:  "an ISO 3166-1 alpha-2 country code in capitals (GB, IE, US)",
	Check: func(s string) *FormatError {
		if IsCountry(s) {
			return nil
		}
		if alias, ok := countryAliases[strings.ToUpper(s)]; ok {
			return fmtErr("bad-country", "%q is not an ISO 3166-1 alpha-2 country code; did you mean %q?", s, alias)
		}
		if IsCountry(strings.ToUpper(s)) {
			return fmtErr("bad-country", "country codes are written in capitals; did you mean %q?", strings.ToUpper(s))
		}
		return fmtErr("bad-country", "%q is not an ISO 3166-1 alpha-2 country code (such as GB, IE, US)", s)
	},
}

var countryAliases = map[string]string{"UK": "GB", "EL": "GR", "EN": "GB"}

const countryCodes = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"YE YT " +
	"ZA ZM ZW"

// Countries lists the ISO 3166-1 alpha-2 codes (a fresh slice).
func Countries() []string { return strings.Fields(countryCodes) }

// IsCountry reports whether s is an assigned ISO 3166-1 alpha-2 code.
func IsCountry(s string) bool {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return false
	}
	return strings.Contains(countryCodes, s) && strings.Index(countryCodes, s)%3 == 0
}
