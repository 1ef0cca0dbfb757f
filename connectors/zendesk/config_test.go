package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestCheck(t *testing.T) {
	good := connectors.ConnectionConfig{Name: "globex-zendesk", Type: Type, BaseURL: "https://globex.zendesk.com", Credentials: connectors.CredentialRef{Vault: "cxgate/globex/zendesk"}}
	for _, tc := range []struct {
		name string
		mod  func(*connectors.ConnectionConfig)
		want []string // problem keys
	}{
		{"defaults", func(*connectors.ConnectionConfig) {}, nil},
		{"trailing slash", func(c *connectors.ConnectionConfig) { c.BaseURL += "/" }, nil},
		{"api_token auth", func(c *connectors.ConnectionConfig) { c.Auth = AuthAPIToken }, nil},
		{"scope and max_pages", func(c *connectors.ConnectionConfig) {
			c.Options = map[string]string{"scope": "tickets:read tickets:write users:read organizations:read", "max_pages": "3"}
		}, nil},
		{"loopback http", func(c *connectors.ConnectionConfig) { c.BaseURL = "http://127.0.0.1:8089" }, nil},
		{"api_version v2", func(c *connectors.ConnectionConfig) { c.APIVersion = "v2" }, nil},
		{"no base url", func(c *connectors.ConnectionConfig) { c.BaseURL = "" }, []string{"base_url"}},
		{"plain http", func(c *connectors.ConnectionConfig) { c.BaseURL = "http://globex.zendesk.com" }, []string{"base_url"}},
		{"path", func(c *connectors.ConnectionConfig) { c.BaseURL = "https://globex.zendesk.com/api/v2" }, []string{"base_url"}},
		{"user info", func(c *connectors.ConnectionConfig) { c.BaseURL = "https://me:pw@globex.zendesk.com" }, []string{"base_url"}},
		{"query", func(c *connectors.ConnectionConfig) { c.BaseURL = "https://globex.zendesk.com?x=1" }, []string{"base_url"}},
		{"ftp", func(c *connectors.ConnectionConfig) { c.BaseURL = "ftp://globex.zendesk.com" }, []string{"base_url"}},
		{"unknown auth", func(c *connectors.ConnectionConfig) { c.Auth = "password" }, []string{"auth"}},
		{"api version", func(c *connectors.ConnectionConfig) { c.APIVersion = "v3" }, []string{"api_version"}},
		{"two credential sources", func(c *connectors.ConnectionConfig) { c.Credentials.Env = "X" }, []string{"credentials"}},
		{"empty scope", func(c *connectors.ConnectionConfig) { c.Options = map[string]string{"scope": " "} }, []string{"options.scope"}},
		{"scope with api_token", func(c *connectors.ConnectionConfig) {
			c.Auth = AuthAPIToken
			c.Options = map[string]string{"scope": "read"}
		}, []string{"options.scope"}},
		{"bad max_pages", func(c *connectors.ConnectionConfig) { c.Options = map[string]string{"max_pages": "0"} }, []string{"options.max_pages"}},
		{"unknown option", func(c *connectors.ConnectionConfig) { c.Options = map[string]string{"subdomain": "x"} }, []string{"options.subdomain"}},
		{"negative rate", func(c *connectors.ConnectionConfig) { c.RateLimit = -1 }, []string{"rate_limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			cfg.Options = nil
			tc.mod(&cfg)
			var got []string
			for _, p := range Check(cfg) {
				if p.Message == "" {
					t.Errorf("problem %q without a message", p.Key)
				}
				got = append(got, p.Key)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("problem keys (-want +got):\n%s", d)
			}
			_, err := Open(context.Background(), cfg, connectors.Deps{})
			if (err != nil) != (len(tc.want) > 0) {
				t.Errorf("Open: %v", err)
			}
			if err != nil && !errors.Is(err, connectors.ErrInvalid) {
				t.Errorf("Open error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestFactory(t *testing.T) {
	f := Factory()
	if f.Type != Type || f.Catalog == nil || f.Check == nil || f.Open == nil {
		t.Fatalf("incomplete factory %+v", f)
	}
	if f.DefaultRate < 6.66 || f.DefaultRate > 6.67 {
		t.Errorf("DefaultRate %v, want 400/min (Growth/Professional)", f.DefaultRate)
	}
	if _, err := connectors.NewRegistry(f); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogGolden pins the catalog (VOCABULARY.md) in testdata/catalog.json.
func TestCatalogGolden(t *testing.T) {
	got, err := json.MarshalIndent(catalog(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "catalog.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("catalog differs from %s (-want +got; -update rewrites):\n%s", path, d)
	}
}

// TestCatalogVocabulary checks the names the shared vocabulary promises.
func TestCatalogVocabulary(t *testing.T) {
	cat := catalog()
	want := map[string]struct {
		actions, keys, fields, writable string
	}{
		"ticket": {"read search update", "id requester_email",
			"id subject description status priority type tags[] created_at updated_at requester_id assignee_id organization_id via.channel due_at comment.body comment.public",
			"status priority comment.body comment.public"},
		"ticket_comment": {"search", "ticket_id", "id body public author_id created_at via.channel", ""},
		"user": {"read search", "id email external_id",
			"id name email phone role locale time_zone organization_id created_at verified tags[] notes details external_id", ""},
		"organization": {"read", "id", "id name domain_names[] details notes created_at tags[] group_id", ""},
	}
	if len(cat.Resources) != len(want) {
		t.Fatalf("%d resources, want %d", len(cat.Resources), len(want))
	}
	for _, r := range cat.Resources {
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected resource %q", r.Name)
			continue
		}
		var keys, fields, writable []string
		for _, k := range r.Keys {
			keys = append(keys, k.Name)
		}
		for _, f := range r.Fields {
			fields = append(fields, f.Path)
			if f.Writable {
				writable = append(writable, f.Path)
			}
		}
		for what, pair := range map[string][2]string{
			"actions":  {w.actions, strings.Join(r.Actions, " ")},
			"keys":     {w.keys, strings.Join(keys, " ")},
			"fields":   {w.fields, strings.Join(fields, " ")},
			"writable": {w.writable, strings.Join(writable, " ")},
		} {
			if pair[0] != pair[1] {
				t.Errorf("%s %s: %q, want %q", r.Name, what, pair[1], pair[0])
			}
		}
	}
	if d := cmp.Diff([]string{AuthOAuth, AuthAPIToken}, cat.AuthModes); d != "" {
		t.Errorf("auth modes (-want +got):\n%s", d)
	}
}
