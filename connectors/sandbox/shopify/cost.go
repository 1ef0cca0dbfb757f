package shopify

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// throttleStatus is extensions.cost.throttleStatus.
type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// bucket is a leaky bucket of query-cost points (per app and store).
type bucket struct {
	mu    sync.Mutex
	max   float64
	rate  float64
	avail float64
	last  time.Time
}

func newBucket(max, rate float64, now time.Time) *bucket {
	return &bucket{max: max, rate: rate, avail: max, last: now}
}

func (b *bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.avail = math.Min(b.max, b.avail+dt*b.rate)
	}
	b.last = now
}

func (b *bucket) status() throttleStatus {
	return throttleStatus{MaximumAvailable: b.max, CurrentlyAvailable: math.Floor(b.avail), RestoreRate: b.rate}
}

// take reserves cost points if the bucket has them.
func (b *bucket) take(now time.Time, cost float64) (bool, throttleStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if cost > b.avail {
		return false, b.status()
	}
	b.avail -= cost
	return true, b.status()
}

// refund returns points reserved but not used (requested - actual).
func (b *bucket) refund(now time.Time, n float64) throttleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if n > 0 {
		b.avail = math.Min(b.max, b.avail+n)
	}
	return b.status()
}

// maxQueryCost is the single-query limit (MAX_COST_EXCEEDED above it).
const maxQueryCost = 1000

// mutationCost is the base cost of a mutation field.
const mutationCost = 10

// requestedCost is the worst-case cost of a selection, after Shopify's
// published rules: scalars and enums 0, objects 1, connections 2 plus
// their page size times the cost of one node, lists with `first` that many
// times the element's cost, mutations 10.
func requestedCost(schema *ast.Schema, sel ast.SelectionSet, vars map[string]any) int {
	total := 0
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			total += fieldCost(schema, s, vars)
		case *ast.InlineFragment:
			total += requestedCost(schema, s.SelectionSet, vars)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += requestedCost(schema, s.Definition.SelectionSet, vars)
			}
		}
	}
	return total
}

func fieldCost(schema *ast.Schema, f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	def := schema.Types[f.Definition.Type.Name()]
	if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface && def.Kind != ast.Union) {
		return 0
	}
	args := f.ArgumentMap(vars)
	n := pageSize(args)
	if strings.HasSuffix(def.Name, "Connection") {
		// The page size multiplies what each node costs (edges, nodes);
		// pageInfo and the like are paid once.
		perNode, once := 0, 0
		for _, s := range f.SelectionSet {
			c := requestedCost(schema, ast.SelectionSet{s}, vars)
			if sf, ok := s.(*ast.Field); ok && (sf.Name == "edges" || sf.Name == "nodes") {
				perNode += c
			} else {
				once += c
			}
		}
		return 2 + max(n, 1)*perNode + once
	}
	children := requestedCost(schema, f.SelectionSet, vars)
	switch {
	case f.Definition.Type.Elem != nil && n > 0:
		return n * (1 + children)
	default:
		return 1 + children
	}
}

// pageSize reads first or last (0 when neither).
func pageSize(args map[string]any) int {
	for _, k := range []string{"first", "last"} {
		if v, ok := args[k]; ok && v != nil {
			if n, ok := asInt(v); ok && n > 0 {
				return n
			}
		}
	}
	return 0
}
