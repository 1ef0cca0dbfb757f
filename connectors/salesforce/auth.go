package salesforce

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cxgate/cxgate/connectors"
)

// tokenResponse is the OAuth token endpoint's answer; only access_token,
// instance_url and token_type are always present.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
	TokenType   string `json:"token_type"`
}

// fetchToken is the connection's connectors.FetchToken: the client
// credentials grant, or the JWT bearer grant with an RS256 assertion
// signed by the private key from the secret source. Both post to the My
// Domain host (the client credentials flow works nowhere else).
func (c *Connector) fetchToken(ctx context.Context, creds connectors.Credentials) (connectors.Token, error) {
	form := url.Values{}
	switch c.s.auth {
	case AuthJWTBearer:
		for _, k := range []string{"client_id", "username", "private_key"} {
			if creds.Get(k) == "" {
				return connectors.Token{}, fmt.Errorf("salesforce token: credentials lack %s: %w", k, connectors.ErrUnauthorized)
			}
		}
		assertion, err := signAssertion(creds.Get("private_key"), creds.Get("client_id"), creds.Get("username"), c.s.loginURL, c.now())
		if err != nil {
			return connectors.Token{}, fmt.Errorf("salesforce token: %v: %w", err, connectors.ErrUnauthorized)
		}
		form.Set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
		form.Set("assertion", assertion)
	default:
		for _, k := range []string{"client_id", "client_secret"} {
			if creds.Get(k) == "" {
				return connectors.Token{}, fmt.Errorf("salesforce token: credentials lack %s: %w", k, connectors.ErrUnauthorized)
			}
		}
		form.Set("grant_type", "client_credentials")
		form.Set("client_id", creds.Get("client_id"))
		form.Set("client_secret", creds.Get("client_secret"))
	}
	// A token request changes nothing upstream: safe to retry.
	resp, err := c.http.R().SetContext(connectors.MarkIdempotent(ctx)).
		SetHeader("Content-Type", "application/x-www-form-urlencoded").
		SetBody(form.Encode()).
		Post(c.s.base.String() + "/services/oauth2/token")
	if err != nil {
		return connectors.Token{}, connectors.TransportError("salesforce token", err)
	}
	if resp.StatusCode() != 200 {
		return connectors.Token{}, tokenErr(resp, c.now())
	}
	var tr tokenResponse
	if err := connectors.DecodeJSON("salesforce token", resp.Body(), &tr); err != nil {
		return connectors.Token{}, err
	}
	if tr.AccessToken == "" || tr.InstanceURL == "" {
		return connectors.Token{}, fmt.Errorf("salesforce token: answer lacks access_token or instance_url: %w", connectors.ErrUpstream)
	}
	inst, err := c.checkInstance(tr.InstanceURL)
	if err != nil {
		return connectors.Token{}, err
	}
	// Sessions end after the org's timeout (measured by Salesforce from
	// activity); counting from our own clock avoids trusting issued_at
	// across clock skew. A session ended early still gets one refresh.
	return connectors.Token{
		Value:  tr.AccessToken,
		Expiry: c.now().Add(c.s.sessionTimeout),
		Extra:  map[string]string{"instance_url": inst},
	}, nil
}

// checkInstance accepts the instance_url of a token answer only when it
// is the configured My Domain host or a Salesforce host over https: the
// bearer token goes there next, so a tampered answer must not send it
// elsewhere.
func (c *Connector) checkInstance(raw string) (string, error) {
	u, err := url.Parse(raw)
	bad := fmt.Errorf("salesforce token: instance_url is not a Salesforce host: %w", connectors.ErrUpstream)
	if err != nil || u.Host == "" || u.User != nil {
		return "", bad
	}
	host := strings.ToLower(u.Hostname())
	same := strings.EqualFold(u.Host, c.s.base.Host) && u.Scheme == c.s.base.Scheme
	sfHost := u.Scheme == "https" && (strings.HasSuffix(host, ".salesforce.com") || strings.HasSuffix(host, ".force.com") ||
		strings.HasSuffix(host, ".salesforce.mil"))
	if !same && !sfHost {
		return "", bad
	}
	return u.Scheme + "://" + u.Host, nil
}

// signAssertion builds the JWT bearer assertion: header {"alg":"RS256"},
// claims iss (consumer key), sub (user), aud (login URL), exp (now + 3 min,
// inside Salesforce's allowed window).
func signAssertion(pemKey, clientID, username, audience string, now time.Time) (string, error) {
	key, err := parsePrivateKey(pemKey)
	if err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256"})
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": username, "aud": audience, "exp": now.Add(3 * time.Minute).Unix()})
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the assertion failed")
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// parsePrivateKey reads an RSA key in PKCS#1 or PKCS#8 PEM. Errors say
// what is wrong without quoting the key.
func parsePrivateKey(pemKey string) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode([]byte(pemKey))
	if blk == nil {
		return nil, fmt.Errorf("private_key is not PEM")
	}
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private_key is not a valid PKCS#1 RSA key")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private_key is not a valid PKCS#8 key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private_key is not an RSA key (Salesforce accepts RS256 only)")
		}
		return rk, nil
	}
	return nil, fmt.Errorf("private_key PEM block %q is not a private key", blk.Type)
}
