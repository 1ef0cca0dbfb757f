package shopify

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

var update = flag.Bool("update", false, "rewrite golden files")

// leaves lists the selected leaf fields of a document as dotted paths
// (field names only), validating it against schema on the way.
func leaves(t *testing.T, schema *ast.Schema, doc string) []string {
	t.Helper()
	q, errs := gqlparser.LoadQueryWithRules(schema, doc, rules.NewDefaultRules())
	if len(errs) > 0 {
		t.Fatalf("document does not validate: %v\n%s", errs, doc)
	}
	var out []string
	var walk func(sel ast.SelectionSet, prefix string)
	walk = func(sel ast.SelectionSet, prefix string) {
		for _, s := range sel {
			f, ok := s.(*ast.Field)
			if !ok {
				t.Fatalf("unexpected fragment in %s", doc)
			}
			p := prefix + f.Name
			if len(f.SelectionSet) == 0 {
				out = append(out, p)
				continue
			}
			walk(f.SelectionSet, p+".")
		}
	}
	walk(q.Operations[0].SelectionSet, "")
	slices.Sort(out)
	return out
}

func subsetSchema(t *testing.T) *ast.Schema {
	t.Helper()
	sb, err := sbshopify.New(sbshopify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sb.Schema().AST()
}

// The GraphQL selection holds exactly the requested fields (plus the key
// a post-filter checks), and the record exactly the requested paths.
func TestDataMinimisation(t *testing.T) {
	cases := []struct {
		name     string
		resource string
		match    []connectors.Criterion
		fields   []string
		leaves   []string
		want     connectors.Record
	}{
		{"order by id", "order", crit("id", "5501234560001"), []string{"name"},
			[]string{"order.id", "order.name"},
			connectors.Record{"name": "#1001"}},
		{"nested money and customer", "order", crit("id", "5501234560003"), []string{"total_price", "customer.email", "customer.last_name"},
			[]string{"order.customer.defaultEmailAddress.emailAddress", "order.customer.lastName", "order.id", "order.totalPriceSet.shopMoney.amount"},
			connectors.Record{"total_price": "54.00", "customer": map[string]any{"email": "oliver.bennett@example.org", "last_name": "Bennett"}}},
		{"line items and tracking", "order", crit("order_number", "1010"),
			[]string{"line_items[].sku", "line_items[].price", "fulfillments[].tracking_url"},
			[]string{"orders.nodes.fulfillments.trackingInfo.url", "orders.nodes.lineItems.nodes.originalUnitPriceSet.shopMoney.amount",
				"orders.nodes.lineItems.nodes.sku", "orders.nodes.name", "orders.pageInfo.endCursor", "orders.pageInfo.hasNextPage"},
			connectors.Record{
				"line_items": []any{map[string]any{"sku": "APR-LIN-OT", "price": "25.00"}, map[string]any{"sku": "MUG-STN-01", "price": "14.00"}},
				"fulfillments": []any{
					map[string]any{"tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456795"},
					map[string]any{"tracking_url": "https://www.royalmail.com/track-your-item#/tracking-results/RM987654321GB"}},
			}},
		{"extra email check", "order", crit("order_number", "#1003", "email", "OLIVER.BENNETT@example.org"), []string{"processed_at"},
			[]string{"orders.nodes.email", "orders.nodes.name", "orders.nodes.processedAt", "orders.pageInfo.endCursor", "orders.pageInfo.hasNextPage"},
			connectors.Record{"processed_at": "2026-11-02T13:40:00Z"}},
		{"customer by email", "customer", crit("email", "jose.alvarez@example.org"), []string{"number_of_orders", "amount_spent", "tags[]", "default_address.country"},
			[]string{"customers.nodes.amountSpent.amount", "customers.nodes.defaultAddress.country", "customers.nodes.defaultEmailAddress.emailAddress",
				"customers.nodes.numberOfOrders", "customers.nodes.tags", "customers.pageInfo.endCursor", "customers.pageInfo.hasNextPage"},
			connectors.Record{"number_of_orders": 1.0, "amount_spent": "271.20", "tags": []any{"wholesale"}, "default_address": map[string]any{"country": "Canada"}}},
	}
	schema := subsetSchema(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			rec, err := r.conn.Read(context.Background(), connectors.Query{Resource: tc.resource, Match: tc.match, Fields: fields(tc.fields...)})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(norm(t, tc.want), norm(t, rec)); d != "" {
				t.Fatalf("record (-want +got):\n%s", d)
			}
			reqs := r.graphQLRequests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			if d := cmp.Diff(tc.leaves, leaves(t, schema, reqs[0].Query)); d != "" {
				t.Fatalf("selected leaves (-want +got):\n%s", d)
			}
		})
	}
}

// Every catalog field alone selects exactly one GraphQL leaf (plus the
// key the lookup checks).
func TestEveryFieldSelectsOneLeaf(t *testing.T) {
	schema := subsetSchema(t)
	cfg, _ := parseConfig(connectors.ConnectionConfig{BaseURL: "https://acme.myshopify.com", Credentials: connectors.CredentialRef{Env: "X"}})
	for _, res := range catalog().Resources {
		d := resources[res.Name]
		for _, f := range res.Fields {
			tree, err := fieldpath.NewTree(fields(f.Path))
			if err != nil {
				t.Fatal(err)
			}
			sel, err := d.build(&cfg, tree)
			if err != nil {
				t.Fatalf("%s.%s: %v", res.Name, f.Path, err)
			}
			got := leaves(t, schema, d.byIDDoc(sel))
			if len(got) != 1 {
				t.Errorf("%s.%s selects %v", res.Name, f.Path, got)
			}
		}
	}
}

// The mapping covers the catalog exactly.
func TestMappingCoversCatalog(t *testing.T) {
	for _, res := range catalog().Resources {
		d := resources[res.Name]
		var mapped []string
		var walk func(m *mnode, prefix string)
		walk = func(m *mnode, prefix string) {
			for _, k := range m.kids {
				p := prefix + k.name
				if k.each {
					p += "[]"
				}
				if len(k.kids) == 0 {
					mapped = append(mapped, p)
					continue
				}
				walk(k, p+".")
			}
		}
		walk(d.mapping, "")
		var cat []string
		for _, f := range res.Fields {
			cat = append(cat, f.Path)
		}
		slices.Sort(mapped)
		slices.Sort(cat)
		if d := cmp.Diff(cat, mapped); d != "" {
			t.Errorf("%s: catalog vs mapping (-catalog +mapping):\n%s", res.Name, d)
		}
	}
}

// Documents for every field of every resource, in both field-name eras,
// pinned as goldens (go test -update rewrites them).
func TestDocumentsGolden(t *testing.T) {
	var b strings.Builder
	for _, version := range []string{DefaultAPIVersion, "2025-01"} {
		cfg, probs := parseConfig(connectors.ConnectionConfig{BaseURL: "https://acme.myshopify.com", APIVersion: version,
			Credentials: connectors.CredentialRef{Env: "X"}})
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		for _, res := range catalog().Resources {
			d := resources[res.Name]
			var all []string
			for _, f := range res.Fields {
				all = append(all, f.Path)
			}
			tree, _ := fieldpath.NewTree(fields(all...))
			sel, err := d.build(&cfg, tree)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("# " + version + " " + res.Name + " by id (cost " + strconv.Itoa(1+sel.cost()) + ")\n" + d.byIDDoc(sel) + "\n")
			b.WriteString("# " + version + " " + res.Name + " search\n" + d.searchDoc(sel) + "\n")
			if res.Supports(connectors.ActionUpdate) {
				b.WriteString("# " + version + " " + res.Name + " update\n" + orderUpdateDoc(sel) + "\n")
			}
		}
	}
	golden := filepath.Join("testdata", "documents.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Fatalf("documents changed (-golden +now; go test -update to accept):\n%s", d)
	}
}

func TestReadSemantics(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	cases := []struct {
		name     string
		resource string
		match    []connectors.Criterion
		want     string // name / last_name, or an error kind
	}{
		{"order by numeric id", "order", crit("id", "5501234560004"), "#1004"},
		{"order by gid", "order", crit("id", "gid://shopify/Order/5501234560004"), "#1004"},
		{"order by number without hash", "order", crit("order_number", "1007"), "#1007"},
		{"order by number with hash", "order", crit("order_number", "#1007"), "#1007"},
		{"order by number and matching email", "order", crit("order_number", "1007", "email", "maya@example.com"), "#1007"},
		{"order by number and another customer's email", "order", crit("order_number", "1007", "email", "maya.okafor@example.com"), "not_found"},
		{"order by id and another customer's email", "order", crit("id", "5501234560007", "email", "maya.okafor@example.com"), "not_found"},
		{"order by email alone, one order", "order", crit("email", "jose.alvarez@example.org"), "#1008"},
		{"order by email alone, several orders", "order", crit("email", "maya.okafor@example.com"), "invalid"},
		{"unknown order number", "order", crit("order_number", "#9999"), "not_found"},
		{"unknown order id", "order", crit("id", "5501234569999"), "not_found"},
		{"customer gid of another type", "order", crit("id", "gid://shopify/Customer/7301234560001"), "invalid"},
		{"malformed id", "order", crit("id", "12ab"), "invalid"},
		{"customer by email, other case", "customer", crit("email", "Jamal.Carter@Example.com"), "Carter"},
		{"customer by id", "customer", crit("id", "7301234560005"), "Natarajan"},
		{"customer email prefix is not a match", "customer", crit("email", "maya@example.co"), "not_found"},
		{"email that is no address", "customer", crit("email", "maya"), "invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := "name"
			if tc.resource == "customer" {
				f = "last_name"
			}
			rec, err := r.conn.Read(ctx, connectors.Query{Resource: tc.resource, Match: tc.match, Fields: fields(f)})
			if err != nil {
				if got := string(connectors.KindOf(err)); got != tc.want {
					t.Fatalf("error %v (kind %s), want %s", err, got, tc.want)
				}
				for _, m := range tc.match {
					if strings.Contains(err.Error(), m.Value) {
						t.Fatalf("error quotes the lookup value: %v", err)
					}
				}
				return
			}
			if rec[f] != tc.want {
				t.Fatalf("got %v, want %s", rec, tc.want)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	r := newRig(t, rigOptions{})
	recs, err := r.conn.Search(context.Background(), connectors.Query{Resource: "order", Match: crit("email", "maya.okafor@example.com"),
		Fields: fields("name", "processed_at")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, rec := range recs {
		names = append(names, rec["name"].(string))
	}
	if d := cmp.Diff([]string{"#1009", "#1002", "#1001"}, names); d != "" {
		t.Fatalf("newest first (-want +got):\n%s", d)
	}
	// Limit and paging: at most Limit records.
	recs, err = r.conn.Search(context.Background(), connectors.Query{Resource: "order", Match: crit("email", "maya.okafor@example.com"),
		Fields: fields("name"), Limit: 2})
	if err != nil || len(recs) != 2 {
		t.Fatalf("limit 2: %v %v", recs, err)
	}
	recs, err = r.conn.Search(context.Background(), connectors.Query{Resource: "customer", Match: crit("email", "nobody@example.com"), Fields: fields("id")})
	if err != nil || len(recs) != 0 {
		t.Fatalf("no match: %v %v", recs, err)
	}
}

// Search pages stay under Shopify's single-query cost limit even with the
// largest per-order selection; the sandbox rejects anything over it.
func TestSearchPagesFitCostLimit(t *testing.T) {
	r := newRig(t, rigOptions{cfg: func(c *connectors.ConnectionConfig) {
		c.Options = map[string]string{OptLineItemsLimit: "250", OptFulfillmentsLimit: "100"}
	}})
	var all []string
	for _, f := range catalog().Resources[0].Fields {
		all = append(all, f.Path)
	}
	recs, err := r.conn.Search(context.Background(), connectors.Query{Resource: "order", Match: crit("email", "maya.okafor@example.com"), Fields: fields(all...), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	// Cheap selections get full pages of 250, still under the limit.
	for _, f := range [][]string{{"name"}, {"name", "customer.email", "shipping_address.city", "total_price"}} {
		if _, err := r.conn.Search(context.Background(), connectors.Query{Resource: "order", Match: crit("email", "maya@example.com"), Fields: fields(f...), Limit: 250}); err != nil {
			t.Fatalf("%v: %v", f, err)
		}
	}
}

// Shopify ignores filters it does not know and returns everything; the
// post-filter keeps only records that match every criterion.
func TestPostFilter(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.sb.IgnoreSearchFields("email", "name") // as if this API version dropped both filters
	ctx := context.Background()
	recs, err := r.conn.Search(ctx, connectors.Query{Resource: "order", Match: crit("email", "maya.okafor@example.com"), Fields: fields("name", "email")})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("search returned %d orders, want the customer's 3: %v", len(recs), recs)
	}
	for _, rec := range recs {
		if rec["email"] != "maya.okafor@example.com" {
			t.Fatalf("foreign order leaked: %v", rec)
		}
	}
	rec, err := r.conn.Read(ctx, connectors.Query{Resource: "order", Match: crit("order_number", "1004"), Fields: fields("name")})
	if err != nil || rec["name"] != "#1004" {
		t.Fatalf("read: %v %v", rec, err)
	}
	rec2, err := r.conn.Read(ctx, connectors.Query{Resource: "customer", Match: crit("email", "priya.n@example.com"), Fields: fields("last_name")})
	if err != nil || rec2["last_name"] != "Natarajan" {
		t.Fatalf("customer read: %v %v", rec2, err)
	}
	if !strings.Contains(r.logText(), "dropped=") {
		t.Fatal("the post-filter dropped nothing: the sandbox did not broaden the results")
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	t.Run("note", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		rec, err := r.conn.Update(ctx, connectors.Update{Resource: "order", Match: crit("id", "5501234560001"),
			Set: []connectors.Assignment{{Field: fieldpath.MustParse("note"), Value: nil}}, Fields: fields("note", "name")})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(connectors.Record{"note": nil, "name": "#1001"}, rec); d != "" {
			t.Fatal(d)
		}
	})
	t.Run("shipping address keeps the parts not set", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		rec, err := r.conn.Update(ctx, connectors.Update{Resource: "order", Match: crit("order_number", "#1001", "email", "maya.okafor@example.com"),
			Set: []connectors.Assignment{
				{Field: fieldpath.MustParse("shipping_address.address1"), Value: "9 Pier Street"},
				{Field: fieldpath.MustParse("shipping_address.zip"), Value: "97209"},
				{Field: fieldpath.MustParse("shipping_address.country"), Value: "us"},
			},
			Fields: fields("shipping_address.address1", "shipping_address.city", "shipping_address.zip", "shipping_address.country")})
		if err != nil {
			t.Fatal(err)
		}
		want := connectors.Record{"shipping_address": map[string]any{"address1": "9 Pier Street", "city": "Portland", "zip": "97209", "country": "United States"}}
		if d := cmp.Diff(want, rec); d != "" {
			t.Fatal(d)
		}
		stored, _ := r.sb.Lookup("order", "5501234560001")
		addr := stored["shipping_address"].(map[string]any)
		for k, v := range map[string]any{"name": "Maya Okafor", "phone": "+15035550142", "province": "Oregon", "province_code": "OR", "address2": nil} {
			if addr[k] != v {
				t.Errorf("shipping_address.%s = %v, want %v (orderUpdate replaces the whole address)", k, addr[k], v)
			}
		}
	})
	bad := []struct {
		name  string
		match []connectors.Criterion
		set   []connectors.Assignment
		kind  connectors.Kind
		field string // named in the error
		api   int    // API requests expected
	}{
		{"country name instead of code", crit("id", "5501234560001"),
			[]connectors.Assignment{{Field: fieldpath.MustParse("shipping_address.country"), Value: "United States"}}, connectors.KindInvalid, "shipping_address.country", 0},
		{"zip Shopify rejects", crit("id", "5501234560001"),
			[]connectors.Assignment{{Field: fieldpath.MustParse("shipping_address.zip"), Value: "ABC-99"}}, connectors.KindInvalid, "shipping_address.zip", 2},
		{"unknown order", crit("order_number", "#4242"),
			[]connectors.Assignment{{Field: fieldpath.MustParse("note"), Value: "x"}}, connectors.KindNotFound, "", 1},
		{"email is not unique", crit("email", "maya.okafor@example.com"),
			[]connectors.Assignment{{Field: fieldpath.MustParse("note"), Value: "x"}}, connectors.KindInvalid, "", 0},
		{"read-only field", crit("id", "5501234560001"),
			[]connectors.Assignment{{Field: fieldpath.MustParse("shipping_address.name"), Value: "x"}}, connectors.KindInvalid, "", 0},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			_, err := r.conn.Update(ctx, connectors.Update{Resource: "order", Match: tc.match, Set: tc.set, Fields: fields("name")})
			if connectors.KindOf(err) != tc.kind {
				t.Fatalf("error %v, want kind %s", err, tc.kind)
			}
			if tc.field != "" && !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error does not name %s: %v", tc.field, err)
			}
			for _, a := range tc.set {
				if s, _ := a.Value.(string); s != "" && strings.Contains(err.Error(), s) {
					t.Fatalf("error echoes the value: %v", err)
				}
			}
			if n := r.tap.count(isAPI); n != tc.api {
				t.Fatalf("%d API requests, want %d", n, tc.api)
			}
		})
	}
	t.Run("customers are read-only", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		_, err := r.conn.Update(ctx, connectors.Update{Resource: "customer", Match: crit("id", "1"),
			Set: []connectors.Assignment{{Field: fieldpath.MustParse("note"), Value: "x"}}})
		if !errors.Is(err, connectors.ErrInvalid) {
			t.Fatal(err)
		}
	})
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	q := connectors.Query{Resource: "order", Match: crit("id", "5501234560001"), Fields: fields("name")}
	t.Run("re-requested before expiry", func(t *testing.T) {
		clock := &fakeClock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
		r := newRig(t, rigOptions{clock: clock})
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		clock.Add(23*time.Hour + 50*time.Minute) // 24 h tokens: still fresh
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		if n := r.tap.count(isToken); n != 1 {
			t.Fatalf("%d token requests within the lifetime, want 1", n)
		}
		clock.Add(6 * time.Minute) // 4 minutes before expiry
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		if n := r.tap.count(isToken); n != 2 {
			t.Fatalf("%d token requests near expiry, want 2", n)
		}
		if n := r.tap.count(func(e exchange) bool { return e.status == 401 }); n != 0 {
			t.Fatalf("%d rejected calls: the token was not renewed in time", n)
		}
	})
	t.Run("expired early by Shopify", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		r.sb.ExpireTokens()
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		if tok, rejected := r.tap.count(isToken), r.tap.count(func(e exchange) bool { return e.status == 401 }); tok != 2 || rejected != 1 {
			t.Fatalf("%d token requests, %d rejected calls; want 2 and 1", tok, rejected)
		}
	})
	t.Run("rotated client secret", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.secrets.stale = connectors.Credentials{"client_id": r.sb.Credentials().Get("client_id"), "client_secret": "shpss_rotated_away"}
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		if r.secrets.fresh != 1 || r.tap.count(isToken) != 2 {
			t.Fatalf("fresh credential reads %d, token requests %d; want 1 and 2", r.secrets.fresh, r.tap.count(isToken))
		}
	})
	t.Run("app not installed", func(t *testing.T) {
		r := newRig(t, rigOptions{sandbox: sbshopify.Options{AppNotInstalled: true}})
		if _, err := r.conn.Read(ctx, q); !errors.Is(err, connectors.ErrForbidden) {
			t.Fatalf("%v, want ErrForbidden", err)
		}
	})
	t.Run("static token rotated", func(t *testing.T) {
		r := newRig(t, rigOptions{cfg: func(c *connectors.ConnectionConfig) { c.Auth = AuthStaticToken }})
		r.secrets.stale = connectors.Credentials{"access_token": "shpat_00000000000000000000000000000000"}
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		if r.secrets.fresh != 1 || r.tap.count(isToken) != 0 || r.tap.count(isAPI) != 2 {
			t.Fatalf("fresh %d, token requests %d, API %d", r.secrets.fresh, r.tap.count(isToken), r.tap.count(isAPI))
		}
	})
	t.Run("static token header", func(t *testing.T) {
		r := newRig(t, rigOptions{cfg: func(c *connectors.ConnectionConfig) { c.Auth = AuthStaticToken }})
		r.secrets.creds = connectors.Credentials{}
		if _, err := r.conn.Read(ctx, q); !errors.Is(err, connectors.ErrUnauthorized) {
			t.Fatalf("%v, want ErrUnauthorized for missing access_token", err)
		}
	})
}

func TestThrottling(t *testing.T) {
	ctx := context.Background()
	q := connectors.Query{Resource: "order", Match: crit("id", "5501234560001"), Fields: fields("name", "line_items[].title")}
	t.Run("THROTTLED waits and retries", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.sb.Faults().Inject(sandbox.RateLimit, 1)
		if _, err := r.conn.Read(ctx, q); err != nil {
			t.Fatal(err)
		}
		if n, th := r.tap.count(isAPI), r.tap.count(isThrottled); n != 2 || th != 1 {
			t.Fatalf("%d API requests, %d throttled; want 2 and 1", n, th)
		}
	})
	t.Run("wait over the cap is reported", func(t *testing.T) {
		r := newRig(t, rigOptions{cfg: func(c *connectors.ConnectionConfig) { c.Options = map[string]string{OptThrottleMaxWait: "0s"} }})
		r.sb.Faults().Inject(sandbox.RateLimit, 1)
		_, err := r.conn.Read(ctx, q)
		d, ok := connectors.RetryAfter(err)
		if !errors.Is(err, connectors.ErrRateLimited) || !ok || d < time.Second {
			t.Fatalf("%v (retry after %v)", err, d)
		}
		if n := r.tap.count(isAPI); n != 1 {
			t.Fatalf("%d API requests, want 1 (no retry)", n)
		}
	})
	t.Run("an empty bucket is reported without a request", func(t *testing.T) {
		// A bucket of 100 points refilled at 1 point/s, and a connection that
		// never waits: each read asks for 53 points and uses 4, so the
		// bucket runs low and the connector reports the wait it would need
		// instead of sending a query Shopify would throttle.
		r := newRig(t, rigOptions{sandbox: sbshopify.Options{BucketSize: 100, RestoreRate: 1},
			cfg: func(c *connectors.ConnectionConfig) { c.Options = map[string]string{OptThrottleMaxWait: "0s"} }})
		var err error
		reads := 0
		for ; reads < 40 && err == nil; reads++ {
			_, err = r.conn.Read(ctx, q)
		}
		d, _ := connectors.RetryAfter(err)
		if !errors.Is(err, connectors.ErrRateLimited) || d <= 0 || d > 54*time.Second {
			t.Fatalf("after %d reads: %v (retry after %v); want a rate limit carrying the bucket's wait", reads, err, d)
		}
		if api := r.tap.count(isAPI); api != reads-1 || r.tap.count(isThrottled) != 0 {
			t.Fatalf("%d reads, %d API requests, %d throttled: the rate-limited read should send nothing", reads, api, r.tap.count(isThrottled))
		}
	})
	t.Run("HTTP 429", func(t *testing.T) {
		r := newRig(t, rigOptions{sandbox: sbshopify.Options{Throttle429: true}})
		r.sb.Faults().SetRetryAfter(30 * time.Second)
		r.sb.Faults().Inject(sandbox.RateLimit, 1)
		_, err := r.conn.Read(ctx, q)
		if d, _ := connectors.RetryAfter(err); !errors.Is(err, connectors.ErrRateLimited) || d != 30*time.Second {
			t.Fatalf("%v (retry after %v), want 30s", err, d)
		}
	})
	t.Run("the connector waits for the bucket instead of being throttled", func(t *testing.T) {
		// 60 points refilled at 30/s; each read costs about 20.
		r := newRig(t, rigOptions{sandbox: sbshopify.Options{BucketSize: 60, RestoreRate: 30}})
		for i := 0; i < 12; i++ {
			if _, err := r.conn.Read(ctx, q); err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
		}
		if n := r.tap.count(isThrottled); n > 1 {
			t.Fatalf("%d throttled answers; the cost budget should have waited", n)
		}
	})
}

func TestVersions(t *testing.T) {
	ctx := context.Background()
	q := connectors.Query{Resource: "customer", Match: crit("id", "7301234560001"), Fields: fields("email", "phone")}
	want := connectors.Record{"email": "maya.okafor@example.com", "phone": "+15035550142"}
	cases := []struct {
		version string
		selects string // the customer email field the document must select
	}{
		{"2026-10", "defaultEmailAddress"},
		{"2025-04", "defaultEmailAddress"}, // outside the sandbox's supported window: falls forward
		{"2025-01", "email"},
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			r := newRig(t, rigOptions{cfg: func(c *connectors.ConnectionConfig) { c.APIVersion = tc.version }})
			rec, err := r.conn.Read(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, rec); d != "" {
				t.Fatal(d)
			}
			doc := r.graphQLRequests()[0].Query
			if !strings.Contains(doc, "customer(id: $id) {"+tc.selects) {
				t.Fatalf("document %s does not select %s", doc, tc.selects)
			}
			if !strings.Contains(r.sb.Requests()[0].Path, "/admin/api/"+tc.version+"/") {
				t.Fatalf("path %s", r.sb.Requests()[0].Path)
			}
			warned := strings.Contains(r.logText(), "fell forward")
			if warned != (tc.version < "2025-10") {
				t.Fatalf("fell-forward warning %v for %s:\n%s", warned, tc.version, r.logText())
			}
		})
	}
}

func TestCheck(t *testing.T) {
	base := connectors.ConnectionConfig{Name: "acme-shopify", Type: Type, BaseURL: "https://acme.myshopify.com",
		Credentials: connectors.CredentialRef{Vault: "cxgate/acme/shopify"}}
	cases := []struct {
		name string
		mod  func(*connectors.ConnectionConfig)
		keys []string
	}{
		{"valid", func(*connectors.ConnectionConfig) {}, nil},
		{"valid static", func(c *connectors.ConnectionConfig) { c.Auth = AuthStaticToken; c.APIVersion = "2026-07" }, nil},
		{"valid loopback sandbox", func(c *connectors.ConnectionConfig) { c.BaseURL = "http://127.0.0.1:8081" }, nil},
		{"no base url", func(c *connectors.ConnectionConfig) { c.BaseURL = "" }, []string{"base_url"}},
		{"plain http", func(c *connectors.ConnectionConfig) { c.BaseURL = "http://acme.myshopify.com" }, []string{"base_url"}},
		{"path", func(c *connectors.ConnectionConfig) { c.BaseURL = "https://acme.myshopify.com/admin" }, []string{"base_url"}},
		{"credentials in url", func(c *connectors.ConnectionConfig) { c.BaseURL = "https://k:s@acme.myshopify.com" }, []string{"base_url"}},
		{"not quarterly", func(c *connectors.ConnectionConfig) { c.APIVersion = "2026-05" }, []string{"api_version"}},
		{"latest", func(c *connectors.ConnectionConfig) { c.APIVersion = "latest" }, []string{"api_version"}},
		{"auth", func(c *connectors.ConnectionConfig) { c.Auth = "password" }, []string{"auth"}},
		{"credentials", func(c *connectors.ConnectionConfig) { c.Credentials = connectors.CredentialRef{} }, []string{"credentials"}},
		{"options", func(c *connectors.ConnectionConfig) {
			c.Options = map[string]string{OptLineItemsLimit: "0", OptThrottleMaxWait: "1h", "colour": "red"}
		}, []string{"options.colour", "options.line_items_limit", "options.throttle_max_wait"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			var keys []string
			for _, p := range Check(cfg) {
				keys = append(keys, p.Key)
			}
			slices.Sort(keys)
			if d := cmp.Diff(tc.keys, keys); d != "" {
				t.Fatalf("problems (-want +got):\n%s", d)
			}
			_, err := Open(context.Background(), cfg, connectors.Deps{})
			if (err != nil) != (tc.keys != nil) || err != nil && !errors.Is(err, connectors.ErrInvalid) {
				t.Fatalf("Open: %v", err)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.conn.Close()
	_, err := r.conn.Read(context.Background(), connectors.Query{Resource: "order", Match: crit("id", "1"), Fields: fields("name")})
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatal(err)
	}
}
