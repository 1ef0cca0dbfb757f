package perf

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/pii"
)

// Expert is one caller of a mix: a signed assertion and, for experts
// behind the platform's proxy, the address it forwards.
type Expert struct {
	Subject      string
	Token        string
	ForwardedFor string
}

// Op is one kind of request in a mix.
type Op struct {
	// Weight is the op's share: in every cycle of the mix (the sum of the
	// weights) it is sent Weight times, spread evenly.
	Weight int
	// Profile names the group of experts that send it, in turn.
	Profile string
	// Request is sent with the expert's Authorization (and
	// X-Forwarded-For) headers added.
	Request Request
}

// Mix is a deterministic blend of requests from many experts: request i
// is always the same op, so a run of n requests has known counts (Counts)
// and each profile's experts take turns, so per-expert rate limits see an
// even load.
type Mix struct {
	ops      []Op
	profiles map[string][]Expert
	cycle    []int // op index per position of one cycle
}

// NewMix checks the ops and lays out one cycle with smooth weighted
// round robin (no op comes in bursts).
func NewMix(ops []Op, profiles map[string][]Expert) (*Mix, error) {
	total := 0
	for _, o := range ops {
		if o.Weight <= 0 {
			return nil, fmt.Errorf("perf: op %s: weight must be positive", o.Request.Name)
		}
		if len(profiles[o.Profile]) == 0 {
			return nil, fmt.Errorf("perf: op %s: no experts in profile %q", o.Request.Name, o.Profile)
		}
		total += o.Weight
	}
	if total == 0 {
		return nil, errors.New("perf: a mix needs at least one op")
	}
	m := &Mix{ops: ops, profiles: profiles, cycle: make([]int, 0, total)}
	current := make([]int, len(ops))
	for range total {
		best := 0
		for k, o := range ops {
			current[k] += o.Weight
			if current[k] > current[best] {
				best = k
			}
		}
		current[best] -= total
		m.cycle = append(m.cycle, best)
	}
	return m, nil
}

// Source returns a fresh sequence of the mix's requests.
func (m *Mix) Source() Source {
	turn := map[string]int{}
	return func(i int64) Request {
		o := m.ops[m.cycle[i%int64(len(m.cycle))]]
		xs := m.profiles[o.Profile]
		x := xs[turn[o.Profile]%len(xs)]
		turn[o.Profile]++
		r := o.Request
		r.Header = r.Header.Clone()
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Set("Authorization", "Bearer "+x.Token)
		if x.ForwardedFor != "" {
			r.Header.Set("X-Forwarded-For", x.ForwardedFor)
		}
		return r
	}
}

// Counts is how many of each request name the first n requests hold.
func (m *Mix) Counts(n int64) map[string]int64 {
	out := map[string]int64{}
	full, rest := n/int64(len(m.cycle)), n%int64(len(m.cycle))
	for _, o := range m.ops {
		out[o.Request.Name] += full * int64(o.Weight)
	}
	for _, k := range m.cycle[:rest] {
		out[m.ops[k].Request.Name]++
	}
	return out
}

// Ops returns the mix's ops.
func (m *Mix) Ops() []Op { return m.ops }

// Profile describes a group of experts DevMix mints.
type Profile struct {
	Name         string
	Count        int
	Tier         int
	MFA          bool
	Country      string
	Clients      []string
	ForwardedFor string
}

// DevProfiles are the experts of DevMix, n in all, shared out among the
// access levels of the example scopes as on a busy platform: most at
// tier 1, a few partners in an approved network, a few onboarded for one
// client only.
func DevProfiles(n int) []Profile {
	all := []string{"acme-retail", "globex-saas", "initech-service"}
	share := func(pct int) int { return max(1, n*pct/100) }
	return []Profile{
		{Name: "basic", Count: share(40), Tier: 1, Country: "US", Clients: all},
		{Name: "mfa", Count: share(20), Tier: 1, MFA: true, Country: "IE", Clients: all},
		{Name: "gb", Count: share(20), Tier: 2, MFA: true, Country: "GB", Clients: all},
		{Name: "partner", Count: share(15), Tier: 3, MFA: true, Country: "GB", Clients: all, ForwardedFor: "198.51.100.7"},
		{Name: "acme-only", Count: share(5), Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"}},
	}
}

// MintExperts signs an assertion for every expert of the profiles; each
// has a subject of its own (perf-<profile>-<n>), so per-expert limits
// apply to each separately.
func MintExperts(s *authn.Signer, profiles []Profile) (map[string][]Expert, error) {
	out := map[string][]Expert{}
	for _, p := range profiles {
		amr := []string{"pwd"}
		if p.MFA {
			amr = append(amr, "mfa")
		}
		for i := range p.Count {
			sub := fmt.Sprintf("perf-%s-%03d", p.Name, i)
			tok, err := s.Sign(authn.Principal{Subject: sub, Tier: p.Tier, MFA: p.MFA, AMR: amr, Country: p.Country, Clients: p.Clients})
			if err != nil {
				return nil, fmt.Errorf("mint %s: %w", sub, err)
			}
			out[p.Name] = append(out[p.Name], Expert{Subject: sub, Token: tok, ForwardedFor: p.ForwardedFor})
		}
	}
	return out, nil
}

// The customer of the mix's lookups (sandbox seed data).
const mixCustomer = "maya.okafor@example.com"

// MixOptions shape DevMix.
type MixOptions struct {
	Experts int     // experts to mint (default 200)
	Rate    float64 // the rate the mix will be driven at, requests per second (default 300)
}

// Calls per second DevMix sends to each CRM, whatever the total rate. The
// dev connections run behind the connectors' client-side limits (the
// vendors' documented defaults: Salesforce 10/s, Shopify 4/s, Zendesk
// 400/min) and the sandboxes' own (Shopify's cost bucket of 100 points/s,
// Zendesk's 700 requests a minute); these rates stay well inside all of
// them, so a refusal in a soak is the gateway's doing, not a limit's.
const (
	salesforcePerSec float64 = 7.5
	shopifyPerSec    float64 = 3
	zendeskPerSec    float64 = 4.5
)

// DevMix is a blend of expert requests against the `cxgate dev` wiring,
// from experts minted with env.Signer: reads and searches on each CRM
// (some by a token param), writes with an Idempotency-Key, the content
// filter in both modes, inquiry lists, and requests the scopes refuse
// (403, audited like the rest). Every op's expected status is the one the
// example scopes give.
//
// The CRM calls run at fixed rates (see salesforcePerSec); the rest of the
// rate goes to requests that stop at the gateway (filter, inquiry lists,
// refusals). Writes never grow what the reads fetch (another case, order
// and ticket than the reads use), so a long run reads the same records
// throughout.
func DevMix(ctx context.Context, env *dev.Env, o MixOptions) (*Mix, error) {
	if o.Experts <= 0 {
		o.Experts = 200
	}
	if o.Rate <= 0 {
		o.Rate = 300
	}
	profiles, err := MintExperts(env.Signer, DevProfiles(o.Experts))
	if err != nil {
		return nil, err
	}
	token := func(client string) (string, error) {
		t, err := env.Tokenizer.Tokenize(ctx, client, []pii.Item{{Type: pii.Email, Value: mixCustomer}})
		if err != nil {
			return "", fmt.Errorf("token for %s: %w", client, err)
		}
		return t[0], nil
	}
	acmeTok, err := token("acme-retail")
	if err != nil {
		return nil, err
	}
	initechTok, err := token("initech-service")
	if err != nil {
		return nil, err
	}
	op := func(client, inquiry, operation, body string) Request {
		return Request{Name: client + "/" + operation, Method: http.MethodPost, Want: http.StatusOK,
			Path: "/v1/clients/" + client + "/inquiries/" + inquiry + "/operations/" + operation, Body: []byte(body)}
	}
	write := func(r Request) Request { r.Idempotent = true; return r }
	refused := func(r Request, code string) Request {
		r.Name += " (" + code + ")"
		r.Want = http.StatusForbidden
		return r
	}
	filter := func(client, mode, text string) Request {
		return Request{Name: client + "/filter " + mode, Method: http.MethodPost, Want: http.StatusOK,
			Path: "/v1/clients/" + client + "/filter", Body: []byte(`{"mode":"` + mode + `","text":"` + text + `"}`)}
	}
	list := func(client string) Request {
		return Request{Name: client + "/inquiries", Method: http.MethodGet, Want: http.StatusOK, Path: "/v1/clients/" + client + "/inquiries"}
	}
	// CRM calls: share of the CRM's calls per second.
	type crmOp struct {
		perSec  float64
		profile string
		req     Request
	}
	crm := []crmOp{
		// Salesforce (initech-service): hashed email, masked name, scrubbed text, tokenized address.
		{salesforcePerSec * 4 / 10, "basic", op("initech-service", "case_status", "get_case", `{"params":{"case_number":"00001027"}}`)},
		{salesforcePerSec * 2 / 10, "basic", op("initech-service", "case_status", "find_cases_by_email", `{"params":{"email":"`+initechTok+`"}}`)},
		{salesforcePerSec * 2 / 10, "partner", op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`)},
		{salesforcePerSec * 2 / 10, "basic", write(op("initech-service", "case_status", "update_case", `{"params":{"case_number":"00001029"},"input":{"Status":"Working"}}`))},
		// Shopify (acme-retail).
		{shopifyPerSec / 4, "basic", op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001"}}`)},
		{shopifyPerSec / 4, "basic", op("acme-retail", "order_status", "find_orders_by_email", `{"params":{"email":"`+acmeTok+`"}}`)},
		{shopifyPerSec / 4, "gb", op("acme-retail", "address_change", "get_shipping_address", `{"params":{"order_number":"#1001"}}`)},
		{shopifyPerSec / 4, "mfa", write(op("acme-retail", "returns", "add_return_note", `{"params":{"order_number":"#1002"},"input":{"note":"Return ACME-00001234 requested; call +1 503-555-0142 first."}}`))},
		// Zendesk (globex-saas).
		{zendeskPerSec * 2 / 5, "basic", op("globex-saas", "ticket_status", "get_ticket", `{"params":{"id":4101}}`)},
		{zendeskPerSec * 2 / 5, "basic", op("globex-saas", "ticket_status", "list_comments", `{"params":{"ticket_id":4101}}`)},
		{zendeskPerSec * 1 / 5, "basic", write(op("globex-saas", "ticket_status", "add_private_comment", `{"params":{"id":4112},"input":{"comment":{"body":"Called the customer back on +1 202-555-0143.","public":false},"status":"pending"}}`))},
	}
	// Requests that stop at the gateway share the rest of the rate.
	local := []Op{
		{100, "basic", filter("acme-retail", "mask", `Hi, I am `+mixCustomer+`, order #1001 never came. Call me on +1 503-555-0142.`)},
		{50, "basic", filter("acme-retail", "tokenize", `My email is `+mixCustomer+` and my new address is 12 Oak Lane, Portland 97201.`)},
		{50, "mfa", filter("globex-saas", "mask", `Card 4111 1111 1111 1111 was charged twice for INV-2026-00042, reach me at liam.oconnor@example.org.`)},
		{60, "basic", list("acme-retail")},
		{30, "mfa", list("globex-saas")},
		{40, "partner", list("initech-service")},
		// Refused by the scopes.
		{26, "basic", refused(op("acme-retail", "address_change", "get_shipping_address", `{"params":{"order_number":"#1001"}}`), "tier_too_low")},
		{13, "acme-only", refused(list("globex-saas"), "forbidden")},
		{13, "gb", refused(op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`), "location_denied")},
	}

	// One cycle of the mix lasts mixCycle: the CRM ops get their calls per
	// second times its length, the local ops the remaining slots by share.
	const mixCycle = 4 // seconds
	slots := int(o.Rate*mixCycle + 0.5)
	var ops []Op
	used := 0
	for _, c := range crm {
		w := int(c.perSec*mixCycle + 0.5)
		ops = append(ops, Op{Weight: w, Profile: c.profile, Request: c.req})
		used += w
	}
	rest := slots - used
	if rest < len(local) {
		return nil, fmt.Errorf("perf: a rate of %.0f/s leaves no room for the gateway-only requests; the CRM calls alone take %.1f/s",
			o.Rate, float64(used)/mixCycle)
	}
	shares := 0
	for _, l := range local {
		shares += l.Weight
	}
	given := 0
	for i, l := range local {
		w := max(1, rest*l.Weight/shares)
		if i == len(local)-1 {
			w = max(1, rest-given)
		}
		given += w
		l.Weight = w
		ops = append(ops, l)
	}
	return NewMix(ops, profiles)
}
