package authn

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestBearerToken(t *testing.T) {
	const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln"
	cases := []struct {
		name    string
		headers []string // Authorization values
		want    string
		reason  string
	}{
		{"ok", []string{"Bearer " + jwt}, jwt, ""},
		{"scheme in lower case", []string{"bearer " + jwt}, jwt, ""},
		{"scheme in upper case", []string{"BEARER " + jwt}, jwt, ""},
		{"b64token with padding", []string{"Bearer abc+/~=="}, "abc+/~==", ""},
		{"missing", nil, "", "missing bearer token"},
		{"empty header", []string{""}, "", "authorization scheme must be Bearer"},
		{"basic", []string{"Basic ZXhwZXJ0OnB3"}, "", "authorization scheme must be Bearer"},
		{"scheme only", []string{"Bearer"}, "", "authorization scheme must be Bearer"},
		{"scheme and space", []string{"Bearer "}, "", "missing bearer token"},
		{"two spaces", []string{"Bearer  " + jwt}, "", "malformed bearer token"},
		{"tab separator", []string{"Bearer\t" + jwt}, "", "authorization scheme must be Bearer"},
		{"trailing space", []string{"Bearer " + jwt + " "}, "", "malformed bearer token"},
		{"two tokens", []string{"Bearer " + jwt + " " + jwt}, "", "malformed bearer token"},
		{"comma list", []string{"Bearer " + jwt + ", Basic eA=="}, "", "malformed bearer token"},
		{"quoted", []string{`Bearer "` + jwt + `"`}, "", "malformed bearer token"},
		{"only padding", []string{"Bearer ==="}, "", "malformed bearer token"},
		{"padding in the middle", []string{"Bearer ab=cd"}, "", "malformed bearer token"},
		{"non-ASCII", []string{"Bearer tökén"}, "", "malformed bearer token"},
		{"Bearer prefix glued", []string{"Bearer" + jwt}, "", "authorization scheme must be Bearer"},
		{"two headers", []string{"Bearer " + jwt, "Bearer " + jwt}, "", "more than one Authorization header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1/clients/acme-retail/inquiries", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := BearerToken(r)
			if tc.reason == "" {
				if err != nil || got != tc.want {
					t.Fatalf("BearerToken = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || err.Error() != "unauthenticated: "+tc.reason {
				t.Fatalf("err = %v, want %q", err, tc.reason)
			}
			if got != "" {
				t.Errorf("token %q returned with an error", got)
			}
			if strings.Contains(err.Error(), jwt) {
				t.Error("error quotes the token")
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	// The load balancers of the test network live in 192.0.2.0/24 and
	// 2001:db8:1::/48; clients in 203.0.113.0/24; 198.51.100.0/24 is what
	// an attacker claims to be (an address a networks rule might allow).
	trusted := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}
	cases := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string // "" = the zero Addr
	}{
		{"direct, no proxies configured", "203.0.113.7:51234", nil, nil, "203.0.113.7"},
		{"spoofed XFF, no proxies configured", "203.0.113.7:51234", []string{"198.51.100.10"}, nil, "203.0.113.7"},
		{"spoofed XFF from an untrusted peer", "203.0.113.7:51234", []string{"198.51.100.10"}, trusted, "203.0.113.7"},
		{"spoofed XFF naming a trusted proxy", "203.0.113.7:51234", []string{"192.0.2.1"}, trusted, "203.0.113.7"},
		{"trusted proxy, one hop", "192.0.2.10:443", []string{"203.0.113.7"}, trusted, "203.0.113.7"},
		{"trusted proxy, client-supplied prefix ignored", "192.0.2.10:443", []string{"198.51.100.10, 203.0.113.7"}, trusted, "203.0.113.7"},
		{"two trusted hops", "192.0.2.10:443", []string{"198.51.100.10, 203.0.113.7, 192.0.2.11"}, trusted, "203.0.113.7"},
		{"client forges a trusted hop on the left", "192.0.2.10:443", []string{"192.0.2.99, 203.0.113.7"}, trusted, "203.0.113.7"},
		{"several XFF headers", "192.0.2.10:443", []string{"198.51.100.10", "203.0.113.7, 192.0.2.11"}, trusted, "203.0.113.7"},
		{"spaces and no spaces", "192.0.2.10:443", []string{"198.51.100.10,203.0.113.7 ,  192.0.2.11"}, trusted, "203.0.113.7"},
		{"entry with a port", "192.0.2.10:443", []string{"203.0.113.7:5555"}, trusted, "203.0.113.7"},
		{"IPv6 entry with a port", "192.0.2.10:443", []string{"[2001:db8:2::7]:5555"}, trusted, "2001:db8:2::7"},
		{"IPv6 entry in brackets", "192.0.2.10:443", []string{"[2001:db8:2::7]"}, trusted, "2001:db8:2::7"},
		{"trusted proxy without XFF", "192.0.2.10:443", nil, trusted, "192.0.2.10"},
		{"every hop trusted", "192.0.2.10:443", []string{"192.0.2.12, 192.0.2.11"}, trusted, "192.0.2.12"},
		{"garbage left of the client is never read", "192.0.2.10:443", []string{"<script>, 203.0.113.7"}, trusted, "203.0.113.7"},
		{"garbage from a trusted hop", "192.0.2.10:443", []string{"203.0.113.7, unknown"}, trusted, ""},
		{"empty XFF", "192.0.2.10:443", []string{""}, trusted, ""},
		{"empty element", "192.0.2.10:443", []string{"203.0.113.7,,"}, trusted, ""},
		{"obfuscated IPv4", "192.0.2.10:443", []string{"0xCB.0.113.7"}, trusted, ""},
		{"IPv6 peer", "[2001:db8:2::7]:443", []string{"198.51.100.10"}, trusted, "2001:db8:2::7"},
		{"IPv6 trusted proxy", "[2001:db8:1::10]:443", []string{"203.0.113.7"}, trusted, "203.0.113.7"},
		{"IPv4-mapped peer unmapped", "[::ffff:203.0.113.7]:443", nil, trusted, "203.0.113.7"},
		{"IPv4-mapped trusted peer", "[::ffff:192.0.2.10]:443", []string{"203.0.113.7"}, trusted, "203.0.113.7"},
		{"IPv4-mapped prefix", "192.0.2.10:443", []string{"203.0.113.7"}, []netip.Prefix{netip.MustParsePrefix("::ffff:192.0.2.0/120")}, "203.0.113.7"},
		{"zone dropped", "[fe80::1%eth0]:443", nil, nil, "fe80::1"},
		{"remote without a port", "203.0.113.7", nil, nil, "203.0.113.7"},
		{"unparseable remote", "pipe", []string{"203.0.113.7"}, trusted, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1/clients/acme-retail/inquiries", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got := ClientIP(r, tc.trusted)
			if tc.want == "" {
				if got.IsValid() {
					t.Fatalf("ClientIP = %s, want the zero Addr", got)
				}
				return
			}
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("ClientIP = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestClientIPOverLoopback checks ClientIP against a real connection: the
// peer is the loopback client, and a spoofed header is ignored unless
// loopback is a trusted proxy.
func TestClientIPOverLoopback(t *testing.T) {
	// Each server gets its own trusted list, fixed before it starts.
	serve := func(trusted []netip.Prefix) netip.Addr {
		t.Helper()
		got := make(chan netip.Addr, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- ClientIP(r, trusted)
		}))
		defer srv.Close()
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", "198.51.100.10")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-got
	}
	if ip := serve(nil); !ip.IsLoopback() {
		t.Errorf("untrusted peer: ClientIP = %s, want the loopback peer", ip)
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if ip := serve(loopback); ip != netip.MustParseAddr("198.51.100.10") {
		t.Errorf("trusted loopback proxy: ClientIP = %s, want 198.51.100.10", ip)
	}
}
