package zendesk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cxgate/cxgate/connectors"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

// BenchmarkReadTicket measures a connector read (token cache, request,
// decode, projection) against the sandbox over loopback;
// BenchmarkReadTicketBaseline is the same GET with a plain http.Client and
// no decoding, so the difference is the connector's own cost.
func BenchmarkReadTicket(b *testing.B) {
	_, _, conn := benchEnv(b)
	q := connectors.Query{Resource: "ticket", Match: []connectors.Criterion{{Key: "id", Value: "4101"}}, Fields: fps("id", "subject", "status", "tags[]", "via.channel")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conn.Read(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadTicketBaseline(b *testing.B) {
	sb, srv, _ := benchEnv(b)
	c := sb.Credentials()
	tok := tokenFor(b, srv.URL, c)
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v2/tickets/4101.json", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

func benchEnv(b *testing.B) (*zdsandbox.Server, *httptest.Server, *Connector) {
	b.Helper()
	sb, err := zdsandbox.New(zdsandbox.Options{RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	c, err := Open(context.Background(), connectors.ConnectionConfig{Name: "bench", Type: Type, BaseURL: srv.URL, Credentials: connectors.CredentialRef{Env: "X"}},
		connectors.Deps{Secrets: &testSecrets{current: sb.Credentials()}, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return sb, srv, c.(*Connector)
}

func tokenFor(b *testing.B, base string, c connectors.Credentials) string {
	b.Helper()
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"], "scope": "read"})
	resp, err := http.Post(base+"/oauth/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		b.Fatalf("token: %v", err)
	}
	return tr.AccessToken
}
