package logging

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRedactsSensitiveKeys(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, Options{Level: "debug", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "req-1")
	log.DebugContext(ctx, "call", "client_secret", "s3cr3t-value", "customer_email", "maya@example.com",
		"resource", "order", "token_type", "bearer")
	out := buf.String()
	for _, leak := range []string{"s3cr3t-value", "maya@example.com"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log leaked %q: %s", leak, out)
		}
	}
	for _, want := range []string{`"resource":"order"`, `"request_id":"req-1"`, `"token_type":"bearer"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %s: %s", want, out)
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, Options{Level: "loud"}); err == nil {
		t.Fatal("unknown level accepted")
	}
	if _, err := New(&bytes.Buffer{}, Options{Format: "xml"}); err == nil {
		t.Fatal("unknown format accepted")
	}
}
