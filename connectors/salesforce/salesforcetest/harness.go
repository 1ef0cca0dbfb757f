package salesforcetest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/connectors/salesforce"
	sfsandbox "github.com/cxgate/cxgate/connectors/sandbox/salesforce"
)

// Harness returns the kit's harness for Salesforce.
func Harness() connectortest.Harness { return harness{} }

type harness struct{}

func (harness) Factory() connectors.Factory { return salesforce.Factory() }

// Now is the sandbox clock: fixed, so comment order and dates are stable.
var Now = func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) }

// StartSandbox starts a seeded sandbox org behind an httptest server.
func StartSandbox(t testing.TB, opts sfsandbox.Options) (*sfsandbox.Server, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = Now
	}
	s, err := sfsandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.SetBaseURL(srv.URL)
	return s, srv
}

// Config is a connection to a sandbox at baseURL.
func Config(baseURL string) connectors.ConnectionConfig {
	return connectors.ConnectionConfig{
		Name: "initech-salesforce", Type: salesforce.Type, BaseURL: baseURL,
		Credentials: connectors.CredentialRef{Env: "CXGATE_INITECH_SF"}, Timeout: 10 * time.Second,
	}
}

func crit(k, v string) []connectors.Criterion { return []connectors.Criterion{{Key: k, Value: v}} }

func (harness) Start(t testing.TB) *connectortest.Env {
	s, srv := StartSandbox(t, sfsandbox.Options{})
	return &connectortest.Env{
		Config:         Config(srv.URL),
		Credentials:    s.Credentials(),
		HTTPClient:     srv.Client(),
		Faults:         s.Faults(),
		IsTokenRequest: func(r *http.Request) bool { return r.URL.Path == "/services/oauth2/token" },
		// Salesforce names no wait on REQUEST_LIMIT_EXCEEDED; the connector
		// reports its own (30s).
		EchoesRetryAfter: false,
		Known: connectortest.Case{
			Resource: "case", Match: crit("case_number", "00001027"),
			Fields: []string{"Id", "CaseNumber", "Subject", "Status", "Priority", "IsClosed", "ContactEmail", "CreatedDate"},
			Want: connectors.Record{
				"Id": "500RO00000AbCdEYAV", "CaseNumber": "00001027", "Subject": "Order 00000142 arrived damaged",
				"Status": "New", "Priority": "Medium", "IsClosed": false, "ContactEmail": "maya.okafor@example.com",
				"CreatedDate": "2026-11-30T17:04:12.000+0000",
			},
		},
		Nested: connectortest.Case{
			Resource: "case", Match: crit("id", "500RO00000AbCdEYAV"),
			Fields: []string{"Account.Name", "Contact.Name", "Contact.Email", "CaseComments[].CommentBody", "CaseComments[].IsPublished"},
			Want: connectors.Record{
				"Account": map[string]any{"Name": "Northwind Outfitters"},
				"Contact": map[string]any{"Name": "Maya Okafor", "Email": "maya.okafor@example.com"},
				"CaseComments": []any{
					map[string]any{"CommentBody": "Photos received; replacement approved.", "IsPublished": true},
					map[string]any{"CommentBody": "Internal: courier claim filed.", "IsPublished": false},
				},
			},
		},
		Null: connectortest.Case{
			Resource: "case", Match: crit("case_number", "00001029"),
			Fields: []string{"CaseNumber", "Reason", "Type", "Account.Name", "CaseComments[].CommentBody"},
			Want: connectors.Record{
				"CaseNumber": "00001029", "Reason": nil, "Type": nil, "Account": nil, "CaseComments": []any{},
			},
		},
		Unicode: connectortest.Case{
			Resource: "contact", Match: crit("id", "003RO00000Y1zoeYAB"),
			Fields: []string{"FirstName", "LastName", "Title", "Description", "MailingCity"},
			Want: connectors.Record{
				"FirstName": "Zoë", "LastName": "Ångström-Nakamura", "Title": "Directrice générale",
				"Description": "Spricht Deutsch, Français, 日本語 🎉", "MailingCity": "Göteborg",
			},
		},
		Missing: connectors.Query{Resource: "case", Match: crit("case_number", "99999999"), Fields: connectortest.Paths("CaseNumber")},
		Search: &connectortest.SearchCase{
			Resource: "case", Match: crit("email", "maya.okafor@example.com"), Fields: []string{"CaseNumber", "Status", "Subject"},
			Limit: 10, WantAtLeast: 4,
		},
		Update: &connectortest.UpdateCase{
			Resource: "case", Match: crit("case_number", "00001027"),
			Set:    map[string]any{"Status": "Working", "Priority": "High", "Comments": "Called the courier; new parcel on its way."},
			Fields: []string{"Status", "Priority", "IsClosed", "CaseComments[].CommentBody", "CaseComments[].IsPublished"},
			Want: connectors.Record{
				"Status": "Working", "Priority": "High", "IsClosed": false,
				"CaseComments": []any{
					map[string]any{"CommentBody": "Photos received; replacement approved.", "IsPublished": true},
					map[string]any{"CommentBody": "Internal: courier claim filed.", "IsPublished": false},
					map[string]any{"CommentBody": "Called the courier; new parcel on its way.", "IsPublished": false},
				},
			},
		},
	}
}
