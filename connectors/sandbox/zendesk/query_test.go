package zendesk_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

func TestParseQuery(t *testing.T) {
	type T = zendesk.Term
	for _, tc := range []struct {
		in    string
		terms []T
		order string // OrderBy/Sort as "by/sort"
		canon string
	}{
		{in: "type:ticket status:open", terms: []T{{Field: "type", Op: ":", Value: "ticket"}, {Field: "status", Op: ":", Value: "open"}}, canon: "type:ticket status:open"},
		{in: `requester:"maya.okafor@example.com"`, terms: []T{{Field: "requester", Op: ":", Value: "maya.okafor@example.com", Phrase: true}}, canon: `requester:"maya.okafor@example.com"`},
		{in: "-status:closed", terms: []T{{Negated: true, Field: "status", Op: ":", Value: "closed"}}, canon: "-status:closed"},
		{in: "created>=2026-01-01 priority<high", terms: []T{{Field: "created", Op: ">=", Value: "2026-01-01"}, {Field: "priority", Op: "<", Value: "high"}}, canon: "created>=2026-01-01 priority<high"},
		{in: "jam*", terms: []T{{Value: "jam", Wildcard: true}}, canon: "jam*"},
		{in: "*", terms: []T{{Wildcard: true}}, canon: "*"},
		{in: "requester:*", terms: []T{{Field: "requester", Op: ":", Wildcard: true}}, canon: "requester:*"},
		{in: `"arrived damaged"`, terms: []T{{Value: "arrived damaged", Phrase: true}}, canon: `"arrived damaged"`},
		{in: `"a*"`, terms: []T{{Value: "a*", Phrase: true}}, canon: `"a*"`},
		// An unbalanced quote swallows the rest of the query.
		{in: `email:"x@example.com type:user`, terms: []T{{Field: "email", Op: ":", Value: "x@example.com type:user", Phrase: true}}, canon: `email:"x@example.com type:user"`},
		// Quotes end a bare word; what follows is a term of its own.
		{in: `x"type:user"`, terms: []T{{Value: "x"}, {Value: "type:user", Phrase: true}}, canon: `x "type:user"`},
		// An injected value outside quotes adds terms.
		{in: "email:a@example.com type:user", terms: []T{{Field: "email", Op: ":", Value: "a@example.com"}, {Field: "type", Op: ":", Value: "user"}}, canon: "email:a@example.com type:user"},
		// No escape character: a backslash is just a character.
		// and the stray closing quote opens an (empty, unbalanced) phrase.
		{in: `email:"a\" type:user"`, terms: []T{{Field: "email", Op: ":", Value: `a\`, Phrase: true}, {Field: "type", Op: ":", Value: "user"}, {Phrase: true}}, canon: `email:"a\" type:user ""`},
		{in: "order_by:updated sort:desc type:ticket", terms: []T{{Field: "type", Op: ":", Value: "ticket"}}, order: "updated/desc", canon: "type:ticket order_by:updated sort:desc"},
		{in: "  -  ", terms: nil, canon: ""},
		{in: "!!! ok", terms: []T{{Value: "ok"}}, canon: "ok"},
		{in: "Zoë 山田", terms: []T{{Value: "Zoë"}, {Value: "山田"}}, canon: "Zoë 山田"},
		{in: "TYPE:Ticket", terms: []T{{Field: "type", Op: ":", Value: "Ticket"}}, canon: "type:Ticket"},
		{in: "a\tb\x00c", terms: []T{{Value: "a"}, {Value: "b"}, {Value: "c"}}, canon: "a b c"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			q := zendesk.ParseQuery(tc.in)
			if d := cmp.Diff(tc.terms, q.Terms); d != "" {
				t.Errorf("terms (-want +got):\n%s", d)
			}
			if got := q.OrderBy + "/" + q.Sort; tc.order != "" && got != tc.order {
				t.Errorf("order %q, want %q", got, tc.order)
			}
			if q.String() != tc.canon {
				t.Errorf("String() = %q, want %q", q.String(), tc.canon)
			}
		})
	}
}
