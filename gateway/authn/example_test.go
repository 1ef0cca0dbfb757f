package authn_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/cxgate/cxgate/gateway/authn"
)

// The dev-mode flow: ephemeral keys mint an expert assertion, a Verifier
// built from the public JWKS turns the request's bearer token into a
// Principal, and ClientIP supplies the address for `networks` rules.
func Example() {
	keys, err := authn.GenerateDevKeys(authn.AlgEdDSA)
	if err != nil {
		panic(err)
	}
	signer, err := keys.Signer("https://experts.example.com", "cxgate", 0)
	if err != nil {
		panic(err)
	}
	token, err := signer.Sign(authn.Principal{
		Subject: "expert-tier2-gb", Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"},
	})
	if err != nil {
		panic(err)
	}
	verifier, err := authn.NewVerifier(authn.Config{
		Issuer: "https://experts.example.com", Audience: "cxgate", KeysData: keys.JWKS,
	})
	if err != nil {
		panic(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/v1/clients/acme-retail/inquiries", nil)
	r.RemoteAddr = "192.0.2.10:443" // a load balancer
	r.Header.Set("X-Forwarded-For", "198.51.100.66, 203.0.113.7")
	r.Header.Set("Authorization", "Bearer "+token)

	raw, err := authn.BearerToken(r)
	if err != nil {
		panic(err)
	}
	p, err := verifier.Verify(context.Background(), raw)
	if err != nil {
		panic(err)
	}
	p.IP = authn.ClientIP(r, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")})
	fmt.Println(p.Subject, p.Tier, p.MFA, p.Country, p.Clients, p.IP)

	tampered := []byte(raw)
	if i := len(tampered) - 10; tampered[i] == 'A' { // a signature character
		tampered[i] = 'B'
	} else {
		tampered[i] = 'A'
	}
	_, err = verifier.Verify(context.Background(), string(tampered))
	fmt.Println(err, errors.Is(err, authn.ErrUnauthenticated))
	// Output:
	// expert-tier2-gb 2 true GB [acme-retail] 203.0.113.7
	// unauthenticated: signature invalid true
}
