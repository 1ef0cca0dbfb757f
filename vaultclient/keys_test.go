package vaultclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/pii"
)

func TestInitKeys(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	a, b := unique("acme"), unique("globex")

	first, err := c.InitKeys(ctx, []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 {
		t.Fatalf("want 4 key reports, got %d", len(first))
	}
	for _, r := range first {
		if r.Action != KeyCreated {
			t.Errorf("%s: action %s, want created", r.Key, r.Action)
		}
	}
	enc, err := c.ReadKey(ctx, KeyName(a))
	if err != nil {
		t.Fatal(err)
	}
	if enc.Type != "aes256-gcm96" || !enc.Derived || !enc.Convergent || enc.Exportable || enc.LatestVersion != 1 {
		t.Errorf("encryption key flags: %+v", enc)
	}
	h, err := c.ReadKey(ctx, HMACKeyName(a))
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != "hmac" || h.Exportable {
		t.Errorf("hmac key flags: %+v", h)
	}

	// Idempotent: a second run changes nothing.
	second, err := c.InitKeys(ctx, []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range second {
		if r.Action != KeyOK {
			t.Errorf("second run %s: action %s, want ok", r.Key, r.Action)
		}
	}
	again, _ := c.ReadKey(ctx, KeyName(a))
	if again.LatestVersion != 1 {
		t.Errorf("second run changed the key: %+v", again)
	}
}

func TestInitKeysRefusesWrongFlags(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	cases := []struct {
		name    string
		key     func(client string) string
		params  map[string]any
		problem string
	}{
		{"non-derived encryption key", KeyName, map[string]any{"type": "aes256-gcm96"}, "not derived"},
		{"non-convergent encryption key", KeyName, map[string]any{"type": "aes256-gcm96", "derived": true}, "not convergent"},
		{"wrong encryption key type", KeyName, map[string]any{"type": "aes128-gcm96", "derived": true, "convergent_encryption": true}, "want aes256-gcm96"},
		{"exportable encryption key", KeyName, map[string]any{"type": "aes256-gcm96", "derived": true, "convergent_encryption": true, "exportable": true}, "exportable"},
		{"hmac key of the wrong type", HMACKeyName, map[string]any{"type": "aes256-gcm96"}, "want hmac"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad, good := unique("bad"), unique("good")
			if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+tc.key(bad), tc.params); err != nil {
				t.Fatal(err)
			}
			before, err := c.ReadKey(ctx, tc.key(bad))
			if err != nil {
				t.Fatal(err)
			}
			reports, err := c.InitKeys(ctx, []string{bad, good})
			if !errors.Is(err, ErrKeyFlags) {
				t.Fatalf("want ErrKeyFlags, got %v", err)
			}
			refused := 0
			for _, r := range reports {
				switch {
				case r.Key == tc.key(bad):
					if r.Action != KeyRefused || !strings.Contains(strings.Join(r.Problems, "; "), tc.problem) {
						t.Errorf("%s: %s %v, want refused for %q", r.Key, r.Action, r.Problems, tc.problem)
					}
					refused++
				case r.Client == good && r.Action != KeyCreated:
					t.Errorf("the good client's %s key: %s, want created", r.Purpose, r.Action)
				}
			}
			if refused != 1 {
				t.Errorf("want 1 refused key, got %d in %+v", refused, reports)
			}
			after, err := c.ReadKey(ctx, tc.key(bad))
			if err != nil {
				t.Fatal(err)
			}
			if after.Type != before.Type || after.Derived != before.Derived || after.Convergent != before.Convergent || after.LatestVersion != before.LatestVersion {
				t.Errorf("init changed a refused key: %+v -> %+v", before, after)
			}
		})
	}
}

func TestDefaultRotationPeriod(t *testing.T) {
	day := 24 * time.Hour
	c := &Client{}
	cw := &Client{cfg: Config{RotationPeriod: 10 * day}}
	for _, tc := range []struct {
		name   string
		client *Client
		p      ClientKeyPolicy
		want   time.Duration
	}{
		{"quarter of the retention", c, ClientKeyPolicy{Retention: 30 * day}, 30 * day / 4},
		{"explicit period", c, ClientKeyPolicy{Retention: 30 * day, RotationPeriod: day}, day},
		{"explicit period capped at the retention", c, ClientKeyPolicy{Retention: 30 * day, RotationPeriod: 60 * day}, 30 * day},
		{"config-wide period", cw, ClientKeyPolicy{Retention: 90 * day}, 10 * day},
		{"config-wide period capped", cw, ClientKeyPolicy{Retention: 7 * day}, 7 * day},
		{"no retention, no rotation", c, ClientKeyPolicy{}, 0},
		{"no retention, explicit period", c, ClientKeyPolicy{RotationPeriod: day}, day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.client.period(tc.p); got != tc.want {
				t.Errorf("period = %s, want %s", got, tc.want)
			}
		})
	}
}

// Rotation decisions are taken at RotateOptions.Now against the creation
// times Vault reports, so the test moves Now instead of waiting for days.
func TestRotateAndShred(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	client, other := unique("acme"), unique("globex")
	f.initKeys(t, client, other)
	const retention = 30 * 24 * time.Hour
	pol := []ClientKeyPolicy{{Client: client, Retention: retention}}
	item := []pii.Item{{Type: pii.Email, Value: "alice@example.com"}}

	tokenize := func() string {
		t.Helper()
		toks, err := c.Tokenize(ctx, client, item)
		if err != nil {
			t.Fatal(err)
		}
		return toks[0]
	}
	hash := func() string {
		t.Helper()
		h, err := c.HMAC(ctx, client, item)
		if err != nil {
			t.Fatal(err)
		}
		return h[0]
	}
	rotate := func(now time.Time, trim bool) RotateReport {
		t.Helper()
		rs, err := c.Rotate(ctx, pol, RotateOptions{Now: now, Trim: trim})
		if err != nil || len(rs) != 1 {
			t.Fatalf("Rotate: %v, %v", rs, err)
		}
		return rs[0]
	}
	created := func(v int) time.Time {
		t.Helper()
		k, err := c.ReadKey(ctx, KeyName(client))
		if err != nil {
			t.Fatal(err)
		}
		return k.Created[v]
	}

	tok1, hash1 := tokenize(), hash()
	c1 := created(1)

	// A fresh key is left alone, however often rotate runs (cron).
	for i := 0; i < 2; i++ {
		r := rotate(c1.Add(time.Hour), false)
		if r.Rotated || r.MinDecryptionTo != 1 || r.Period != retention/4 {
			t.Fatalf("run %d on a fresh key: %+v", i, r)
		}
	}

	// Vault records creation times in whole seconds: let the next version
	// be born in a later second than v1, so retention can tell them apart.
	waitFor(t, "the next second", func() bool { return time.Now().Unix() > c1.Unix() })

	// One rotation period later: a new version, nothing shredded yet.
	r := rotate(c1.Add(retention/4+time.Second), false)
	if !r.Rotated || r.FromVersion != 1 || r.ToVersion != 2 || r.MinDecryptionTo != 1 {
		t.Fatalf("after one period: %+v", r)
	}
	tok2 := tokenize()
	if tok2 == tok1 {
		t.Error("tokens must change with the key version (equality spans one rotation period)")
	}
	if got := hash(); got != hash1 {
		t.Error("the hash changed with rotation; it is the stable pseudonym")
	}
	items, err := c.Detokenize(ctx, client, []string{tok1, tok2})
	if err != nil || items[0] != item[0] || items[1] != item[0] {
		t.Fatalf("both versions must decrypt within retention: %v, %v", items, err)
	}

	// Retention after v1 was created: v1 is shredded, v2 still decrypts.
	r = rotate(c1.Add(retention), false)
	if r.MinDecryptionFrom != 1 || r.MinDecryptionTo != 2 {
		t.Fatalf("at retention: %+v", r)
	}
	items, err = c.Detokenize(ctx, client, []string{tok1, tok2})
	e0 := itemErr(t, err, 0)
	if !errors.Is(e0, pii.ErrExpired) || !strings.Contains(e0.Error(), "expired by retention") {
		t.Errorf("a token minted before shredding: want pii.ErrExpired, got %v", e0)
	}
	if errors.Is(e0, pii.ErrInvalidToken) || errors.Is(err, pii.ErrUnavailable) {
		t.Errorf("an expired token is neither invalid nor an outage: %v", err)
	}
	if itemErr(t, err, 1) != nil || items[1] != item[0] {
		t.Errorf("v2 token after shredding v1: %v, %v", items[1], itemErr(t, err, 1))
	}
	noLeak(t, err, item[0].Value)
	if got := hash(); got != hash1 {
		t.Error("the hash changed with shredding")
	}

	// A second client (e.g. another process) that cached the key before
	// shredding still reports expiry, not an invalid token.
	k, err := c.ReadKey(ctx, KeyName(client))
	if err != nil {
		t.Fatal(err)
	}
	c2 := f.client(t)
	c2.keys[KeyName(client)] = cachedKey{info: KeyInfo{Name: k.Name, Type: k.Type, Derived: true, Convergent: true, LatestVersion: k.LatestVersion, MinDecryptionVersion: 1}, at: time.Now()}
	_, err = c2.Detokenize(ctx, client, []string{tok1})
	if !errors.Is(itemErr(t, err, 0), pii.ErrExpired) {
		t.Errorf("through a stale cache: want pii.ErrExpired, got %v", err)
	}

	// Trim deletes the shredded versions for good.
	r = rotate(c1.Add(retention), true)
	if r.TrimmedTo != r.MinDecryptionTo || r.TrimmedTo < 2 {
		t.Fatalf("trim: %+v", r)
	}
	k, err = c.ReadKey(ctx, KeyName(client))
	if err != nil {
		t.Fatal(err)
	}
	if k.MinAvailableVersion != r.TrimmedTo {
		t.Errorf("min_available_version = %d, want %d", k.MinAvailableVersion, r.TrimmedTo)
	}
	if _, err := c.Detokenize(ctx, client, []string{tok1}); !errors.Is(itemErr(t, err, 0), pii.ErrExpired) {
		t.Errorf("after trim: want pii.ErrExpired, got %v", err)
	}
	if _, err := c.Detokenize(ctx, client, []string{tokenize()}); err != nil {
		t.Errorf("a fresh token after trim: %v", err)
	}

	// The other client's key was never touched.
	ko, err := c.ReadKey(ctx, KeyName(other))
	if err != nil {
		t.Fatal(err)
	}
	if ko.LatestVersion != 1 || ko.MinDecryptionVersion != 1 {
		t.Errorf("another client's key changed: %+v", ko)
	}
}

func TestRotateLeavesWrongKeysAlone(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	bad := unique("bad")
	if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+KeyName(bad), map[string]any{"type": "aes256-gcm96"}); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Rotate(ctx, []ClientKeyPolicy{{Client: bad, Retention: time.Hour}}, RotateOptions{Now: time.Now().Add(48 * time.Hour)})
	if !errors.Is(err, ErrKeyFlags) || len(rs) != 1 || len(rs[0].Problems) == 0 || rs[0].Rotated {
		t.Fatalf("Rotate on a non-derived key: %+v, %v", rs, err)
	}
	k, _ := c.ReadKey(ctx, KeyName(bad))
	if k.LatestVersion != 1 || k.MinDecryptionVersion != 1 {
		t.Errorf("the key was changed: %+v", k)
	}
}

// The admin policy in examples/vault covers init and rotate (with trim)
// and nothing else: no tokenizing, no deleting keys.
func TestAdminPolicy(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	pol := unique("cxgate-admin-")
	if err := f.srv.WritePolicy(ctx, pol, f.policy(t, "cxgate-admin.hcl")); err != nil {
		t.Fatal(err)
	}
	sec, err := f.srv.Write(ctx, "auth/token/create", map[string]any{"policies": []string{pol}, "no_default_policy": true, "ttl": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Getenv = func(string) string { return sec.Auth.ClientToken }
	c := openClient(t, cfg)
	client := unique("acme")
	if _, err := c.InitKeys(ctx, []string{client}); err != nil {
		t.Fatalf("init under the admin policy: %v", err)
	}
	k, err := c.ReadKey(ctx, KeyName(client))
	if err != nil {
		t.Fatal(err)
	}
	pol1 := []ClientKeyPolicy{{Client: client, Retention: 30 * 24 * time.Hour}}
	waitFor(t, "the next second", func() bool { return time.Now().Unix() > k.Created[1].Unix() })
	if _, err := c.Rotate(ctx, pol1, RotateOptions{Now: k.Created[1].Add(8 * 24 * time.Hour)}); err != nil {
		t.Fatalf("rotate under the admin policy: %v", err)
	}
	rs, err := c.Rotate(ctx, pol1, RotateOptions{Now: k.Created[1].Add(30 * 24 * time.Hour), Trim: true})
	if err != nil || rs[0].TrimmedTo < 2 {
		t.Fatalf("rotate --trim under the admin policy: %+v, %v", rs, err)
	}
	if _, err := c.Tokenize(ctx, client, []pii.Item{{Type: pii.Email, Value: "alice@example.com"}}); !errors.Is(err, ErrDenied) {
		t.Errorf("tokenize under the admin policy: want ErrDenied, got %v", err)
	}
	if _, err := c.HMAC(ctx, client, []pii.Item{{Type: pii.Email, Value: "alice@example.com"}}); !errors.Is(err, ErrDenied) {
		t.Errorf("hmac under the admin policy: want ErrDenied, got %v", err)
	}
	if _, err := c.call(ctx, "configure key", http.MethodPut, f.cfg.TransitMount+"/keys/"+KeyName(client)+"/config", map[string]any{"deletion_allowed": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.call(ctx, "delete key", http.MethodDelete, f.cfg.TransitMount+"/keys/"+KeyName(client), nil); !errors.Is(err, ErrDenied) {
		t.Errorf("delete under the admin policy: want ErrDenied, got %v", err)
	}
}

// TestKeysReady: the readiness check names missing keys and keys with
// wrong flags, never a good one; and after it saw a key deleted, the
// next Tokenize fails closed instead of using the cached key (with a
// token that may create keys, Vault would make a new, wrong one).
func TestKeysReady(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	good, absent, wrong := unique("good"), unique("absent"), unique("wrong")
	f.initKeys(t, good)
	if err := c.KeysReady(ctx, []string{good}); err != nil {
		t.Fatalf("KeysReady with every key in place: %v", err)
	}
	if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+KeyName(wrong), map[string]any{"type": "aes256-gcm96"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+HMACKeyName(wrong), map[string]any{"type": "hmac", "key_size": 32}); err != nil {
		t.Fatal(err)
	}
	err := c.KeysReady(ctx, []string{good, absent, wrong})
	if err == nil {
		t.Fatal("KeysReady: no error with a client's keys missing and one key with wrong flags")
	}
	msg := err.Error()
	for _, want := range []string{"missing (run cxgate vault init): " + KeyName(absent) + ", " + HMACKeyName(absent), "wrong flags (see cxgate vault check): " + KeyName(wrong)} {
		if !strings.Contains(msg, want) {
			t.Errorf("KeysReady = %q; want it to contain %q", msg, want)
		}
	}
	for _, ok := range []string{KeyName(good), HMACKeyName(wrong) + ","} {
		if strings.Contains(msg, ok) {
			t.Errorf("KeysReady = %q names %s, whose key is fine", msg, ok)
		}
	}

	// Fill the cache, delete the key behind it, and look again.
	item := []pii.Item{{Type: pii.Email, Value: "alice@example.com"}}
	if _, err := c.Tokenize(ctx, good, item); err != nil {
		t.Fatal(err)
	}
	path := f.cfg.TransitMount + "/keys/" + KeyName(good)
	if _, err := f.srv.Write(ctx, path+"/config", map[string]any{"deletion_allowed": true}); err != nil {
		t.Fatal(err)
	}
	api, err := f.srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Logical().DeleteWithContext(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := c.KeysReady(ctx, []string{good}); err == nil || !strings.Contains(err.Error(), KeyName(good)) {
		t.Fatalf("KeysReady after the key was deleted = %v; want it named", err)
	}
	if _, err := c.Tokenize(ctx, good, item); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("Tokenize after the key was deleted = %v; want ErrKeyMissing", err)
	}
	if _, err := c.ReadKey(ctx, KeyName(good)); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("the deleted key exists again (%v): Tokenize let Vault create it", err)
	}
}
