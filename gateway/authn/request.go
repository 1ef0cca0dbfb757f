package authn

import (
	"net/http"
	"net/netip"
	"strings"
)

// BearerToken returns the token of the request's one "Authorization: Bearer
// <token>" header. It is strict: exactly one Authorization header, the scheme
// Bearer (any case, RFC 9110 section 11.1), one space, then a non-empty
// token of RFC 6750 b64token characters and nothing else. Errors wrap
// ErrUnauthenticated and never quote the header.
func BearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", fail("missing bearer token")
	case 1:
	default:
		return "", fail("more than one Authorization header")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fail("authorization scheme must be Bearer")
	}
	if token == "" {
		return "", fail("missing bearer token")
	}
	if !isB64Token(token) {
		return "", fail("malformed bearer token")
	}
	return token, nil
}

// isB64Token checks RFC 6750's b64token: 1*( ALPHA / DIGIT / "-" / "." /
// "_" / "~" / "+" / "/" ) *"=". Spaces, commas and controls are refused, so
// a header cannot smuggle a second credential or parameters.
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// ClientIP returns the address a `networks` rule is checked against.
//
// It is the connection's peer address unless that peer is inside one of the
// trusted proxy prefixes; only then is X-Forwarded-For read, from the right:
// trusted hops are skipped and the first untrusted address is the client.
// Entries to the left of it were written by the client and are never read.
// A malformed entry within the trusted part gives the zero Addr, which a
// networks rule must treat as "unknown" and deny. When every hop is trusted
// the leftmost one is returned. IPv4-mapped IPv6 addresses are unmapped and
// zones dropped, so prefixes compare as written.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trusted) {
		return peer
	}
	headers := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(headers) - 1; i >= 0; i-- {
		list := headers[i]
		for {
			j := strings.LastIndexByte(list, ',')
			entry := strings.TrimSpace(list[j+1:])
			addr := parseAddr(entry)
			if !addr.IsValid() {
				return netip.Addr{}
			}
			if !inPrefixes(addr, trusted) {
				return addr
			}
			client = addr
			if j < 0 {
				break
			}
			list = list[:j]
		}
	}
	return client
}

// parseAddr reads "ip", "ip:port" or "[ip]:port".
func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		// A prefix written as IPv4-mapped IPv6 is compared as the IPv4
		// prefix it means, since addresses are unmapped.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Contains(a) {
			return true
		}
	}
	return false
}
