package connectortest

import (
	"net/http"
	"testing"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Harness connects the kit to one connector type and its sandbox.
type Harness interface {
	// Factory is the connector type under test, the same value
	// connectors/builtin registers.
	Factory() connectors.Factory
	// Start starts a fresh sandbox for one check and describes it. The kit
	// calls it once per check, so faults and writes never leak between
	// checks; stop the sandbox with t.Cleanup.
	Start(t testing.TB) *Env
}

// Env is one running sandbox and what the kit may rely on in it.
type Env struct {
	// Config is a connection to the sandbox in the type's default auth
	// mode (BaseURL pointing at the sandbox). Its Credentials ref is passed
	// to the kit's own SecretSource, which serves Credentials.
	Config connectors.ConnectionConfig
	// Credentials are valid for Config (the sandbox's Credentials()).
	Credentials connectors.Credentials
	// HTTPClient reaches the sandbox (an httptest server's Client()). The
	// kit wraps its transport to watch the exchanges.
	HTTPClient *http.Client
	// Faults are the sandbox's fault knobs.
	Faults *sandbox.Faults
	// IsTokenRequest tells token-endpoint requests from API requests. nil
	// when the auth mode fetches no token (the refresh checks then skip and
	// say so).
	IsTokenRequest func(*http.Request) bool
	// EchoesRetryAfter says the vendor announces a rate limit's wait (a
	// Retry-After header or its own equivalent), so the error's RetryAfter
	// must equal Faults.RetryAfter(). When false the connector must still
	// report a positive wait of its own choosing.
	EchoesRetryAfter bool

	// Known is read by a unique key; Want is the exact record expected
	// (only the requested fields).
	Known Case
	// Nested requests at least one "a.b" path and one "x[].y" (or "x[]")
	// path whose array is non-empty in Want.
	Nested Case
	// Null expects at least one requested field to be null upstream (a
	// present key with a nil value in Want).
	Null Case
	// Unicode expects non-ASCII text in Want.
	Unicode Case
	// Missing is a read that matches no record.
	Missing connectors.Query
	// Search, when set, is a search with at least one result; every result
	// must carry only the requested fields and WantAtLeast results come back.
	Search *SearchCase
	// Update, when set, is an update whose returned record must equal Want.
	Update *UpdateCase
}

// Case is a read with its expected projected record. Fields are catalog
// paths in scope syntax.
type Case struct {
	Resource string
	Match    []connectors.Criterion
	Fields   []string
	Want     connectors.Record
}

// SearchCase is a search and the least number of results expected.
type SearchCase struct {
	Resource    string
	Match       []connectors.Criterion
	Fields      []string
	Limit       int
	WantAtLeast int
}

// UpdateCase is an update and the record it must return.
type UpdateCase struct {
	Resource string
	Match    []connectors.Criterion
	Set      map[string]any // field path -> value
	Fields   []string
	Want     connectors.Record
}

// Paths parses catalog field paths for a Query (panics on a bad path: it
// is for harness literals).
func Paths(ss ...string) []fieldpath.Path {
	out := make([]fieldpath.Path, len(ss))
	for i, s := range ss {
		out[i] = fieldpath.MustParse(s)
	}
	return out
}
