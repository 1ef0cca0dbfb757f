package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// protectedSet is every raw value no answer may carry: the seed values of
// the fields the scenarios' operations do not keep (for scrubbed text, the
// PII the filter finds in it), the values behind the tokens the scenarios
// send, what the filter scenarios' customer types, and every email address
// in the sandboxes' seeds (no example scope keeps one).
type protectedSet struct {
	values []protectedValue
}

type protectedValue struct {
	label string   // where it comes from, for failure messages (never the value)
	forms [][]byte // the value as is and JSON-escaped
}

// minProtectedLen skips values so short that they are bound to occur in
// unrelated text ("GB", a two-letter name): a scan for them would prove
// nothing. The values skipped are listed by TestProtectedSet.
const minProtectedLen = 4

func (p *protectedSet) add(value, label string) {
	if len(value) < minProtectedLen {
		return
	}
	forms := [][]byte{[]byte(value)}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	_ = enc.Encode(value)
	esc := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	esc = esc[1 : len(esc)-1]
	if !bytes.Equal(esc, forms[0]) {
		forms = append(forms, esc)
	}
	b.Reset()
	enc.SetEscapeHTML(false)
	_ = enc.Encode(value)
	raw := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	raw = raw[1 : len(raw)-1]
	if !bytes.Equal(raw, forms[0]) && !bytes.Equal(raw, esc) {
		forms = append(forms, raw)
	}
	p.values = append(p.values, protectedValue{label: label, forms: forms})
}

// find reports the first protected value b carries. A value counts only
// where it stands on its own: an edge that is a letter or digit must not
// touch another one, so "97201" (a postcode) is found in `"97201"` or
// "OR 97201" but not inside a timestamp's fraction or a random request id.
func (p *protectedSet) find(b []byte) (string, bool) {
	for _, v := range p.values {
		for _, form := range v.forms {
			for off := 0; ; {
				i := bytes.Index(b[off:], form)
				if i < 0 {
					break
				}
				i += off
				if standsAlone(b, i, i+len(form)) {
					return v.label, true
				}
				off = i + 1
			}
		}
	}
	return "", false
}

// standsAlone reports whether b[i:j] has no letter or digit glued to an
// alphanumeric edge. A JSON escape (\n, \uXXXX) before it counts as a
// separator.
func standsAlone(b []byte, i, j int) bool {
	if alnum(b[i]) && i > 0 && alnum(b[i-1]) {
		escaped := i >= 2 && b[i-2] == '\\' && bytes.IndexByte([]byte("nrtbf"), b[i-1]) >= 0 ||
			i >= 6 && b[i-6] == '\\' && b[i-5] == 'u'
		if !escaped {
			return false
		}
	}
	if alnum(b[j-1]) && j < len(b) && alnum(b[j]) {
		return false
	}
	return true
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// protected is built once in TestMain (the seeds are the same in every
// system a scenario starts).
var protected *protectedSet

func protectedValues(t *testing.T) *protectedSet {
	t.Helper()
	if protected == nil || len(protected.values) == 0 {
		t.Fatal("the protected set was not built (TestMain)")
	}
	return protected
}

// source is one operation whose raw records feed the protected set, with
// the lookup values in clear.
type source struct {
	client, inquiry, operation string
	match                      map[string]string
}

// buildProtected reads the raw records the scenarios' operations fetch,
// through the same connectors and field lists the pipeline uses, and
// collects what the scope does not let through as is.
func buildProtected() (*protectedSet, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "cxgate-faults-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	env, err := dev.Start(ctx, dev.Options{AuditDir: dir})
	if err != nil {
		return nil, err
	}
	defer env.Close()

	tk, ok := env.Sandboxes.Zendesk.Lookup("ticket", "4101")
	if !ok {
		return nil, fmt.Errorf("zendesk seed has no ticket 4101")
	}
	u, ok := env.Sandboxes.Zendesk.Lookup("user", fmt.Sprint(tk["requester_id"]))
	if !ok {
		return nil, fmt.Errorf("zendesk seed has no requester for ticket 4101")
	}
	requester, _ := u["email"].(string)
	const exchange = exchangeEmail

	p := &protectedSet{}
	p.add(exchange, "the value behind the exchange token")
	p.add(requester, "the value behind the requester token")
	p.add(filterEmail, "the email a customer types (filter)")
	p.add("+44 7700 900123", "the phone a customer types (filter)")
	p.add("7700 900123", "the phone a customer types (filter)")

	sources := []source{
		{"acme-retail", "order_status", "get_order", map[string]string{"order_number": "#1001"}},
		{"acme-retail", "address_change", "get_shipping_address", map[string]string{"order_number": "#1001"}},
		{"acme-retail", "returns", "get_order_for_return", map[string]string{"order_number": "#1001"}},
		{"acme-retail", "order_status", "find_orders_by_email", map[string]string{"email": exchange}},
		{"globex-saas", "ticket_status", "get_ticket", map[string]string{"id": "4101"}},
		{"globex-saas", "ticket_status", "list_comments", map[string]string{"ticket_id": "4101"}},
		{"globex-saas", "billing_inquiry", "get_requester", map[string]string{"email": requester}},
		{"initech-service", "case_status", "get_case", map[string]string{"case_number": "00001027"}},
	}
	pol := env.App.Server.Policy()
	for _, s := range sources {
		c, ok := pol.Set.Client(s.client)
		if !ok {
			return nil, fmt.Errorf("no client %s", s.client)
		}
		q, ok := c.Inquiry(s.inquiry)
		if !ok {
			return nil, fmt.Errorf("no inquiry %s/%s", s.client, s.inquiry)
		}
		op, ok := q.Operation(s.operation)
		if !ok {
			return nil, fmt.Errorf("no operation %s/%s/%s", s.client, s.inquiry, s.operation)
		}
		conn, ok := env.App.Pipeline.Connections.Connector(c.Connection)
		if !ok {
			return nil, fmt.Errorf("no connection %s", c.Connection)
		}
		keys := make([]string, 0, len(s.match))
		for k := range s.match {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var match []connectors.Criterion
		for _, k := range keys {
			match = append(match, connectors.Criterion{Key: k, Value: s.match[k]})
		}
		query := connectors.Query{Resource: op.Resource, Match: match, Fields: op.Paths(), Limit: op.Limit}
		var recs []connectors.Record
		switch op.Action {
		case scopes.Read:
			r, err := conn.Read(ctx, query)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", s.client, s.operation, err)
			}
			recs = append(recs, r)
		case scopes.Search:
			recs, err = conn.Search(ctx, query)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", s.client, s.operation, err)
			}
		}
		if len(recs) == 0 {
			return nil, fmt.Errorf("%s/%s: no records: the leak scan would prove nothing", s.client, s.operation)
		}
		filter := pol.Filter(s.client)
		for _, r := range recs {
			op.Tree().Project(r, func(l *fieldpath.Leaf) {
				if l.Value == nil {
					return
				}
				fd := op.Fields[l.Index]
				text := scalar(l.Value)
				label := fmt.Sprintf("%s/%s %s (%s)", s.client, s.operation, fd.Path, fd.Rule)
				switch fd.Rule {
				case scopes.Keep:
				case scopes.Scrub:
					res, err := filter.Mask(text)
					if err != nil {
						p.add(text, label)
						return
					}
					runes := []rune(text)
					for _, fi := range res.Findings {
						p.add(string(runes[fi.Start:fi.End]), label+" "+string(fi.Type))
					}
				default:
					p.add(text, label)
				}
			})
		}
	}

	// Every email address in the seeds.
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	for _, sb := range []string{"salesforce", "zendesk", "shopify"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "connectors", "sandbox", sb, "seed.json"))
		if err != nil {
			return nil, err
		}
		for _, m := range email.FindAll(b, -1) {
			p.add(string(m), sb+" seed email")
		}
	}
	return p, nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func piiEmail(v string) []pii.Item { return []pii.Item{{Type: pii.Email, Value: v}} }

// TestProtectedSet checks the scan itself: it holds values of every kind,
// and a healthy system's answers carry none of them (otherwise a fault
// scenario's clean scan would mean nothing).
func TestProtectedSet(t *testing.T) {
	checkGoroutines(t)
	f := startSystem(t, dev.Options{})
	labels := map[string]int{}
	for _, v := range f.prot.values {
		labels[v.label]++
	}
	for _, want := range []string{"(tokenize)", "(hash)", "(mask)", "(scrub) ", "seed email", "behind the exchange token"} {
		found := false
		for l := range labels {
			if bytes.Contains([]byte(l), []byte(want)) {
				found = true
			}
		}
		if !found {
			t.Errorf("the protected set has no value of kind %q: %v", want, labels)
		}
	}
	t.Logf("protected values: %d", len(f.prot.values))
	for name := range f.calls() {
		f.want(name, "ok")
	}
	for _, tc := range []struct {
		text string
		leak bool
	}{
		{"an answer with " + filterEmail, true},
		{`{"zip":"97201"}`, true},
		{`{"note":"Portland, OR 97201\nThanks"}`, true},
		{`{"note":"line\n97201"}`, true},
		{`{"time":"2026-01-02T03:04:05.972013Z","request_id":"a97201f"}`, false},
		{`{"zip":"cxt_postcode_v1_AbC"}`, false},
	} {
		if _, leak := f.prot.find([]byte(tc.text)); leak != tc.leak {
			t.Errorf("scan of %s: leak %v, want %v", tc.text, leak, tc.leak)
		}
	}
}
