package connectors

import (
	"context"

	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Connector reads, searches and updates records of one client system.
// Implementations ask the vendor only for the fields in the request
// (data minimisation at the source); the wrapper still drops anything else,
// so projection never trusts a connector. Every method honours ctx.
// Errors wrap exactly one kind (ErrNotFound, ErrRateLimited, ...) and never
// carry a record value, a credential or upstream body text.
type Connector interface {
	// Catalog describes the connector's resources. It does no I/O.
	Catalog() Catalog
	// Read returns the one record of q.Resource that matches every
	// criterion, or an error wrapping ErrNotFound. A record that fails any
	// criterion is not found (its existence is not revealed).
	Read(ctx context.Context, q Query) (Record, error)
	// Search returns the records that match every criterion, at most
	// q.Limit of them (the connector's own bound when Limit is 0).
	Search(ctx context.Context, q Query) ([]Record, error)
	// Update writes u.Set to the one record matching u.Match and returns
	// that record re-read with u.Fields.
	Update(ctx context.Context, u Update) (Record, error)
	// Close releases the connector's resources. It is idempotent.
	Close() error
}

// Record is one record as a JSON-like tree (map[string]any, []any, string,
// float64 or json.Number, bool, nil), shaped by the catalog's field paths.
type Record = map[string]any

// Criterion is one lookup: a key the catalog declares for the resource, and
// the value to match exactly (already detokenized when it came as a token).
type Criterion struct {
	Key   string
	Value string
}

// Query asks for records of a resource.
type Query struct {
	Resource string
	Match    []Criterion      // all must hold; at least one
	Fields   []fieldpath.Path // exactly the fields to fetch (catalog paths)
	Limit    int              // Search only; 0 means the connector's bound
}

// Assignment sets one writable field.
type Assignment struct {
	Field fieldpath.Path
	Value any // string, bool, float64 or nil
}

// Update changes one record.
type Update struct {
	Resource string
	Match    []Criterion // must identify one record (a unique key)
	Set      []Assignment
	Fields   []fieldpath.Path // the fields to return after the update
	// IdempotencyKey, when set, lets a connector whose vendor supports it
	// pass it on; the gateway deduplicates retries itself either way.
	IdempotencyKey string
}
