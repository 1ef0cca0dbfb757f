package zendesk

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

var known = map[string]string{"id": "4101"}

func mustRead(t *testing.T, e *env) {
	t.Helper()
	if _, err := e.read("ticket", known, "id"); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

func TestTokenIsCachedAndRefreshedBeforeExpiry(t *testing.T) {
	e := newEnv(t, envOpts{sandbox: zdsandbox.Options{TokenTTL: 2 * time.Hour}})
	for i := 0; i < 5; i++ {
		mustRead(t, e)
	}
	if issued, _ := e.sb.TokenStats(); issued != 1 {
		t.Fatalf("5 reads fetched %d tokens, want 1", issued)
	}
	// Inside the last minute of the token's life the cache renews it with
	// the refresh token, before Zendesk would reject it.
	e.clk.Advance(2*time.Hour - 30*time.Second)
	mustRead(t, e)
	issued, refreshed := e.sb.TokenStats()
	if issued != 2 || refreshed != 1 {
		t.Fatalf("after expiry: %d tokens issued, %d by refresh; want 2 and 1", issued, refreshed)
	}
	if got := e.apiRequests(); got != 6 {
		t.Errorf("%d API requests for 6 reads: a request was rejected and repeated", got)
	}
}

func TestMissingExpiresInIsNotTrusted(t *testing.T) {
	// Zendesk's documented minimum token answer has no expires_in. The
	// connector assumes an hour, so it renews a token the sandbox would
	// keep for three, instead of using one token forever.
	e := newEnv(t, envOpts{sandbox: zdsandbox.Options{TokenTTL: 3 * time.Hour, OmitExpiresIn: true}})
	mustRead(t, e)
	e.clk.Advance(assumedTokenLifetime)
	mustRead(t, e)
	if issued, refreshed := e.sb.TokenStats(); issued != 2 || refreshed != 1 {
		t.Fatalf("%d tokens issued (%d by refresh); want a renewal after the assumed lifetime", issued, refreshed)
	}
}

func TestRefusedRefreshFallsBackToClientCredentials(t *testing.T) {
	// The refresh token dies before the access token: the renewal must
	// fall back to the client credentials grant.
	e := newEnv(t, envOpts{sandbox: zdsandbox.Options{TokenTTL: 3 * time.Hour, RefreshTokenTTL: time.Hour}})
	mustRead(t, e)
	e.clk.Advance(3 * time.Hour)
	mustRead(t, e)
	if issued, refreshed := e.sb.TokenStats(); issued != 2 || refreshed != 0 {
		t.Fatalf("%d tokens issued (%d by refresh); want 2 by client credentials", issued, refreshed)
	}
	if got := e.tokenRequests(); got != 3 {
		t.Errorf("%d token requests; want 3 (grant, refused refresh, grant)", got)
	}
}

func TestRejectedTokenRefetchedOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustRead(t, e)
	e.sb.ExpireTokens()
	mustRead(t, e)
	if got := e.apiRequests(); got != 3 {
		t.Errorf("%d API requests; want 3 (read, rejected read, repeated read)", got)
	}
}

func TestRotatedClientSecret(t *testing.T) {
	// The cached credentials are stale; the secret source has new ones.
	e := newEnv(t, envOpts{creds: func(sb *zdsandbox.Server) connectors.Credentials {
		c := sb.Credentials()
		return connectors.Credentials{"client_id": c["client_id"], "client_secret": "rotated-away"}
	}})
	e.secrets.fresh = e.sb.Credentials()
	mustRead(t, e)
	if e.secrets.freshN != 1 {
		t.Errorf("asked for fresh credentials %d times, want once", e.secrets.freshN)
	}
}

func TestBadClientSecret(t *testing.T) {
	e := newEnv(t, envOpts{creds: func(sb *zdsandbox.Server) connectors.Credentials {
		return connectors.Credentials{"client_id": sb.Credentials()["client_id"], "client_secret": "wrong-secret-value"}
	}})
	_, err := e.read("ticket", known, "id")
	if !errors.Is(err, connectors.ErrUnauthorized) {
		t.Fatalf("Read with a bad secret = %v; want ErrUnauthorized", err)
	}
	if e.secrets.freshN != 1 || e.tokenRequests() != 2 || e.apiRequests() != 0 {
		t.Errorf("fresh credentials %d times, %d token and %d API requests; want 1, 2, 0", e.secrets.freshN, e.tokenRequests(), e.apiRequests())
	}
	if strings.Contains(err.Error(), "wrong-secret-value") || strings.Contains(err.Error(), "Client authentication failed") {
		t.Errorf("error leaks the secret or the body: %v", err)
	}
}

func TestMissingCredentialKeys(t *testing.T) {
	e := newEnv(t, envOpts{creds: func(*zdsandbox.Server) connectors.Credentials { return connectors.Credentials{"client_id": "x"} }})
	_, err := e.read("ticket", known, "id")
	if !errors.Is(err, connectors.ErrUnauthorized) || !strings.Contains(err.Error(), "client_secret") {
		t.Fatalf("Read without client_secret = %v", err)
	}
	if e.tokenRequests() != 0 {
		t.Error("sent a token request without a secret")
	}
}

func TestScopeRefused(t *testing.T) {
	e := newEnv(t, envOpts{config: func(c *connectors.ConnectionConfig) {
		c.Options = map[string]string{"scope": "tickets:read everything:write"}
	}})
	_, err := e.read("ticket", known, "id")
	if !errors.Is(err, connectors.ErrForbidden) {
		t.Fatalf("Read with a refused scope = %v; want ErrForbidden", err)
	}
}

func TestNarrowScopeForbidsUpdate(t *testing.T) {
	e := newEnv(t, envOpts{config: func(c *connectors.ConnectionConfig) {
		c.Options = map[string]string{"scope": "tickets:read users:read"}
	}})
	mustRead(t, e)
	_, err := e.conn.Update(t.Context(), connectors.Update{Resource: "ticket", Match: crits(known),
		Set: []connectors.Assignment{{Field: fps("status")[0], Value: "pending"}}, Fields: fps("status")})
	if !errors.Is(err, connectors.ErrForbidden) {
		t.Fatalf("Update with a read-only token = %v; want ErrForbidden", err)
	}
}

func TestLegacyAPIToken(t *testing.T) {
	e := newEnv(t, envOpts{
		config: func(c *connectors.ConnectionConfig) { c.Auth = AuthAPIToken },
		creds:  func(sb *zdsandbox.Server) connectors.Credentials { return sb.APITokenCredentials() },
	})
	logs := e.logs.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "2027-04-30") || !strings.Contains(logs, "auth: oauth") {
		t.Errorf("no warning naming the 2027-04-30 deactivation and the way out:\n%s", logs)
	}
	mustRead(t, e)
	if e.tokenRequests() != 0 {
		t.Error("api_token mode asked the token endpoint")
	}
	secret := e.sb.APITokenCredentials()["api_token"]
	if strings.Contains(logs, secret) {
		t.Error("the API token appears in the logs")
	}
}

func TestLegacyAPITokenRotated(t *testing.T) {
	e := newEnv(t, envOpts{
		config: func(c *connectors.ConnectionConfig) { c.Auth = AuthAPIToken },
		creds: func(sb *zdsandbox.Server) connectors.Credentials {
			return connectors.Credentials{"email": sb.APITokenCredentials()["email"], "api_token": "revoked-token"}
		},
	})
	e.secrets.fresh = e.sb.APITokenCredentials()
	mustRead(t, e)
	if e.secrets.freshN != 1 || e.apiRequests() != 2 {
		t.Errorf("fresh credentials %d times, %d API requests; want 1 and 2", e.secrets.freshN, e.apiRequests())
	}
	// Credentials that stay wrong cost one more request, not a loop.
	e2 := newEnv(t, envOpts{
		config: func(c *connectors.ConnectionConfig) { c.Auth = AuthAPIToken },
		creds: func(sb *zdsandbox.Server) connectors.Credentials {
			return connectors.Credentials{"email": sb.APITokenCredentials()["email"], "api_token": "revoked-token"}
		},
	})
	_, err := e2.read("ticket", known, "id")
	if !errors.Is(err, connectors.ErrUnauthorized) || e2.apiRequests() != 1 {
		t.Errorf("Read with a revoked token = %v after %d requests; want ErrUnauthorized after 1 (fresh creds were the same)", err, e2.apiRequests())
	}
}

func TestCloseIsFinal(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustRead(t, e)
	if err := e.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.read("ticket", known, "id"); !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatalf("Read after Close = %v; want ErrUnavailable", err)
	}
}
