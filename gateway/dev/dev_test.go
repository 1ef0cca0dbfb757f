package dev_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/pii"
)

func start(t *testing.T, o dev.Options) *dev.Env {
	t.Helper()
	if o.AuditDir == "" {
		o.AuditDir = t.TempDir()
	}
	e, err := dev.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// TestTokensJSON: the --tokens-file content has the contract's shape, and
// each token's claims say what its entry says.
func TestTokensJSON(t *testing.T) {
	e := start(t, dev.Options{})
	b, err := e.TokensJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Experts []map[string]json.RawMessage `json:"experts"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(doc.Experts) < 4 {
		t.Fatalf("%d experts, the issue asks for at least four", len(doc.Experts))
	}
	for _, raw := range doc.Experts {
		var x struct {
			Name    string   `json:"name"`
			Tier    *int     `json:"tier"`
			MFA     *bool    `json:"mfa"`
			Country *string  `json:"country"`
			Clients []string `json:"clients"`
			Token   string   `json:"token"`
		}
		whole, _ := json.Marshal(raw)
		if err := json.Unmarshal(whole, &x); err != nil {
			t.Fatal(err)
		}
		if x.Name == "" || x.Tier == nil || x.MFA == nil || x.Country == nil || len(x.Clients) == 0 || x.Token == "" {
			t.Fatalf("entry lacks a contract member: %s", whole)
		}
		claims := jwtClaims(t, x.Token)
		if claims.Tier != *x.Tier || claims.Country != *x.Country || !slices.Equal(claims.Clients, x.Clients) ||
			slices.Contains(claims.AMR, "mfa") != *x.MFA {
			t.Errorf("%s: the token says %+v", x.Name, claims)
		}
	}
}

type claims struct {
	Tier    int      `json:"tier"`
	Country string   `json:"country"`
	Clients []string `json:"clients"`
	AMR     []string `json:"amr"`
}

func jwtClaims(t *testing.T, tok string) claims {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c claims
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestExpertsCoverTheAccessLevels: the ready-made experts include the
// four the issue names, and each one's token is accepted by the gateway.
func TestExpertsCoverTheAccessLevels(t *testing.T) {
	e := start(t, dev.Options{})
	want := map[string]func(dev.Expert) bool{
		"tier 1 without MFA":             func(x dev.Expert) bool { return x.Tier == 1 && !x.MFA },
		"tier 1 with MFA":                func(x dev.Expert) bool { return x.Tier == 1 && x.MFA },
		"tier 2 with MFA in GB":          func(x dev.Expert) bool { return x.Tier == 2 && x.MFA && x.Country == "GB" },
		"tier 3 with MFA from a network": func(x dev.Expert) bool { return x.Tier == 3 && x.MFA && x.ForwardedFor != "" },
		"onboarded for one client only":  func(x dev.Expert) bool { return len(x.Clients) == 1 },
	}
	for name, fits := range want {
		if !slices.ContainsFunc(e.Experts, fits) {
			t.Errorf("no ready-made expert is %s", name)
		}
	}
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	for _, x := range e.Experts {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/clients/"+x.Clients[0]+"/inquiries", nil)
		req.Header.Set("Authorization", "Bearer "+x.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", x.Name, resp.StatusCode)
		}
	}
}

// TestGuide: every command sits on one line of its own in the guide, is a
// curl to the given base, and the guide names every expert.
func TestGuide(t *testing.T) {
	e := start(t, dev.Options{})
	const base = "http://127.0.0.1:9999"
	var b bytes.Buffer
	e.Guide(&b, base)
	guide := b.String()
	lines := strings.Split(guide, "\n")
	for _, c := range e.Curls(base) {
		if strings.Contains(c.Command, "\n") || !slices.Contains(lines, c.Command) {
			t.Errorf("%q is not one line of the guide", c.Title)
		}
		if !strings.HasPrefix(c.Command, "curl ") || !strings.Contains(c.Command, " "+base+"/") {
			t.Errorf("%q: %s", c.Title, c.Command)
		}
	}
	for _, x := range e.Experts {
		if !strings.Contains(guide, x.Name) {
			t.Errorf("the guide does not name %s", x.Name)
		}
	}
	if !strings.Contains(guide, e.AuditPath) {
		t.Error("the guide does not say where the audit log is")
	}
}

// failingTokenizer cannot run: Start must report it, not panic.
type failingTokenizer struct{}

func (failingTokenizer) Tokenize(context.Context, string, []pii.Item) ([]string, error) {
	return nil, pii.ErrUnavailable
}

func (failingTokenizer) Detokenize(context.Context, string, []string) ([]pii.Item, error) {
	return nil, pii.ErrUnavailable
}

func (failingTokenizer) HMAC(context.Context, string, []pii.Item) ([]string, error) {
	return nil, pii.ErrUnavailable
}

// TestStartFailsCleanly: a start that fails late (the tokenizer is down
// when the guide's exchange token is minted) returns the error and closes
// what it had started.
func TestStartFailsCleanly(t *testing.T) {
	e, err := dev.Start(context.Background(), dev.Options{Tokenizer: failingTokenizer{}, AuditDir: t.TempDir()})
	if err == nil || !errors.Is(err, pii.ErrUnavailable) || e != nil {
		t.Fatalf("Start = %v, %v; want nil and the tokenizer's error", e, err)
	}
}
