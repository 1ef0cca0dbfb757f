// Package logging builds cxgate's slog loggers: text or JSON, a level, and a
// handler that withholds the value of any attribute whose key names a secret
// or a kind of personal data. Values reach logs only by mistake; this handler
// makes such a mistake show "[withheld]" instead of the value. Request ids
// are added by the gateway through context (see WithRequestID).
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Options configure New.
type Options struct {
	Level  string // debug, info, warn, error ("" = info)
	Format string // text or json ("" = text)
}

// ParseLevel reads a level name.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

// New returns a logger writing to w.
func New(w io.Writer, o Options) (*slog.Logger, error) {
	lvl, err := ParseLevel(o.Level)
	if err != nil {
		return nil, err
	}
	ho := &slog.HandlerOptions{Level: lvl, ReplaceAttr: redact}
	var h slog.Handler
	switch strings.ToLower(o.Format) {
	case "", "text":
		h = slog.NewTextHandler(w, ho)
	case "json":
		h = slog.NewJSONHandler(w, ho)
	default:
		return nil, fmt.Errorf("unknown log format %q (want text or json)", o.Format)
	}
	return slog.New(&ctxHandler{h}), nil
}

// sensitive key fragments: an attribute whose key contains one of these has
// its value withheld.
var sensitive = []string{
	"password", "passwd", "secret", "token", "authorization", "cookie", "credential",
	"private_key", "api_key", "apikey", "assertion",
	"email", "phone", "card", "iban", "ssn", "nino", "address", "postcode", "dob", "birth",
	"plaintext", "value", "body", "text",
}

// Allowed keys that contain a fragment above but carry no secret.
var allowed = map[string]bool{
	"token_type": true, "tokens": true, "tokens_minted": true, "credentials_source": true,
}

func redact(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	if allowed[k] {
		return a
	}
	for _, s := range sensitive {
		if strings.Contains(k, s) {
			if a.Value.Kind() == slog.KindGroup {
				return a
			}
			return slog.String(a.Key, "[withheld]")
		}
	}
	return a
}

type ctxKey struct{}

// WithRequestID returns a context whose log records carry request_id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

type ctxHandler struct{ slog.Handler }

func (h *ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &ctxHandler{h.Handler.WithAttrs(as)}
}

func (h *ctxHandler) WithGroup(name string) slog.Handler {
	return &ctxHandler{h.Handler.WithGroup(name)}
}
