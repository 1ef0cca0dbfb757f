package perf

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxgate/cxgate/vaultclient"
)

// benchCase is one expert request and the Vault round trips its answer
// needs, by kind.
type benchCase struct {
	name  string
	path  string
	body  func(tb testing.TB, g *gatewayRig) string
	vault map[string]int64
	// records is the number of records the answer holds (0: one record).
	records int
}

func opPath(client, inquiry, op string) string {
	return "/v1/clients/" + client + "/inquiries/" + inquiry + "/operations/" + op
}

func ordersBy(email string) func(testing.TB, *gatewayRig) string {
	return func(tb testing.TB, g *gatewayRig) string {
		return `{"params":{"email":"` + g.token(tb, "perf-retail", email) + `"}}`
	}
}

func constBody(s string) func(testing.TB, *gatewayRig) string {
	return func(testing.TB, *gatewayRig) string { return s }
}

var (
	// get_order: masks and keeps only, no tokenizer call.
	caseGetOrder = benchCase{name: "read=get_order", path: opPath("acme-retail", "order_status", "get_order"),
		body: constBody(`{"params":{"order_number":"#1001"}}`), vault: map[string]int64{}}
	// get_shipping_address: street and postcode tokenized.
	caseShipping = benchCase{name: "read=get_shipping_address", path: opPath("acme-retail", "address_change", "get_shipping_address"),
		body: constBody(`{"params":{"order_number":"#1001"}}`), vault: map[string]int64{"tokenize": 1}}
	// orders_by_email: a token param, and per record an email, street,
	// postcode and phone tokenized and an email hashed.
	caseSearch = benchCase{name: "search=orders_by_email", path: opPath("perf-retail", "bench", "orders_by_email"),
		body: ordersBy(benchCustomer), vault: map[string]int64{"detokenize": 1, "tokenize": 1, "hmac": 1}, records: 10}
)

// TestVaultRoundTrips counts the requests that reach a real Vault for one
// expert request: one per kind of protection used (detokenize the token
// params, tokenize, hmac), whatever the number of fields and records. The
// client checks each Vault key's settings on first use and then once a
// minute (vaultclient's key cache), so the request counted is the second
// of each case.
func TestVaultRoundTrips(t *testing.T) {
	sb := startSandboxes(t)
	vc, counter, _ := startVault(t)
	g := startGateway(t, sb, vc)
	expert := g.expert(t)
	cases := []benchCase{caseGetOrder, caseShipping, caseSearch,
		{name: "search=orders_by_email/two-records", path: caseSearch.path, body: ordersBy("oliver.bennett@example.org"),
			vault: caseSearch.vault, records: 2},
		{name: "filter=tokenize", path: "/v1/clients/acme-retail/filter",
			body:  constBody(`{"mode":"tokenize","text":"I am ` + benchCustomer + `, call +1 503-555-0142 or write to 44 Harbor Lane, Portland OR 97201."}`),
			vault: map[string]int64{"tokenize": 1}},
	}
	tokenRE := regexp.MustCompile(`cx[th]_[a-z]+_v[0-9]+_[A-Za-z0-9_-]+`)
	client := NewClient(2)
	defer client.CloseIdleConnections()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body(t, g))
			var out []byte
			var before, after map[string]int64
			for range 2 {
				before = counter.counts()
				status, b, err := post(client, g.url+c.path, expert, nil, body)
				if err != nil {
					t.Fatal(err)
				}
				if status != http.StatusOK {
					t.Fatalf("status %d: %s", status, b)
				}
				out, after = b, counter.counts()
			}
			for _, kind := range []string{"tokenize", "detokenize", "hmac", "other"} {
				if got, want := after[kind]-before[kind], c.vault[kind]; got != want {
					t.Errorf("%s round trips: %d, want %d (other requests so far: %v)", kind, got, want, counter.otherPaths)
				}
			}
			distinct := map[string]bool{}
			for _, tok := range tokenRE.FindAllString(string(out), -1) {
				distinct[tok] = true
			}
			var total int64
			for kind := range after {
				total += after[kind] - before[kind]
			}
			t.Logf("%d distinct tokens and hashes in the answer, %d Vault round trips", len(distinct), total)
			if c.records > 0 {
				var resp struct{ Data []json.RawMessage }
				if err := json.Unmarshal(out, &resp); err != nil {
					t.Fatal(err)
				}
				if len(resp.Data) != c.records {
					t.Fatalf("%d records, want %d", len(resp.Data), c.records)
				}
				// Most records have their own street, postcode and phone.
				if len(distinct) < 2*c.records {
					t.Errorf("%d distinct tokens for %d records; the case is meant to protect many values", len(distinct), c.records)
				}
			}
			if c.vault["tokenize"] > 0 && len(distinct) < 2 {
				t.Errorf("only %d distinct tokens: the case is meant to tokenize several values", len(distinct))
			}
		})
	}
}

// BenchmarkGateway compares, in one run, an expert request through cxgate
// (local tokenizer, and real Vault) with the same upstream request sent
// through a bare httputil.ReverseProxy that adds the sandbox credentials
// itself: the difference is what cxgate adds (authentication, policy,
// connector, projection, protection, audit, logging). c=1 is one request
// at a time (latency); c=16 keeps sixteen in flight (throughput). Client,
// gateway and sandbox share the process, so allocs/op count all three.
//
// cxgate=vault reaches Vault through a counting reverse proxy and reports
// vault-calls/op; that proxy is one more hop per Vault call, so
// cxgate=vault-direct, the same wiring with a client talking to Vault
// directly, is the one to read for latency.
func BenchmarkGateway(b *testing.B) {
	sb := startSandboxes(b)
	local, err := vaultclient.NewLocalRandom()
	if err != nil {
		b.Fatal(err)
	}
	gl := startGateway(b, sb, local)
	vc, counter, direct := startVault(b)
	gv := startGateway(b, sb, vc)
	gd := startGateway(b, sb, direct)

	shop, err := url.Parse(sb.urls["shopify"])
	if err != nil {
		b.Fatal(err)
	}
	static := sb.sh.StaticCredentials()["access_token"]
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(shop)
			r.Out.Header.Set("X-Shopify-Access-Token", static)
		},
	})
	b.Cleanup(proxy.Close)

	for _, c := range []benchCase{caseGetOrder, caseShipping, caseSearch} {
		// The upstream request cxgate's connector makes for this case.
		expert := gl.expert(b)
		body := []byte(c.body(b, gl))
		if status, out, err := post(http.DefaultClient, gl.url+c.path, expert, nil, body); err != nil || status != http.StatusOK {
			b.Fatalf("%s: %d %s %v", c.name, status, out, err)
		}
		up := sb.lastShopifyRequest(b)
		vexpert, vbody := gv.expert(b), []byte(c.body(b, gv))
		dexpert, dbody := gd.expert(b), []byte(c.body(b, gd))
		targets := []struct {
			name  string
			url   string
			auth  string
			body  []byte
			vault *vaultCounter
		}{
			{"baseline=reverseproxy", proxy.URL + up.Path, "", up.Body, nil},
			{"cxgate=local", gl.url + c.path, expert, body, nil},
			{"cxgate=vault", gv.url + c.path, vexpert, vbody, counter},
			{"cxgate=vault-direct", gd.url + c.path, dexpert, dbody, nil},
		}
		for _, conc := range []int{1, 16} {
			for _, tg := range targets {
				b.Run(fmt.Sprintf("%s/c=%d/%s", c.name, conc, tg.name), func(b *testing.B) {
					measure(b, conc, tg.vault, func(client *http.Client) error {
						status, out, err := post(client, tg.url, tg.auth, nil, tg.body)
						if err == nil && status != http.StatusOK {
							err = fmt.Errorf("status %d: %.200s", status, out)
						}
						return err
					})
				})
			}
		}
	}
}

// measure runs do b.N times from conc goroutines and reports latency
// quantiles, requests per second and, with a Vault counter, the Vault
// round trips per request.
func measure(b *testing.B, conc int, vault *vaultCounter, do func(*http.Client) error) {
	client := NewClient(2 * conc)
	defer client.CloseIdleConnections()
	if err := do(client); err != nil { // a warm connection
		b.Fatal(err)
	}
	var h Histogram
	var before int64
	if vault != nil {
		before = vault.total()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := do(client); err != nil {
					b.Error(err)
					return
				}
				h.Record(time.Since(t0))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(h.Quantile(0.50)), "p50-us")
	b.ReportMetric(us(h.Quantile(0.99)), "p99-us")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if vault != nil {
		b.ReportMetric(float64(vault.total()-before)/float64(b.N), "vault-calls/op")
	}
}
