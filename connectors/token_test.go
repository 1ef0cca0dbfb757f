package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stubSecrets returns creds; after rotate, only fresh=true sees the new ones.
type stubSecrets struct {
	mu           sync.Mutex
	cached, live Credentials
	calls, fresh int
}

func (s *stubSecrets) Credentials(_ context.Context, _ CredentialRef, fresh bool) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if fresh {
		s.fresh++
		s.cached = s.live
	}
	return s.cached, nil
}

func TestTokenCacheSharesOneFetch(t *testing.T) {
	var fetches atomic.Int32
	release := make(chan struct{})
	c := &TokenCache{
		Secrets: &stubSecrets{cached: Credentials{"client_secret": "a"}},
		Fetch: func(ctx context.Context, _ Credentials) (Token, error) {
			fetches.Add(1)
			<-release
			return Token{Value: "t1"}, nil
		},
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := c.Token(context.Background()); err != nil || tok.Value != "t1" {
				t.Errorf("Token = %v, %v", tok.Value, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if fetches.Load() != 1 {
		t.Fatalf("%d fetches, want 1", fetches.Load())
	}
}

func TestTokenCacheExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	c := &TokenCache{
		Secrets: &stubSecrets{},
		Now:     func() time.Time { return now },
		Fetch: func(context.Context, Credentials) (Token, error) {
			n++
			return Token{Value: fmt.Sprint("t", n), Expiry: now.Add(10 * time.Minute)}, nil
		},
	}
	ctx := context.Background()
	a, _ := c.Token(ctx)
	now = now.Add(8 * time.Minute)
	b, _ := c.Token(ctx)
	now = now.Add(90 * time.Second) // within the 1m skew of expiry
	d, _ := c.Token(ctx)
	if a.Value != "t1" || b.Value != "t1" || d.Value != "t2" {
		t.Fatalf("tokens %s %s %s", a.Value, b.Value, d.Value)
	}
}

func TestTokenCacheDoRefreshesOnce(t *testing.T) {
	cases := []struct {
		name        string
		rejections  int
		noRefresh   bool
		wantErr     error
		wantCalls   int
		wantFetches int
	}{
		{"ok", 0, false, nil, 1, 1},
		{"one rejection refreshes", 1, false, nil, 2, 2},
		{"repeated rejection does not loop", 5, false, ErrUnauthorized, 2, 2},
		{"no-refresh variant", 5, true, ErrUnauthorized, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fetches := 0
			c := &TokenCache{Secrets: &stubSecrets{}, Fetch: func(context.Context, Credentials) (Token, error) {
				fetches++
				return Token{Value: fmt.Sprint("t", fetches)}, nil
			}}
			calls := 0
			err := c.Do(context.Background(), func(_ context.Context, tok Token) error {
				calls++
				if calls <= tc.rejections {
					err := fmt.Errorf("api: 401: %w", ErrUnauthorized)
					if tc.noRefresh {
						err = NoRefresh(err)
					}
					return err
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls || fetches != tc.wantFetches {
				t.Fatalf("calls %d fetches %d, want %d %d", calls, fetches, tc.wantCalls, tc.wantFetches)
			}
		})
	}
}

func TestTokenCacheFreshCredentialsOnce(t *testing.T) {
	cases := []struct {
		name      string
		rotated   bool // the live secret differs from the cached one
		wantErr   error
		wantFresh int
		wantFetch int
	}{
		{"rotated secret recovers", true, nil, 1, 2},
		{"revoked secret gives up", false, ErrUnauthorized, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &stubSecrets{cached: Credentials{"client_secret": "old"}, live: Credentials{"client_secret": "old"}}
			if tc.rotated {
				src.live = Credentials{"client_secret": "new"}
			}
			fetches := 0
			c := &TokenCache{Secrets: src, Fetch: func(_ context.Context, cr Credentials) (Token, error) {
				fetches++
				if cr.Get("client_secret") != "new" {
					return Token{}, fmt.Errorf("token: invalid_client: %w", ErrUnauthorized)
				}
				return Token{Value: "t"}, nil
			}}
			_, err := c.Token(context.Background())
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if src.fresh != tc.wantFresh || fetches != tc.wantFetch {
				t.Fatalf("fresh %d fetches %d; want %d %d", src.fresh, fetches, tc.wantFresh, tc.wantFetch)
			}
		})
	}
}

func TestTokenCacheWaiterHonoursContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	c := &TokenCache{Secrets: &stubSecrets{}, Fetch: func(ctx context.Context, _ Credentials) (Token, error) {
		<-block
		return Token{Value: "late"}, nil
	}}
	go c.Token(context.Background()) // the leader, stuck
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	tok := Token{Value: "00Dsecret!token"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "tok", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v", tok, tok, tok), b.String()} {
		if strings.Contains(s, "secret") {
			t.Fatalf("token printed: %s", s)
		}
	}
}
