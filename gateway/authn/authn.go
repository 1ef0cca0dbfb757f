package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits and defaults of Config.
const (
	DefaultClockSkew     = 30 * time.Second
	MaxClockSkew         = 5 * time.Minute
	DefaultMaxTokenBytes = 8 << 10
	MaxMaxTokenBytes     = 64 << 10
	DefaultMaxLifetime   = 24 * time.Hour
	// MinHS256SecretBytes is the shortest HS256 secret accepted (RFC 7518
	// section 3.2: at least the hash size).
	MinHS256SecretBytes = 32
)

// Signature algorithms. Each key type verifies exactly one of them.
const (
	AlgRS256 = "RS256" // RSA keys, 2048 to 4096 bits
	AlgES256 = "ES256" // ECDSA P-256 keys
	AlgEdDSA = "EdDSA" // Ed25519 keys
	AlgHS256 = "HS256" // a shared secret: dev only
)

// Config configures a Verifier. Exactly one key source must be set:
// KeysFile, KeysData or HS256Secret.
type Config struct {
	// Issuer is the exact `iss` every assertion must carry.
	Issuer string
	// Audience must be the `aud` claim or one of its elements.
	Audience string
	// KeysFile is a JWKS (JSON) or PEM file of public keys: RS256 (RSA,
	// 2048 to 4096 bits), ES256 (P-256) or EdDSA (Ed25519). Reload re-reads it.
	KeysFile string
	// KeysData is the content of a keys file given in memory (dev mode and
	// tests); Reload is then a no-op.
	KeysData []byte
	// KeysURL is an issuer's JWKS endpoint (https; plain http only to a
	// loopback address). It is fetched at start (NewVerifier fails when it
	// cannot be), every KeysRefresh, on Reload, and when an assertion names
	// a key id the set lacks (at most once per KeysMinRefetch). A failed
	// fetch keeps the keys in use. Close stops the refresh.
	KeysURL string
	// KeysRefresh is the refresh interval: zero means 10m; at least 1m.
	KeysRefresh time.Duration
	// KeysMinRefetch is the shortest time between fetches caused by
	// unknown key ids: zero means 30s.
	KeysMinRefetch time.Duration
	// HTTPClient fetches KeysURL; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// Logger receives key-fetch failures; nil discards them.
	Logger *slog.Logger
	// HS256Secret is a shared secret, for dev only (the gateway reads it from
	// an environment variable named in its config). At least 32 bytes.
	HS256Secret []byte
	// ClockSkew is tolerated on exp, nbf and iat. Zero means 30s; at most 5m.
	ClockSkew time.Duration
	// MaxTokenBytes bounds the compact token; larger ones are rejected before
	// any parsing. Zero means 8 KiB; at most 64 KiB.
	MaxTokenBytes int
	// MaxLifetime bounds exp - iat. Zero means 24h.
	MaxLifetime time.Duration
	// CacheSize is how many verified assertions are remembered (keyed by
	// the token's SHA-256) so that repeated requests with one assertion
	// skip the signature check; an entry lasts until the assertion's exp
	// and only while the key set that verified it is in use. Zero means
	// DefaultCacheSize; negative disables the cache.
	CacheSize int
	// Now is the clock (tests). Nil means time.Now.
	Now func() time.Time
}

// LogValue keeps the HS256 secret out of logs: only which key source is set.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("issuer", c.Issuer),
		slog.String("audience", c.Audience),
		slog.String("keys_file", c.KeysFile),
		slog.String("keys_url", c.KeysURL),
		slog.Bool("keys_in_memory", c.KeysData != nil),
		slog.Bool("hs256", c.HS256Secret != nil),
		slog.Duration("clock_skew", c.ClockSkew),
	)
}

// String keeps the HS256 secret out of %v output.
func (c Config) String() string {
	return fmt.Sprintf("authn.Config{issuer: %q, audience: %q, keys_file: %q, keys_url: %q, hs256: %t}", c.Issuer, c.Audience, c.KeysFile, c.KeysURL, c.HS256Secret != nil)
}

// Principal is what a verified assertion says about the expert. The gateway
// converts it into the scopes package's principal.
type Principal struct {
	Subject string   // `sub`: the expert id at the expert platform
	Tier    int      // `tier`: 0..9
	MFA     bool     // true iff AMR holds mfa, otp, hwk or sms
	AMR     []string // `amr`, as sent (never nil after Verify)
	Country string   // `country`: ISO 3166-1 alpha-2, "" when the issuer did not say
	Clients []string // `clients`: client ids the expert is onboarded for (never nil after Verify)
	// IP is not a claim: the gateway fills it from ClientIP.
	IP       netip.Addr
	IssuedAt time.Time // `iat`
	Expiry   time.Time // `exp`
	KeyID    string    // the key that verified the signature ("" for HS256)
}

// ErrUnauthenticated is wrapped by every error Verify and BearerToken return.
var ErrUnauthenticated = errors.New("unauthenticated")

// Error is an authentication failure. Reason is short, fixed text that is safe
// to show to the caller: it never holds the token or a claim value.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "unauthenticated: " + e.Reason }

// Unwrap makes errors.Is(err, ErrUnauthenticated) hold.
func (e *Error) Unwrap() error { return ErrUnauthenticated }

func fail(reason string) error { return &Error{Reason: reason} }

// Verifier checks expert assertions. It is safe for concurrent use; Reload
// swaps the key set atomically, so a request sees either the old or the new
// keys, never a mix.
type Verifier struct {
	issuer      string
	audience    string
	skew        time.Duration
	maxBytes    int
	maxLifetime time.Duration
	now         func() time.Time
	keysFile    string
	remote      *remoteKeys    // nil unless the keys come from a URL
	cache       *verifiedCache // nil when disabled

	keys     atomic.Pointer[keySet]
	reloadMu sync.Mutex
}

// NewVerifier checks cfg and loads the keys. Errors from the keys file carry
// FILE:LINE:COL positions.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("authn: issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("authn: audience is required")
	}
	sources := 0
	for _, set := range []bool{cfg.KeysFile != "", cfg.KeysURL != "", cfg.KeysData != nil, cfg.HS256Secret != nil} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, errors.New("authn: exactly one of keys file, keys URL, in-memory keys or HS256 secret must be set (HS256 is for dev only and never beside public keys)")
	}
	if cfg.KeysURL != "" {
		if err := CheckKeysURL(cfg.KeysURL); err != nil {
			return nil, fmt.Errorf("authn: %w", err)
		}
		if cfg.KeysRefresh != 0 && cfg.KeysRefresh < MinKeysRefresh {
			return nil, fmt.Errorf("authn: keys refresh %s is below the minimum of %s", cfg.KeysRefresh, MinKeysRefresh)
		}
		if cfg.KeysMinRefetch < 0 {
			return nil, errors.New("authn: the keys refetch interval must be positive")
		}
	}
	v := &Verifier{
		issuer:      cfg.Issuer,
		audience:    cfg.Audience,
		skew:        cfg.ClockSkew,
		maxBytes:    cfg.MaxTokenBytes,
		maxLifetime: cfg.MaxLifetime,
		now:         cfg.Now,
		keysFile:    cfg.KeysFile,
		cache:       newVerifiedCache(cfg.CacheSize),
	}
	switch {
	case v.skew == 0:
		v.skew = DefaultClockSkew
	case v.skew < 0 || v.skew > MaxClockSkew:
		return nil, fmt.Errorf("authn: clock skew %s is out of range (0 to %s)", v.skew, MaxClockSkew)
	}
	switch {
	case v.maxBytes == 0:
		v.maxBytes = DefaultMaxTokenBytes
	case v.maxBytes < 0 || v.maxBytes > MaxMaxTokenBytes:
		return nil, fmt.Errorf("authn: max token bytes %d is out of range (1 to %d)", v.maxBytes, MaxMaxTokenBytes)
	}
	switch {
	case v.maxLifetime == 0:
		v.maxLifetime = DefaultMaxLifetime
	case v.maxLifetime < 0:
		return nil, fmt.Errorf("authn: max lifetime %s must be positive", v.maxLifetime)
	}
	if v.now == nil {
		v.now = time.Now
	}

	var ks *keySet
	var err error
	switch {
	case cfg.HS256Secret != nil:
		ks, err = hs256KeySet(cfg.HS256Secret)
	case cfg.KeysData != nil:
		ks, err = parseKeys("keys", cfg.KeysData)
	case cfg.KeysURL != "":
		v.remote = newRemoteKeys(cfg, v.keys.Store)
		if err := v.remote.update(context.Background(), true); err != nil {
			v.remote.cancel()
			return nil, err
		}
		go v.remote.run()
		return v, nil
	default:
		ks, err = loadKeysFile(cfg.KeysFile)
	}
	if err != nil {
		return nil, err
	}
	v.keys.Store(ks)
	return v, nil
}

// Reload re-reads the keys file and swaps the key set. On any error the old
// keys stay in use and the error says why (the SIGHUP handler logs it).
// Without a keys file it does nothing.
func (v *Verifier) Reload() error {
	if v.remote != nil {
		return v.remote.update(context.Background(), true)
	}
	if v.keysFile == "" {
		return nil
	}
	v.reloadMu.Lock()
	defer v.reloadMu.Unlock()
	ks, err := loadKeysFile(v.keysFile)
	if err != nil {
		return err
	}
	v.keys.Store(ks)
	return nil
}

// Close stops the background refresh of a keys URL. Verify keeps working
// with the keys last fetched. Safe to call twice; a no-op for other sources.
func (v *Verifier) Close() error {
	if v.remote != nil {
		v.remote.close()
	}
	return nil
}

// KeyIDs lists the ids of the keys in use, sorted (for logs after a reload).
// Keys without a `kid` are listed by their RFC 7638 thumbprint.
func (v *Verifier) KeyIDs() []string {
	return append([]string(nil), v.keys.Load().ids...)
}

// Verify checks a compact JWT (without "Bearer ") and returns its Principal.
// Every error wraps ErrUnauthenticated and says why in words safe to show.
// Verification does no I/O, except with a keys URL when the token names a
// key id the set lacks: then the keys are fetched again (at most once per
// KeysMinRefetch; callers arriving meanwhile wait for that fetch or ctx).
func (v *Verifier) Verify(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, fail("missing token")
	}
	if len(raw) > v.maxBytes {
		return Principal{}, fail("token too large")
	}
	ks := v.keys.Load()
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = sha256.Sum256([]byte(raw))
		if p, ok := v.cache.get(sum, ks, v.now(), v.skew); ok {
			return p, nil
		}
	}
	hdr, err := parseCompact(raw)
	if err != nil {
		return Principal{}, err
	}

	candidates, err := ks.candidates(hdr.alg, hdr.kid, hdr.hasKid)
	if err != nil && v.remote != nil && hdr.hasKid && ks.byID[hdr.kid] == nil {
		// The issuer may have rotated its keys since the last fetch. Fetch
		// (or wait for the fetch under way), then look in the newest set,
		// which another request may have fetched meanwhile.
		_ = v.remote.update(ctx, false)
		if latest := v.keys.Load(); latest != ks {
			ks = latest
			candidates, err = ks.candidates(hdr.alg, hdr.kid, hdr.hasKid)
		}
	}
	if err != nil {
		return Principal{}, err
	}

	// The algorithm list handed to go-jose is the one algorithm the chosen
	// keys verify, so the header can never pick another.
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{candidates[0].alg})
	if err != nil {
		return Principal{}, fail("malformed token")
	}
	if len(jws.Signatures) != 1 {
		return Principal{}, fail("exactly one signature is required")
	}
	var payload []byte
	var used *verifyKey
	for _, k := range candidates {
		if p, err := jws.Verify(k.pub); err == nil {
			payload, used = p, k
			break
		}
	}
	if used == nil {
		return Principal{}, fail("signature invalid")
	}

	p, err := v.claims(payload)
	if err != nil {
		return Principal{}, err
	}
	p.KeyID = used.id
	if v.cache != nil {
		v.cache.put(sum, p, ks)
	}
	return p, nil
}
