package shopify

import (
	"context"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/connectors"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
)

// Lookup values carrying Shopify search syntax never change a query's
// meaning: the sandbox's search parser (the same grammar Shopify
// documents) reads each query the connector sent as exactly one term on
// the lookup's own key, holding exactly the value, and the search finds
// nothing (no stored email or order name equals these values).
func TestInjection(t *testing.T) {
	type tcase struct {
		value     string
		dangerous bool // string-built without quoting, it would change the query
	}
	emails := []tcase{
		{`maya@example.com OR status:open`, true},
		{`-email:x@example.com`, false}, // inside email:..., "-" is just text; alone it negates
		{`*@example.com`, false},
		{`maya.okafor@example.com)`, true},
		{`maya.okafor@example.com*`, true},
		{`name:*@example.com`, false},
		{`maya"@example.com`, false},
		{`x@example.com" OR email:*`, true},
		{`x@example.com\" OR email:*`, true},
		{`x@example.com\`, true},
		{`(maya@example.com OR name:1001)`, true},
		{`NOT x@example.com`, true},
		{`x@example.com AND -status:closed`, true},
		{`x@example.com 'OR' email:'*'`, true},
	}
	orderNumbers := []tcase{
		{`1001 OR status:open`, true},
		{`#1001)`, true},
		{`*`, true},
		{`name:*`, true},
		{`-name:1001`, false},
		{`1001" OR name:*`, true},
		{`\`, true},
		{`(1001`, true},
		{`#100*`, true},
	}
	type target struct {
		resource, key, field string
		values               []tcase
	}
	targets := []target{
		{"order", "email", "email", emails},
		{"customer", "email", "email", emails},
		{"order", "order_number", "name", orderNumbers},
	}
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	dangerous := 0
	for _, tg := range targets {
		for _, v := range tg.values {
			t.Run(tg.resource+"/"+tg.key+"/"+v.value, func(t *testing.T) {
				r.sb.ClearRequests()
				recs, err := r.conn.Search(ctx, connectors.Query{Resource: tg.resource, Match: []connectors.Criterion{{Key: tg.key, Value: v.value}},
					Fields: fields("id")})
				if err != nil {
					t.Fatalf("search: %v", err)
				}
				if len(recs) != 0 {
					t.Fatalf("the value widened the search: %d records", len(recs))
				}
				reqs := r.graphQLRequests()
				if len(reqs) == 0 {
					t.Fatal("no request sent")
				}
				for _, req := range reqs {
					if strings.Contains(req.Query, v.value) {
						t.Fatalf("the value is in the document text, not only in variables: %s", req.Query)
					}
					q, _ := req.Variables["q"].(string)
					parsed := sbshopify.ParseSearch(q)
					term, one := parsed.Root.(*sbshopify.Term)
					if !one || len(parsed.Repairs) != 0 || term.Field != tg.field || term.Op != ":" || !term.Quoted ||
						term.Prefix || term.Exists || term.Value != v.value {
						t.Fatalf("query %q parsed as %s (repairs %v); want the single term %s:%q", q, parsed, parsed.Repairs, tg.field, v.value)
					}
				}
			})
			// The control: built by string concatenation, the value would
			// have changed the query, so the check above is not vacuous.
			naive := sbshopify.ParseSearch(tg.field + ":" + v.value)
			term, one := naive.Root.(*sbshopify.Term)
			changed := !one || len(naive.Repairs) > 0 || term.Value != v.value || term.Prefix || term.Exists
			if changed != v.dangerous {
				t.Errorf("control for %q: naive query %s changed=%v, table says %v", v.value, naive, changed, v.dangerous)
			}
			if changed {
				dangerous++
			}
		}
	}
	if dangerous < 15 {
		t.Fatalf("only %d hazardous values in the table", dangerous)
	}
}

// The quoting the connector uses and the sandbox's reference quoting agree.
func TestSearchTermQuoting(t *testing.T) {
	for _, v := range []string{`plain`, `a"b`, `a\b`, `\"`, `x" OR email:*`, `ü "ÿ" \\`} {
		if got, want := searchTerm("email", v), "email:"+sbshopify.QuoteSearchValue(v); got != want {
			t.Errorf("searchTerm(%q) = %s, want %s", v, got, want)
		}
	}
}
