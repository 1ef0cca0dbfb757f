package pipeline

import (
	"fmt"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/scopes"
)

// Policy is one loaded scope set with what is derived from it: each
// client's content filter (phone regions and allow patterns from its
// scope's filter: section). It is immutable; a reload builds a new one and
// the gateway swaps it atomically, so a request sees one policy throughout.
type Policy struct {
	Set      *scopes.Set
	filters  map[string]*filter.Filter
	fallback *filter.Filter
}

// NewPolicy builds the per-client filters of set.
func NewPolicy(set *scopes.Set) (*Policy, error) {
	def, err := filter.New(filter.Config{})
	if err != nil {
		return nil, fmt.Errorf("content filter: %w", err)
	}
	p := &Policy{Set: set, filters: map[string]*filter.Filter{}, fallback: def}
	for _, c := range set.Clients() {
		fc, ok := set.Filter(c.ID)
		if !ok {
			continue
		}
		f, err := filter.New(filter.Config{PhoneRegions: fc.PhoneRegions, Allow: fc.AllowPatterns})
		if err != nil {
			return nil, fmt.Errorf("content filter of client %s: %w", c.ID, err)
		}
		p.filters[c.ID] = f
	}
	return p, nil
}

// Filter returns the content filter configured for a client.
func (p *Policy) Filter(client string) *filter.Filter {
	if f, ok := p.filters[client]; ok {
		return f
	}
	return p.fallback
}
