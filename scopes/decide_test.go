package scopes

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

const decideScope = `version: 1
client: acme
connection: acme-shop
retention: 30d
inquiries:
  open:
    operations:
      get:
        action: read
        resource: order
        params: {id: {type: string, required: true}}
        fields: {status: keep}
  gated:
    access:
      min_tier: 2
      mfa: true
      countries: [GB, IE]
      networks: [198.51.100.0/24, 2001:db8::/32]
    operations:
      get:
        action: read
        resource: order
        params: {id: {type: string, required: true}}
        fields: {status: keep, email: {tokenize: EMAIL}}
      set:
        action: update
        resource: order
        params: {id: {type: string, required: true}}
        input: {note: text}
`

func TestDecide(t *testing.T) {
	set := mustLoad(t, File{Name: "acme.yaml", Data: []byte(decideScope)})
	ok := Principal{Subject: "e1", Tier: 2, MFA: true, Country: "GB", IP: netip.MustParseAddr("198.51.100.7"), Clients: []string{"acme"}}
	with := func(f func(p *Principal)) Principal {
		p := ok
		p.Clients = slices.Clone(ok.Clients)
		f(&p)
		return p
	}
	tests := []struct {
		name     string
		p        Principal
		t        Target
		allowed  bool
		code     string
		failures []Check
	}{
		{"all rules hold", ok, Target{"acme", "gated", "get"}, true, "", nil},
		{"ipv6 in network", with(func(p *Principal) { p.IP = netip.MustParseAddr("2001:db8::5") }), Target{"acme", "gated", "set"}, true, "", nil},
		{"ipv4-mapped ipv6 address", with(func(p *Principal) { p.IP = netip.MustParseAddr("::ffff:198.51.100.9") }), Target{"acme", "gated", "get"}, true, "", nil},
		{"open inquiry, tier 0, nothing known", Principal{Clients: []string{"acme"}}, Target{"acme", "open", "get"}, true, "", nil},
		{"unknown client", ok, Target{"nobody", "gated", "get"}, false, CodeForbidden, []Check{CheckClient}},
		{"not onboarded", with(func(p *Principal) { p.Clients = []string{"other"} }), Target{"acme", "gated", "get"}, false, CodeForbidden, []Check{CheckClient}},
		{"not onboarded beats unknown inquiry", with(func(p *Principal) { p.Clients = nil }), Target{"acme", "nope", "get"}, false, CodeForbidden, []Check{CheckClient}},
		{"unknown inquiry", ok, Target{"acme", "nope", "get"}, false, CodeNotFound, []Check{CheckInquiry}},
		{"unknown operation", ok, Target{"acme", "gated", "nope"}, false, CodeNotFound, []Check{CheckOperation}},
		{"tier too low", with(func(p *Principal) { p.Tier = 1 }), Target{"acme", "gated", "get"}, false, CodeTierTooLow, []Check{CheckTier}},
		{"no mfa", with(func(p *Principal) { p.MFA = false }), Target{"acme", "gated", "get"}, false, CodeMFARequired, []Check{CheckMFA}},
		{"wrong country", with(func(p *Principal) { p.Country = "US" }), Target{"acme", "gated", "get"}, false, CodeLocationDenied, []Check{CheckCountry}},
		{"unknown country", with(func(p *Principal) { p.Country = "" }), Target{"acme", "gated", "get"}, false, CodeLocationDenied, []Check{CheckCountry}},
		{"outside networks", with(func(p *Principal) { p.IP = netip.MustParseAddr("203.0.113.1") }), Target{"acme", "gated", "get"}, false, CodeLocationDenied, []Check{CheckNetwork}},
		{"unknown address", with(func(p *Principal) { p.IP = netip.Addr{} }), Target{"acme", "gated", "get"}, false, CodeLocationDenied, []Check{CheckNetwork}},
		{"tier first of many failures", Principal{Tier: 0, Clients: []string{"acme"}}, Target{"acme", "gated", "get"}, false, CodeTierTooLow,
			[]Check{CheckTier, CheckMFA, CheckCountry, CheckNetwork}},
		{"mfa before location", with(func(p *Principal) { p.MFA = false; p.Country = "FR" }), Target{"acme", "gated", "get"}, false, CodeMFARequired,
			[]Check{CheckMFA, CheckCountry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := set.Decide(tt.p, tt.t)
			if d.Allowed != tt.allowed || d.Code != tt.code {
				t.Fatalf("got allowed=%v code=%q, want %v %q (reasons %+v)", d.Allowed, d.Code, tt.allowed, tt.code, d.Reasons)
			}
			var failed []Check
			for _, r := range d.Reasons {
				if !r.Passed {
					failed = append(failed, r.Check)
					if r.Code == "" || r.Message == "" {
						t.Errorf("failed reason without code or message: %+v", r)
					}
				}
				if r.Passed && r.Pos.IsZero() {
					t.Errorf("passed reason without a rule position: %+v", r)
				}
			}
			if !slices.Equal(failed, tt.failures) {
				t.Errorf("failed checks %v, want %v", failed, tt.failures)
			}
			if d.Allowed {
				if d.Operation == nil || d.Operation.ID != tt.t.Operation || d.Client == nil || d.Client.Retention == 0 {
					t.Fatalf("allowed decision without its operation/client: %+v", d)
				}
				if d.Err() != "" {
					t.Errorf("Err on success: %q", d.Err())
				}
			} else if d.Operation != nil {
				t.Error("denied decision carries an operation")
			}
			if tt.p.IP.IsValid() {
				for _, r := range d.Reasons {
					if strings.Contains(r.Message, tt.p.IP.String()) || strings.Contains(r.Message, tt.p.IP.Unmap().String()) {
						t.Errorf("reason shows the expert's address: %q", r.Message)
					}
				}
			}
		})
	}
}

func TestDecideReasonPositions(t *testing.T) {
	set := mustLoad(t, File{Name: "acme.yaml", Data: []byte(decideScope)})
	d := set.Decide(Principal{Tier: 1, Clients: []string{"acme"}}, Target{"acme", "gated", "get"})
	want := map[Check]string{CheckTier: "acme.yaml:15", CheckMFA: "acme.yaml:16", CheckCountry: "acme.yaml:17", CheckNetwork: "acme.yaml:18"}
	for _, r := range d.Reasons {
		if w, ok := want[r.Check]; ok && r.Pos.FileLine() != w {
			t.Errorf("%s rule at %s, want %s", r.Check, r.Pos.FileLine(), w)
		}
	}
}

func TestVisible(t *testing.T) {
	set := mustLoad(t, File{Name: "acme.yaml", Data: []byte(decideScope)})
	names := func(vs []Visible) []string {
		var out []string
		for _, v := range vs {
			for _, o := range v.Operations {
				out = append(out, v.Inquiry.ID+"/"+o.ID)
			}
		}
		return out
	}
	full := Principal{Tier: 3, MFA: true, Country: "IE", IP: netip.MustParseAddr("198.51.100.1"), Clients: []string{"acme"}}
	if got := names(set.Visible(full, "acme")); !slices.Equal(got, []string{"gated/get", "gated/set", "open/get"}) {
		t.Errorf("full access sees %v", got)
	}
	low := Principal{Tier: 1, Clients: []string{"acme"}}
	if got := names(set.Visible(low, "acme")); !slices.Equal(got, []string{"open/get"}) {
		t.Errorf("tier 1 sees %v", got)
	}
	if got := set.Visible(Principal{Tier: 9, Clients: []string{"other"}}, "acme"); got != nil {
		t.Errorf("expert not onboarded sees %v", got)
	}
	if got := set.Visible(full, "nobody"); got != nil {
		t.Errorf("unknown client shows %v", got)
	}
	// Visible and Decide agree for every operation.
	for _, p := range []Principal{full, low, {Clients: []string{"acme"}}} {
		vis := map[string]bool{}
		for _, n := range names(set.Visible(p, "acme")) {
			vis[n] = true
		}
		c, _ := set.Client("acme")
		for _, q := range c.Inquiries {
			for _, o := range q.Operations {
				if set.Decide(p, Target{"acme", q.ID, o.ID}).Allowed != vis[q.ID+"/"+o.ID] {
					t.Errorf("Visible and Decide disagree on %s/%s", q.ID, o.ID)
				}
			}
		}
	}
}

func TestDecideNilSet(t *testing.T) {
	var s *Set
	if d := s.Decide(Principal{Clients: []string{"a"}}, Target{"a", "b", "c"}); d.Allowed || d.Code != CodeForbidden {
		t.Errorf("nil set decided %+v", d)
	}
}
