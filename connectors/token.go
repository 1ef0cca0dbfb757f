package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Token is an access token a connector got from its vendor's token
// endpoint. It never appears in logs (LogValue) or in %v output (String).
type Token struct {
	Value  string
	Expiry time.Time // zero: no known expiry (kept until rejected)
	// Extra carries non-secret facts of the token response a connector needs
	// afterwards (Salesforce's instance_url).
	Extra map[string]string
}

// String hides the token value.
func (t Token) String() string { return "token[withheld]" }

// GoString hides the token value from %#v.
func (t Token) GoString() string { return t.String() }

// LogValue hides the token value.
func (t Token) LogValue() slog.Value { return slog.StringValue("[withheld]") }

// FetchToken gets a new access token with the given credentials. It
// returns an error wrapping ErrUnauthorized when the token endpoint rejects
// the credentials themselves (invalid_client, invalid_grant): TokenCache then
// asks the SecretSource once for fresh credentials and tries again.
type FetchToken func(ctx context.Context, creds Credentials) (Token, error)

// TokenCache holds one connection's access token: it fetches it through
// Fetch on first use, keeps it until shortly before it expires, and is shared
// by every concurrent call of the connection (one fetch at a time; waiters
// honour their own ctx).
//
// The refresh-on-401 pattern a connector follows is Do: run the call with
// the current token; when the call fails with ErrUnauthorized (the vendor
// rejected the token), invalidate that token, fetch a new one and run the
// call exactly once more. A second rejection is returned as is: no loop.
// Errors marked with NoRefresh (e.g. Salesforce's "session not valid for the
// REST API", which a new token cannot fix) are returned without a refresh.
//
// When Fetch says the credentials are bad, the cache asks the SecretSource
// for fresh credentials (bypassing its cache) and fetches once more; it does
// so at most once per fetch, so a revoked secret costs two token requests,
// not a loop.
type TokenCache struct {
	Secrets SecretSource
	Ref     CredentialRef
	Fetch   FetchToken
	// Skew is how long before Expiry a token is considered stale [1m].
	Skew time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time

	mu       sync.Mutex
	tok      Token
	have     bool
	inflight *tokenCall
}

type tokenCall struct {
	done chan struct{}
	tok  Token
	err  error
}

func (c *TokenCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *TokenCache) fresh(t Token) bool {
	if t.Expiry.IsZero() {
		return true
	}
	skew := c.Skew
	if skew <= 0 {
		skew = time.Minute
	}
	return c.now().Add(skew).Before(t.Expiry)
}

// Token returns a valid token, fetching one if needed.
func (c *TokenCache) Token(ctx context.Context) (Token, error) {
	for {
		c.mu.Lock()
		if c.have && c.fresh(c.tok) {
			t := c.tok
			c.mu.Unlock()
			return t, nil
		}
		call := c.inflight
		leader := call == nil
		if leader {
			call = &tokenCall{done: make(chan struct{})}
			c.inflight = call
		}
		c.mu.Unlock()

		if leader {
			call.tok, call.err = c.fetch(ctx)
			c.mu.Lock()
			if call.err == nil {
				c.tok, c.have = call.tok, true
			}
			c.inflight = nil
			c.mu.Unlock()
			close(call.done)
			return call.tok, call.err
		}
		select {
		case <-ctx.Done():
			return Token{}, fmt.Errorf("waiting for an access token: %w", ctx.Err())
		case <-call.done:
		}
		if call.err == nil {
			return call.tok, nil
		}
		// The leader's fetch failed. If only because the leader gave up,
		// try ourselves; otherwise share its answer.
		if !errors.Is(call.err, context.Canceled) && !errors.Is(call.err, context.DeadlineExceeded) {
			return Token{}, call.err
		}
		if ctx.Err() != nil {
			return Token{}, fmt.Errorf("waiting for an access token: %w", ctx.Err())
		}
	}
}

func (c *TokenCache) fetch(ctx context.Context) (Token, error) {
	if c.Secrets == nil {
		return Token{}, fmt.Errorf("no secret source for %s: %w", c.Ref, ErrUnauthorized)
	}
	creds, err := c.Secrets.Credentials(ctx, c.Ref, false)
	if err != nil {
		return Token{}, fmt.Errorf("credentials from %s: %w", c.Ref, credErr(err))
	}
	tok, err := c.Fetch(ctx, creds)
	if err == nil || !errors.Is(err, ErrUnauthorized) {
		return tok, err
	}
	// The token endpoint rejected the credentials: they may have been
	// rotated since we cached them. Ask once for fresh ones.
	creds, ferr := c.Secrets.Credentials(ctx, c.Ref, true)
	if ferr != nil {
		return Token{}, fmt.Errorf("fresh credentials from %s: %w", c.Ref, credErr(ferr))
	}
	return c.Fetch(ctx, creds)
}

// credErr keeps a secret source's failure a kind: a source that cannot
// answer is unavailable unless it already says what it is.
func credErr(err error) error {
	if KindOf(err) == KindUnknown {
		return fmt.Errorf("%v: %w", err, ErrUnavailable)
	}
	return err
}

// Invalidate forgets t if it is still the cached token. Comparing values
// makes concurrent 401s for the same token cause one refetch, not one each.
func (c *TokenCache) Invalidate(t Token) {
	c.mu.Lock()
	if c.have && c.tok.Value == t.Value {
		c.have = false
		c.tok = Token{}
	}
	c.mu.Unlock()
}

// Reset forgets the cached token (Close uses it).
func (c *TokenCache) Reset() {
	c.mu.Lock()
	c.have = false
	c.tok = Token{}
	c.mu.Unlock()
}

// Do runs call with a valid token and refreshes once on ErrUnauthorized
// (see TokenCache). call must be safe to run twice: it is repeated only when
// the vendor rejected the token, i.e. before anything was done.
func (c *TokenCache) Do(ctx context.Context, call func(ctx context.Context, tok Token) error) error {
	tok, err := c.Token(ctx)
	if err != nil {
		return err
	}
	err = call(ctx, tok)
	if err == nil || !errors.Is(err, ErrUnauthorized) || errors.Is(err, errNoRefresh) {
		return err
	}
	c.Invalidate(tok)
	tok, err = c.Token(ctx)
	if err != nil {
		return err
	}
	return call(ctx, tok)
}

var errNoRefresh = errors.New("a new token would not help")

type noRefreshError struct{ err error }

func (e *noRefreshError) Error() string { return e.err.Error() }
func (e *noRefreshError) Unwrap() []error {
	return []error{e.err, errNoRefresh}
}

// NoRefresh marks an ErrUnauthorized error as one a new token cannot fix,
// so TokenCache.Do returns it without refreshing. The kind is unchanged.
func NoRefresh(err error) error {
	if err == nil {
		return nil
	}
	return &noRefreshError{err: err}
}
