package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Key types cxgate creates.
const (
	EncryptionKeyType = "aes256-gcm96"
	HMACKeyType       = "hmac"
	hmacKeyBytes      = 32
)

// KeyInfo is what Vault says about a transit key; never key material.
type KeyInfo struct {
	Name                 string
	Type                 string
	Derived              bool
	Convergent           bool
	Exportable           bool
	PlaintextBackup      bool
	DeletionAllowed      bool
	LatestVersion        int
	MinDecryptionVersion int
	MinEncryptionVersion int
	MinAvailableVersion  int
	// Created is each available version's creation time (encryption keys;
	// Vault does not report it for hmac keys).
	Created map[int]time.Time
}

// EncryptionProblems lists why k cannot serve as a client's encryption key.
func (k KeyInfo) EncryptionProblems() []string {
	var ps []string
	if k.Type != EncryptionKeyType {
		ps = append(ps, fmt.Sprintf("type is %s, want %s", k.Type, EncryptionKeyType))
	}
	if !k.Derived {
		ps = append(ps, "not derived (Vault would silently ignore the PII-type context)")
	}
	if !k.Convergent {
		ps = append(ps, "not convergent (tokens would not be deterministic)")
	}
	return append(ps, k.commonProblems()...)
}

// HMACProblems lists why k cannot serve as a client's HMAC key.
func (k KeyInfo) HMACProblems() []string {
	var ps []string
	if k.Type != HMACKeyType {
		ps = append(ps, fmt.Sprintf("type is %s, want %s", k.Type, HMACKeyType))
	}
	return append(ps, k.commonProblems()...)
}

func (k KeyInfo) commonProblems() []string {
	var ps []string
	if k.Exportable {
		ps = append(ps, "exportable (key material can leave Vault)")
	}
	if k.PlaintextBackup {
		ps = append(ps, "allows plaintext backup")
	}
	return ps
}

// Flags describes k in one short phrase for `vault check` lines.
func (k KeyInfo) Flags() string {
	parts := []string{k.Type}
	if k.Derived {
		parts = append(parts, "derived")
	}
	if k.Convergent {
		parts = append(parts, "convergent")
	}
	if k.Exportable {
		parts = append(parts, "exportable")
	}
	parts = append(parts, fmt.Sprintf("latest v%d", k.LatestVersion))
	if k.MinDecryptionVersion > 1 {
		parts = append(parts, fmt.Sprintf("decrypts from v%d", k.MinDecryptionVersion))
	}
	return strings.Join(parts, ", ")
}

// ReadKey reads a transit key's configuration. A missing key is ErrKeyMissing.
func (c *Client) ReadKey(ctx context.Context, name string) (KeyInfo, error) {
	path := c.cfg.TransitMount + "/keys/" + name
	resp, err := c.call(ctx, "read key", http.MethodGet, path, nil)
	if errors.Is(err, ErrNotFound) || (err == nil && (len(resp.Data) == 0 || string(resp.Data) == "null")) {
		return KeyInfo{}, &Error{Op: "read key", Path: path, Status: http.StatusNotFound, Kind: ErrKeyMissing}
	}
	if err != nil {
		return KeyInfo{}, err
	}
	var d struct {
		Name                 string                     `json:"name"`
		Type                 string                     `json:"type"`
		Derived              bool                       `json:"derived"`
		Convergent           bool                       `json:"convergent_encryption"`
		Exportable           bool                       `json:"exportable"`
		PlaintextBackup      bool                       `json:"allow_plaintext_backup"`
		DeletionAllowed      bool                       `json:"deletion_allowed"`
		LatestVersion        int                        `json:"latest_version"`
		MinDecryptionVersion int                        `json:"min_decryption_version"`
		MinEncryptionVersion int                        `json:"min_encryption_version"`
		MinAvailableVersion  int                        `json:"min_available_version"`
		Keys                 map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(resp.Data, &d); err != nil {
		return KeyInfo{}, &Error{Op: "read key", Path: path, Status: resp.Status, Kind: ErrUnavailable, Detail: "unexpected answer from Vault"}
	}
	k := KeyInfo{
		Name: name, Type: d.Type, Derived: d.Derived, Convergent: d.Convergent, Exportable: d.Exportable,
		PlaintextBackup: d.PlaintextBackup, DeletionAllowed: d.DeletionAllowed, LatestVersion: d.LatestVersion,
		MinDecryptionVersion: d.MinDecryptionVersion, MinEncryptionVersion: d.MinEncryptionVersion,
		MinAvailableVersion: d.MinAvailableVersion, Created: map[int]time.Time{},
	}
	for v, raw := range d.Keys {
		n, err := strconv.Atoi(v)
		if err != nil {
			continue
		}
		var unix int64
		if json.Unmarshal(raw, &unix) == nil {
			k.Created[n] = time.Unix(unix, 0)
		}
	}
	return k, nil
}

// The key cache spares a read per call; an entry is re-read after a minute
// or after any failure that could mean the key changed.
type cachedKey struct {
	info KeyInfo
	at   time.Time
}

const keyCacheTTL = time.Minute

func (c *Client) cachedKey(name string) (KeyInfo, bool) {
	c.keysMu.Lock()
	defer c.keysMu.Unlock()
	ck, ok := c.keys[name]
	if !ok || time.Since(ck.at) > keyCacheTTL {
		return KeyInfo{}, false
	}
	return ck.info, true
}

// refreshKey reads a key and caches what it read.
func (c *Client) refreshKey(ctx context.Context, name string) (KeyInfo, error) {
	info, err := c.ReadKey(ctx, name)
	if err != nil {
		c.forgetKey(name)
		return KeyInfo{}, err
	}
	c.keysMu.Lock()
	c.keys[name] = cachedKey{info: info, at: time.Now()}
	c.keysMu.Unlock()
	return info, nil
}

func (c *Client) forgetKey(name string) {
	c.keysMu.Lock()
	delete(c.keys, name)
	c.keysMu.Unlock()
}

// encKey returns a client's verified encryption key. cxgate checks the
// flags before using a key, so a key created by hand without derivation
// (which would ignore the type context) is never used.
func (c *Client) encKey(ctx context.Context, client string) (KeyInfo, error) {
	return c.verifiedKey(ctx, KeyName(client), KeyInfo.EncryptionProblems)
}

func (c *Client) hmacKey(ctx context.Context, client string) (KeyInfo, error) {
	return c.verifiedKey(ctx, HMACKeyName(client), KeyInfo.HMACProblems)
}

func (c *Client) verifiedKey(ctx context.Context, name string, problems func(KeyInfo) []string) (KeyInfo, error) {
	info, ok := c.cachedKey(name)
	if !ok {
		var err error
		if info, err = c.refreshKey(ctx, name); err != nil {
			return KeyInfo{}, err
		}
	}
	if ps := problems(info); len(ps) > 0 {
		c.forgetKey(name)
		return KeyInfo{}, &Error{Op: "check key", Path: c.cfg.TransitMount + "/keys/" + name, Kind: ErrKeyFlags, Detail: strings.Join(ps, "; ")}
	}
	return info, nil
}

// KeysReady reads every listed client's encryption and HMAC keys from
// Vault, not from the cache (which it refreshes), and reports the keys that
// are missing or have wrong flags, by name, and the transit paths of good
// keys that the login may not use (a policy that lost encrypt, decrypt or
// hmac). The gateway's readiness check calls it, so keys lost when a dev
// Vault restarted empty, deleted by hand, or a narrowed policy show in
// /readyz instead of only as 503s on tokenizing calls; and since a failed
// read drops the cached key, those calls fail closed at once. It costs two
// key reads per client and one capabilities call (skipped when the policy
// does not allow sys/capabilities-self). Any other failure (Vault down,
// key reads denied) is returned as it is, at the first key.
func (c *Client) KeysReady(ctx context.Context, clients []string) error {
	var missing, wrong, paths []string
	for _, id := range clients {
		for _, k := range []struct {
			name     string
			problems func(KeyInfo) []string
			ops      []string
		}{{KeyName(id), KeyInfo.EncryptionProblems, []string{"encrypt", "decrypt"}}, {HMACKeyName(id), KeyInfo.HMACProblems, []string{"hmac"}}} {
			info, err := c.refreshKey(ctx, k.name)
			switch {
			case errors.Is(err, ErrKeyMissing):
				missing = append(missing, k.name)
			case err != nil:
				return err
			case len(k.problems(info)) > 0:
				c.forgetKey(k.name)
				wrong = append(wrong, k.name)
			default:
				for _, op := range k.ops {
					paths = append(paths, c.cfg.TransitMount+"/"+op+"/"+k.name)
				}
			}
		}
	}
	var denied []string
	if len(paths) > 0 {
		var err error
		denied, err = c.notUpdatable(ctx, paths)
		switch {
		case errors.Is(err, ErrDenied):
			// The policy does not let the login ask; calls will tell.
		case err != nil:
			return err
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing (run cxgate vault init): "+nameList(missing))
	}
	if len(wrong) > 0 {
		parts = append(parts, "wrong flags (see cxgate vault check): "+nameList(wrong))
	}
	if len(denied) > 0 {
		parts = append(parts, "not usable by this login (the policy lacks update on): "+nameList(denied))
	}
	if len(parts) == 0 {
		return nil
	}
	return errors.New("transit keys " + strings.Join(parts, "; "))
}

// nameList names up to five keys and counts the rest.
func nameList(names []string) string {
	const show = 5
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
}

// Key actions in a KeyReport.
const (
	KeyCreated = "created"
	KeyOK      = "ok"
	KeyRefused = "refused"
)

// KeyReport is the outcome for one key of InitKeys.
type KeyReport struct {
	Client   string
	Key      string
	Purpose  string // "encryption" or "hmac"
	Action   string // KeyCreated, KeyOK or KeyRefused
	Info     KeyInfo
	Problems []string // why a key was refused
}

// InitKeys makes sure every client has its encryption key and its HMAC key
// with the right flags. Missing keys are created; existing keys with the
// right flags are left alone (so it is idempotent); existing keys with
// wrong flags are refused, never changed: Vault cannot change a key's type
// or derivation, and deleting it would destroy every token minted under it.
// It returns an error wrapping ErrKeyFlags when any key was refused, after
// looking at all of them.
func (c *Client) InitKeys(ctx context.Context, clients []string) ([]KeyReport, error) {
	var out []KeyReport
	refused := 0
	for _, client := range clients {
		if err := ValidateClient(client); err != nil {
			return out, err
		}
		for _, spec := range []struct {
			purpose, name string
			params        map[string]any
			problems      func(KeyInfo) []string
		}{
			{"encryption", KeyName(client), map[string]any{"type": EncryptionKeyType, "derived": true, "convergent_encryption": true, "exportable": false, "allow_plaintext_backup": false}, KeyInfo.EncryptionProblems},
			{"hmac", HMACKeyName(client), map[string]any{"type": HMACKeyType, "key_size": hmacKeyBytes, "exportable": false, "allow_plaintext_backup": false}, KeyInfo.HMACProblems},
		} {
			r := KeyReport{Client: client, Key: spec.name, Purpose: spec.purpose, Action: KeyOK}
			info, err := c.ReadKey(ctx, spec.name)
			if errors.Is(err, ErrKeyMissing) {
				path := c.cfg.TransitMount + "/keys/" + spec.name
				if _, err := c.call(ctx, "create key", http.MethodPut, path, spec.params); err != nil {
					return out, err
				}
				r.Action = KeyCreated
				// Read back: a concurrent init may have created it first.
				info, err = c.ReadKey(ctx, spec.name)
			}
			if err != nil {
				return out, err
			}
			r.Info = info
			if ps := spec.problems(info); len(ps) > 0 {
				r.Action, r.Problems = KeyRefused, ps
				refused++
			}
			c.forgetKey(spec.name)
			out = append(out, r)
		}
	}
	if refused > 0 {
		return out, fmt.Errorf("%w: %d key(s) refused; create them again under a new name or fix them by hand", ErrKeyFlags, refused)
	}
	return out, nil
}

// ClientKeyPolicy is one client's retention, as `rotate` applies it.
type ClientKeyPolicy struct {
	Client string
	// Retention: tokens stop detokenizing once their key version is older
	// than this. 0 keeps every version (no shredding).
	Retention time.Duration
	// RotationPeriod: a new key version once the latest is this old. 0
	// means Config.RotationPeriod, else DefaultRotationPeriod(Retention).
	// It never exceeds Retention.
	RotationPeriod time.Duration
}

// DefaultRotationPeriod is a quarter of the retention: a token then keeps
// working for at least three quarters of the retention and never longer
// than the retention, and token equality spans a quarter of it.
func DefaultRotationPeriod(retention time.Duration) time.Duration {
	if retention <= 0 {
		return 0
	}
	return retention / 4
}

// period is the effective rotation period of p.
func (c *Client) period(p ClientKeyPolicy) time.Duration {
	per := p.RotationPeriod
	if per <= 0 {
		per = c.cfg.RotationPeriod
	}
	if per <= 0 {
		per = DefaultRotationPeriod(p.Retention)
	}
	if p.Retention > 0 && per > p.Retention {
		per = p.Retention
	}
	return per
}

// RotateOptions tune Rotate.
type RotateOptions struct {
	// Now is the time rotation decisions are made at; zero means time.Now().
	Now time.Time
	// Trim also deletes shredded key versions from Vault (transit trim):
	// irreversible, whereas min_decryption_version can be lowered again by
	// an operator with the admin policy.
	Trim bool
}

// RotateReport is the outcome for one client of Rotate.
type RotateReport struct {
	Client    string
	Key       string
	Retention time.Duration
	Period    time.Duration // effective rotation period; 0 = never rotates

	Rotated           bool
	FromVersion       int // latest version before
	ToVersion         int // latest version after
	MinDecryptionFrom int
	MinDecryptionTo   int
	TrimmedTo         int // min_available_version after a trim; 0 = untouched

	Problems []string // the key was left alone because of these
}

// Rotate applies each client's retention to its encryption key. It is meant
// for cron and is idempotent: running it twice at the same moment changes
// nothing the second time. For each client it
//
//  1. rotates the key when its latest version is at least one rotation
//     period old, so new tokens use a fresh version;
//  2. raises min_decryption_version past every version created more than
//     Retention ago, so tokens minted under those versions stop
//     detokenizing (Detokenize reports pii.ErrExpired). The latest version
//     is never shredded; min_decryption_version never goes down.
//
// A token therefore works for at least Retention minus one rotation period
// and never longer than Retention (plus the time until the next run). HMAC
// keys are never rotated: hashes are the stable pseudonym.
// Keys with wrong flags are reported and left alone; the error then wraps
// ErrKeyFlags. Whole-call failures (Vault unavailable) stop the run.
func (c *Client) Rotate(ctx context.Context, policies []ClientKeyPolicy, o RotateOptions) ([]RotateReport, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	var out []RotateReport
	refused := 0
	for _, p := range policies {
		if err := ValidateClient(p.Client); err != nil {
			return out, err
		}
		name := KeyName(p.Client)
		r := RotateReport{Client: p.Client, Key: name, Retention: p.Retention, Period: c.period(p)}
		info, err := c.ReadKey(ctx, name)
		if err != nil {
			return out, err
		}
		r.FromVersion, r.ToVersion = info.LatestVersion, info.LatestVersion
		r.MinDecryptionFrom, r.MinDecryptionTo = info.MinDecryptionVersion, info.MinDecryptionVersion
		if ps := info.EncryptionProblems(); len(ps) > 0 {
			r.Problems = ps
			refused++
			out = append(out, r)
			continue
		}
		base := c.cfg.TransitMount + "/keys/" + name
		if r.Period > 0 {
			created, ok := info.Created[info.LatestVersion]
			if !ok || now.Sub(created) >= r.Period {
				if _, err := c.call(ctx, "rotate key", http.MethodPut, base+"/rotate", map[string]any{}); err != nil {
					return out, err
				}
				c.forgetKey(name)
				if info, err = c.ReadKey(ctx, name); err != nil {
					return out, err
				}
				r.Rotated, r.ToVersion = true, info.LatestVersion
			}
		}
		if p.Retention > 0 {
			target := shredBelow(info, now.Add(-p.Retention))
			if target > info.MinDecryptionVersion {
				if _, err := c.call(ctx, "configure key", http.MethodPut, base+"/config", map[string]any{"min_decryption_version": target}); err != nil {
					return out, err
				}
				c.forgetKey(name)
				r.MinDecryptionTo = target
			}
			if o.Trim && r.MinDecryptionTo > info.MinAvailableVersion {
				if info.MinEncryptionVersion < r.MinDecryptionTo {
					// Trimming needs min_encryption_version at or above it;
					// cxgate always encrypts with the latest version anyway.
					if _, err := c.call(ctx, "configure key", http.MethodPut, base+"/config", map[string]any{"min_encryption_version": r.ToVersion}); err != nil {
						return out, err
					}
				}
				if _, err := c.call(ctx, "trim key", http.MethodPut, base+"/trim", map[string]any{"min_available_version": r.MinDecryptionTo}); err != nil {
					return out, err
				}
				c.forgetKey(name)
				r.TrimmedTo = r.MinDecryptionTo
			}
		}
		out = append(out, r)
	}
	if refused > 0 {
		return out, fmt.Errorf("%w: %d key(s) left alone", ErrKeyFlags, refused)
	}
	return out, nil
}

// shredBelow is the lowest version that must stay decryptable: the oldest
// version created after cutoff, or the latest version if none was.
func shredBelow(info KeyInfo, cutoff time.Time) int {
	versions := make([]int, 0, len(info.Created))
	for v := range info.Created {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	for _, v := range versions {
		if v < info.MinDecryptionVersion {
			continue
		}
		if info.Created[v].After(cutoff) {
			return v
		}
	}
	return info.LatestVersion
}
