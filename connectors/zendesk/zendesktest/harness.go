package zendesktest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/connectortest"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
	"github.com/cxgate/cxgate/connectors/zendesk"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Harness is the kit's view of the Zendesk connector, on the embedded seed.
func Harness() connectortest.Harness { return harness{} }

// HarnessWith is Harness with every sandbox response passed through wrap
// (the connector's tests use it to validate responses against Zendesk's
// OpenAPI file while the kit runs).
func HarnessWith(wrap func(testing.TB, http.Handler) http.Handler) connectortest.Harness {
	return harness{wrap: wrap}
}

type harness struct {
	wrap func(testing.TB, http.Handler) http.Handler
}

func (harness) Factory() connectors.Factory { return zendesk.Factory() }

func (h harness) Start(t testing.TB) *connectortest.Env {
	t.Helper()
	sb, err := zdsandbox.New(zdsandbox.Options{RateLimit: -1})
	if err != nil {
		t.Fatalf("zendesk sandbox: %v", err)
	}
	var handler http.Handler = sb
	if h.wrap != nil {
		handler = h.wrap(t, sb)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	return &connectortest.Env{
		Config: connectors.ConnectionConfig{
			Name:        "globex-zendesk",
			Type:        zendesk.Type,
			BaseURL:     srv.URL,
			Credentials: connectors.CredentialRef{Env: "GLOBEX_ZENDESK"},
		},
		Credentials:      sb.Credentials(),
		HTTPClient:       srv.Client(),
		Faults:           sb.Faults(),
		IsTokenRequest:   func(r *http.Request) bool { return r.URL.Path == "/oauth/tokens" },
		EchoesRetryAfter: true,
		Known: connectortest.Case{
			Resource: "ticket",
			Match:    []connectors.Criterion{{Key: "id", Value: "4101"}},
			Fields:   []string{"id", "subject", "status", "priority", "requester_id", "created_at"},
			Want: connectors.Record{
				"id": 4101.0, "subject": "Order #1042 arrived damaged", "status": "open", "priority": "normal",
				"requester_id": 20978392101.0, "created_at": "2026-11-30T17:04:12Z",
			},
		},
		Nested: connectortest.Case{
			Resource: "ticket",
			Match:    []connectors.Criterion{{Key: "id", Value: "4101"}},
			Fields:   []string{"via.channel", "tags[]", "id"},
			Want:     connectors.Record{"id": 4101.0, "via": map[string]any{"channel": "email"}, "tags": []any{"damaged", "order_issue"}},
		},
		Null: connectortest.Case{
			Resource: "ticket",
			Match:    []connectors.Criterion{{Key: "id", Value: "4109"}},
			Fields:   []string{"id", "priority", "type", "assignee_id", "due_at", "status"},
			Want:     connectors.Record{"id": 4109.0, "priority": nil, "type": nil, "assignee_id": nil, "due_at": nil, "status": "hold"},
		},
		Unicode: connectortest.Case{
			Resource: "user",
			Match:    []connectors.Criterion{{Key: "email", Value: "zoe.angstrom@example.net"}},
			Fields:   []string{"id", "name", "notes", "locale"},
			Want:     connectors.Record{"id": 20978392103.0, "name": "Zoë Ångström", "notes": "Spricht Deutsch und Englisch", "locale": "de"},
		},
		Missing: connectors.Query{
			Resource: "ticket",
			Match:    []connectors.Criterion{{Key: "id", Value: "999999"}},
			Fields:   []fieldpath.Path{fieldpath.MustParse("id"), fieldpath.MustParse("subject")},
		},
		Search: &connectortest.SearchCase{
			Resource:    "ticket",
			Match:       []connectors.Criterion{{Key: "requester_email", Value: "maya.okafor@example.com"}},
			Fields:      []string{"id", "subject", "status"},
			Limit:       10,
			WantAtLeast: 2,
		},
		Update: &connectortest.UpdateCase{
			Resource: "ticket",
			Match:    []connectors.Criterion{{Key: "id", Value: "4102"}},
			Set:      map[string]any{"status": "open", "comment.body": "We unlocked your account; please try again.", "comment.public": false},
			Fields:   []string{"id", "status", "subject"},
			Want:     connectors.Record{"id": 4102.0, "status": "open", "subject": "Can't log in after password reset"},
		},
	}
}
