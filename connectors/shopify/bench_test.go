package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/cxgate/cxgate/connectors"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
)

// BenchmarkRead measures a connector read against the sandbox over
// loopback, beside the baseline of posting the same GraphQL document with
// a bare HTTP client and decoding the answer: the difference is the
// connector's own cost (selection building, token cache, throttle
// bookkeeping, mapping back to the catalog shape).
func BenchmarkRead(b *testing.B) {
	r := newRig(b, rigOptions{sandbox: sbshopify.Options{BucketSize: 1e12, RestoreRate: 1e9}})
	q := connectors.Query{Resource: "order", Match: crit("id", "5501234560001"),
		Fields: fields("name", "email", "total_price", "customer.email", "line_items[].title", "fulfillments[].tracking_number")}
	ctx := context.Background()
	if _, err := r.conn.Read(ctx, q); err != nil {
		b.Fatal(err)
	}
	req := r.graphQLRequests()[0]
	body, _ := json.Marshal(req)
	tok := r.conn.tokens
	token, err := tok.Token(ctx)
	if err != nil {
		b.Fatal(err)
	}
	url := r.cfg.BaseURL + r.conn.endpoint
	b.Run("baseline_raw_http", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			hr, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			hr.Header.Set("Content-Type", "application/json")
			hr.Header.Set("X-Shopify-Access-Token", token.Value)
			resp, err := http.DefaultClient.Do(hr)
			if err != nil {
				b.Fatal(err)
			}
			var out map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("connector", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := r.conn.Read(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBuildAndMap isolates the GraphQL work without I/O: building
// the selection for every order field and mapping a full answer back,
// beside the baseline of decoding that answer's JSON alone.
func BenchmarkBuildAndMap(b *testing.B) {
	r := newRig(b, rigOptions{})
	var all []string
	for _, f := range catalog().Resources[0].Fields {
		all = append(all, f.Path)
	}
	q := connectors.Query{Resource: "order", Match: crit("id", "5501234560010"), Fields: fields(all...)}
	_, tree, err := connectors.ValidateQuery(r.conn.cat, connectors.ActionRead, q)
	if err != nil {
		b.Fatal(err)
	}
	d := resources["order"]
	sel, _ := d.build(&r.conn.cfg, tree)
	data, err := r.conn.graphql(context.Background(), "bench", d.byIDDoc(sel), map[string]any{"id": "gid://shopify/Order/5501234560010"}, 1)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(data["order"])
	b.Run("baseline_json_decode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode_build_map", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
			s, err := d.build(&r.conn.cfg, tree)
			if err != nil {
				b.Fatal(err)
			}
			_ = d.byIDDoc(s)
			if _, err := d.toRecord(&r.conn.cfg, tree, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
