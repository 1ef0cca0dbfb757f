package authn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Remote key source defaults and bounds.
const (
	// DefaultKeysRefresh is how often a JWKS URL is fetched again.
	DefaultKeysRefresh = 10 * time.Minute
	// MinKeysRefresh bounds KeysRefresh from below: the issuer's endpoint
	// is not ours to hammer.
	MinKeysRefresh = time.Minute
	// DefaultKeysMinRefetch is the shortest time between two fetches
	// caused by assertions naming a key id the set does not hold (an
	// issuer that rotated keys). Unknown ids sent faster than this, such
	// as forged ones, cost no request.
	DefaultKeysMinRefetch = 30 * time.Second
	// keysFetchTimeout bounds one fetch.
	keysFetchTimeout = 10 * time.Second
)

// CheckKeysURL checks a JWKS URL: https, or http to a loopback address
// (development and tests); no user info, query is allowed, no fragment.
func CheckKeysURL(raw string) error {
	// Messages never repeat the URL: it could hold credentials.
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("jwks_url is not a valid URL")
	}
	if u.User != nil {
		return errors.New("jwks_url must not hold user info (credentials never go in URLs)")
	}
	if u.Host == "" {
		return errors.New("jwks_url is not an absolute URL (https://host/path)")
	}
	if u.Fragment != "" {
		return errors.New("jwks_url must not have a fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("jwks_url must use https (plain http only to a loopback address)")
	default:
		return fmt.Errorf("jwks_url must use https, not %q", u.Scheme)
	}
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// remoteKeys fetches the verifier's key set from a JWKS URL: once at
// start (failure refuses to start), every refresh interval in the
// background, on Reload, and when an assertion names an unknown key id
// (at most once per minRefetch). A failed fetch keeps the keys in use.
type remoteKeys struct {
	url        string
	name       string // url without its query, for errors and logs
	client     *http.Client
	refresh    time.Duration
	minRefetch time.Duration
	log        *slog.Logger
	store      func(*keySet)

	mu       sync.Mutex
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
	lastErr  error
	lastTry  time.Time

	base      context.Context // cancelled by close: ends a running fetch
	cancel    context.CancelFunc
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// fetch downloads and parses the key set. Errors name the URL, never the body.
func (r *remoteKeys) fetch(ctx context.Context) (*keySet, error) {
	ctx, cancel := context.WithTimeout(ctx, keysFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, &KeyFileError{File: r.name, Message: "cannot build the request", Code: CodeKeysIO}
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, &KeyFileError{File: r.name, Message: "cannot fetch keys: " + fetchReason(err), Code: CodeKeysIO}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxKeysFileBytes))
		return nil, &KeyFileError{File: r.name, Message: fmt.Sprintf("cannot fetch keys: HTTP %d", resp.StatusCode), Code: CodeKeysIO}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !(mt == "application/json" || mt == "application/jwk-set+json") {
			return nil, &KeyFileError{File: r.name, Message: fmt.Sprintf("keys answer has content type %q, want application/json or application/jwk-set+json", ct), Code: CodeKeysMalformed}
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysFileBytes+1))
	if err != nil {
		return nil, &KeyFileError{File: r.name, Message: "cannot read keys: " + fetchReason(err), Code: CodeKeysIO}
	}
	if len(data) > maxKeysFileBytes {
		return nil, &KeyFileError{File: r.name, Message: fmt.Sprintf("keys answer is larger than %d bytes", maxKeysFileBytes), Code: CodeKeysIO}
	}
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) == 0 || t[0] != '{' {
		return nil, &KeyFileError{File: r.name, Message: "keys answer is not a JWK set ({\"keys\":[...]})", Code: CodeKeysMalformed}
	}
	return parseKeys(r.name, data)
}

// fetchReason is the transport error without the URL, which the
// KeyFileError already names.
func fetchReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", keysFetchTimeout)
	}
	return err.Error()
}

// update fetches now unless a fetch is already running, in which case it
// waits for that one (or for ctx). When force is false it does nothing if
// the last attempt is more recent than minRefetch. The error is the
// fetch's (its own or the one it waited for).
func (r *remoteKeys) update(ctx context.Context, force bool) error {
	r.mu.Lock()
	if ch := r.inflight; ch != nil {
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.lastErr
	}
	if !force && !r.lastTry.IsZero() && time.Since(r.lastTry) < r.minRefetch {
		r.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	r.inflight = ch
	r.lastTry = time.Now()
	r.mu.Unlock()

	// The fetch is not tied to ctx: a caller that gives up must not waste
	// the fetch for the callers waiting on it. Close ends it.
	ks, err := r.fetch(r.base)
	if err == nil {
		r.store(ks)
	}
	r.mu.Lock()
	r.lastErr, r.inflight = err, nil
	r.mu.Unlock()
	close(ch)
	if err != nil {
		r.log.Warn("identity keys: fetch failed; the keys in use stay", "url", r.name, "error", err)
		return err
	}
	r.log.Debug("identity keys fetched", "url", r.name, "keys", strings.Join(ks.ids, ","))
	return nil
}

func newRemoteKeys(cfg Config, store func(*keySet)) *remoteKeys {
	r := &remoteKeys{
		url: cfg.KeysURL, client: cfg.HTTPClient, refresh: cfg.KeysRefresh, minRefetch: cfg.KeysMinRefetch,
		log: cfg.Logger, store: store, stop: make(chan struct{}), done: make(chan struct{}),
	}
	r.name = r.url
	if u, err := url.Parse(r.url); err == nil && u.RawQuery != "" {
		u.RawQuery = ""
		r.name = u.String() + "?…"
	}
	if r.client == nil {
		r.client = &http.Client{Timeout: keysFetchTimeout}
	}
	if r.refresh == 0 {
		r.refresh = DefaultKeysRefresh
	}
	if r.minRefetch == 0 {
		r.minRefetch = DefaultKeysMinRefetch
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.base, r.cancel = context.WithCancel(context.Background())
	return r
}

// close stops the background refresh and any running fetch, and waits
// for the refresh loop to end. Safe to call twice.
func (r *remoteKeys) close() {
	r.closeOnce.Do(func() {
		r.cancel()
		close(r.stop)
	})
	<-r.done
}

// run refreshes every r.refresh until close.
func (r *remoteKeys) run() {
	defer close(r.done)
	t := time.NewTicker(r.refresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			_ = r.update(context.Background(), true)
		}
	}
}
