package vaultclient

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxgate/cxgate/pii"
)

func TestLocalKeyFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "local.key")
	key, err := WriteLocalKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v", fi.Mode(), err)
	}
	if _, err := WriteLocalKey(p); err == nil {
		t.Error("WriteLocalKey overwrote an existing key")
	}
	raw := filepath.Join(dir, "raw.key")
	hexFile := filepath.Join(dir, "hex.key")
	short := filepath.Join(dir, "short.key")
	for name, content := range map[string][]byte{raw: key, hexFile: []byte(hex.EncodeToString(key) + "\n"), short: []byte("c2hvcnQ=")} {
		if err := os.WriteFile(name, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		path    string
		wantErr bool
	}{
		{"base64 (as written)", p, false},
		{"raw bytes", raw, false},
		{"hex", hexFile, false},
		{"too short", short, true},
		{"missing", filepath.Join(dir, "missing.key"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadLocalKey(tc.path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !bytes.Equal(got, key) {
				t.Error("read a different key")
			}
		})
	}
}

// Tokens from one Local survive a restart with the same key, and mean
// nothing under another key.
func TestLocalKeyBindsTokens(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, LocalKeySize)
	a, _ := NewLocal(key)
	b, _ := NewLocal(key)
	other, _ := NewLocalRandom()
	item := []pii.Item{{Type: pii.Phone, Value: "+44 20 7946 0123"}}
	toks, err := a.Tokenize(ctx, "acme-retail", item)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Detokenize(ctx, "acme-retail", toks)
	if err != nil || got[0] != item[0] {
		t.Errorf("same key, new instance: %v, %v", got, err)
	}
	if _, err := other.Detokenize(ctx, "acme-retail", toks); !errors.Is(itemErr(t, err, 0), pii.ErrInvalidToken) {
		t.Errorf("other key: want pii.ErrInvalidToken, got %v", err)
	}
	if _, err := NewLocal(key[:16]); err == nil {
		t.Error("NewLocal accepted a short key")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Tokenize(cctx, "acme-retail", item); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}
