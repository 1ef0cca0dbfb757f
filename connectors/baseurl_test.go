package connectors

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckBaseURL(t *testing.T) {
	ok := map[string]string{
		"https://acme.myshopify.com":  "https://acme.myshopify.com",
		"https://acme.myshopify.com/": "https://acme.myshopify.com",
		"http://127.0.0.1:8081":       "http://127.0.0.1:8081",
		"http://localhost:9":          "http://localhost:9",
		"http://[::1]:9":              "http://[::1]:9",
	}
	for in, want := range ok {
		if got, msg := CheckBaseURL(in, "https://x.example.com"); msg != "" || got != want {
			t.Errorf("CheckBaseURL(%q) = %q, %q; want %q", in, got, msg, want)
		}
	}
	bad := []string{"", " ", "acme.myshopify.com", "http://acme.example.com", "ftp://x.example.com",
		"https://user:pw@x.example.com", "https://x.example.com/admin", "https://x.example.com/?a=1", "https://x.example.com/#f"}
	for _, in := range bad {
		if got, msg := CheckBaseURL(in, "https://x.example.com"); msg == "" || got != "" {
			t.Errorf("CheckBaseURL(%q) accepted: %q", in, got)
		}
	}
	if _, msg := CheckBaseURL("https://user:s3cret@x.example.com", "e"); strings.Contains(msg, "s3cret") {
		t.Error("the message quotes a credential")
	}
}

func TestConfigError(t *testing.T) {
	err := ConfigError("zendesk", "globex", []Problem{{Key: "base_url", Message: "must use https"}, {Key: "auth", Message: "unknown"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `zendesk connection "globex": base_url: must use https; auth: unknown`) {
		t.Fatalf("ConfigError = %v", err)
	}
}
