package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultSignerLifetime is how long a token minted by a Signer lives when
// SignerConfig.Lifetime is zero.
const DefaultSignerLifetime = time.Hour

// SignerConfig configures a Signer.
type SignerConfig struct {
	Issuer   string
	Audience string
	// Key is ed25519.PrivateKey (EdDSA), *ecdsa.PrivateKey on P-256 (ES256),
	// *rsa.PrivateKey of 2048 to 4096 bits (RS256) or []byte of at least 32
	// bytes (HS256, dev only).
	Key any
	// KeyID goes into the `kid` header when set.
	KeyID string
	// Lifetime is exp - iat of minted tokens. Zero means one hour.
	Lifetime time.Duration
	// Now is the clock (tests). Nil means time.Now.
	Now func() time.Time
}

// Signer mints expert assertions, for `cxgate dev` and tests. In production
// the expert platform signs them; cxgate only verifies. Safe for concurrent use.
type Signer struct {
	cfg    SignerConfig
	alg    jose.SignatureAlgorithm
	signer jose.Signer
}

// NewSigner checks cfg and prepares the signing key.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("authn: signer needs an issuer and an audience")
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultSignerLifetime
	}
	if cfg.Lifetime < 0 {
		return nil, errors.New("authn: signer lifetime must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var alg jose.SignatureAlgorithm
	switch k := cfg.Key.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, errors.New("authn: invalid Ed25519 private key")
		}
		alg = jose.EdDSA
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("authn: ECDSA signing key must be on P-256 (ES256)")
		}
		alg = jose.ES256
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("authn: RSA signing key has %d bits; %d to %d are accepted", bits, minRSABits, maxRSABits)
		}
		alg = jose.RS256
	case []byte:
		if len(k) < MinHS256SecretBytes {
			return nil, fmt.Errorf("authn: HS256 secret must have at least %d bytes", MinHS256SecretBytes)
		}
		alg = jose.HS256
	default:
		return nil, errors.New("authn: unsupported signing key type (want Ed25519, ECDSA P-256, RSA or an HS256 secret)")
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if cfg.KeyID != "" {
		opts = opts.WithHeader("kid", cfg.KeyID)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: cfg.Key}, opts)
	if err != nil {
		return nil, fmt.Errorf("authn: signing key: %w", err)
	}
	return &Signer{cfg: cfg, alg: alg, signer: s}, nil
}

// Algorithm is the algorithm of minted tokens (AlgEdDSA, AlgES256, ...).
func (s *Signer) Algorithm() string { return string(s.alg) }

// Sign mints a token for p. IssuedAt and Expiry default to now and now plus
// the lifetime. AMR defaults to ["pwd","mfa"] when p.MFA is set and to
// ["pwd"] otherwise; a given AMR must agree with p.MFA. p.IP and p.KeyID are
// not claims and are ignored. The Principal is checked as Verify would, so a
// token minted here verifies with the matching key, issuer and audience.
func (s *Signer) Sign(p Principal) (string, error) {
	if !validSubject(p.Subject) {
		return "", errors.New("authn: subject must be 1 to 256 printable characters")
	}
	if p.Tier < 0 || p.Tier > 9 {
		return "", errors.New("authn: tier must be 0 to 9")
	}
	if p.Country != "" && !isCountry(p.Country) {
		return "", errors.New("authn: country must be an ISO 3166-1 alpha-2 code in upper case")
	}
	for _, c := range p.Clients {
		if !ValidClientID(c) {
			return "", errors.New("authn: client ids must match [a-z0-9-]+ (at most 63 characters)")
		}
	}
	amr := p.AMR
	if len(amr) == 0 {
		amr = []string{"pwd"}
		if p.MFA {
			amr = append(amr, "mfa")
		}
	}
	mfa := false
	for _, m := range amr {
		if m == "" || len(m) > maxAMRLen || !printable(m) {
			return "", errors.New("authn: amr values must be 1 to 64 printable characters")
		}
		mfa = mfa || isSecondFactor(m)
	}
	if mfa != p.MFA {
		return "", errors.New("authn: MFA does not agree with AMR (mfa, otp, hwk or sms mean a second factor)")
	}
	iat := p.IssuedAt
	if iat.IsZero() {
		iat = s.cfg.Now()
	}
	exp := p.Expiry
	if exp.IsZero() {
		exp = iat.Add(s.cfg.Lifetime)
	}
	clients := p.Clients
	if clients == nil {
		clients = []string{}
	}
	claims := map[string]any{
		"iss":     s.cfg.Issuer,
		"aud":     s.cfg.Audience,
		"sub":     p.Subject,
		"iat":     iat.Unix(),
		"nbf":     iat.Unix(),
		"exp":     exp.Unix(),
		"tier":    p.Tier,
		"amr":     amr,
		"clients": clients,
	}
	if p.Country != "" {
		claims["country"] = p.Country
	}
	return s.SignClaims(claims)
}

// SignClaims signs an arbitrary claim set as given, with no checks: tests use
// it to build assertions that Verify must refuse.
func (s *Signer) SignClaims(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("authn: encode claims: %w", err)
	}
	return s.SignPayload(payload)
}

// SignPayload signs payload bytes as they are (tests: malformed claim JSON).
func (s *Signer) SignPayload(payload []byte) (string, error) {
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("authn: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// DevKeys is an ephemeral key pair for `cxgate dev` and tests: the private
// key signs, the public half goes into a Verifier's KeysData.
type DevKeys struct {
	Alg        string        // AlgEdDSA, AlgES256 or AlgRS256
	KeyID      string        // the `kid` of the public JWK and of minted tokens
	PrivateKey crypto.Signer // never written anywhere by this package
	JWKS       []byte        // {"keys":[<public JWK>]}
	PEM        []byte        // the public key as a PEM PUBLIC KEY block
}

// GenerateDevKeys makes a fresh key pair for alg ("" means EdDSA). Each call
// makes new keys, so tokens minted by one process die with it.
func GenerateDevKeys(alg string) (*DevKeys, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "", AlgEdDSA:
		alg = AlgEdDSA
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("authn: dev keys: unsupported algorithm %q (want EdDSA, ES256 or RS256)", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("authn: dev keys: %w", err)
	}
	pub := priv.Public()
	kid := "dev-" + thumbprint(pub)[:16]
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}}})
	if err != nil {
		return nil, fmt.Errorf("authn: dev keys: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("authn: dev keys: %w", err)
	}
	return &DevKeys{
		Alg:        alg,
		KeyID:      kid,
		PrivateKey: priv,
		JWKS:       jwks,
		PEM:        pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
	}, nil
}

// Signer returns a Signer for these keys that sets the `kid` header.
func (k *DevKeys) Signer(issuer, audience string, lifetime time.Duration) (*Signer, error) {
	return NewSigner(SignerConfig{Issuer: issuer, Audience: audience, Key: k.PrivateKey, KeyID: k.KeyID, Lifetime: lifetime})
}

// String and LogValue keep the private key out of logs and %v output.
func (s *Signer) String() string {
	return fmt.Sprintf("authn.Signer{alg: %s, kid: %q}", s.alg, s.cfg.KeyID)
}

// LogValue implements slog.LogValuer without the key.
func (s *Signer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("alg", string(s.alg)), slog.String("kid", s.cfg.KeyID))
}

// String and LogValue keep the private key out of logs and %v output.
func (k *DevKeys) String() string {
	return fmt.Sprintf("authn.DevKeys{alg: %s, kid: %q}", k.Alg, k.KeyID)
}

// LogValue implements slog.LogValuer without the private key.
func (k *DevKeys) LogValue() slog.Value {
	return slog.GroupValue(slog.String("alg", k.Alg), slog.String("kid", k.KeyID))
}
