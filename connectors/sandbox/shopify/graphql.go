package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// gqlError is one entry of a GraphQL response's "errors".
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []location     `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// costExt is extensions.cost.
type costExt struct {
	RequestedQueryCost int            `json:"requestedQueryCost"`
	ActualQueryCost    *int           `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

func throttledBody(requested int, st throttleStatus) map[string]any {
	return map[string]any{
		"errors": []gqlError{{
			Message:    "Throttled",
			Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
		}},
		"extensions": map[string]any{"cost": costExt{RequestedQueryCost: requested, ThrottleStatus: st}},
	}
}

// validationCodes maps gqlparser's rule names to the codes Shopify puts in
// extensions.code for the same mistakes.
var validationCodes = map[string]string{
	"FieldsOnCorrectType":        "undefinedField",
	"KnownArgumentNames":         "argumentNotAccepted",
	"ProvidedRequiredArguments":  "missingRequiredArguments",
	"KnownTypeNames":             "undefinedType",
	"NoUndefinedVariables":       "variableNotDefined",
	"NoUnusedVariables":          "variableNotUsed",
	"ScalarLeafs":                "selectionMismatch",
	"ValuesOfCorrectType":        "argumentLiteralsIncompatible",
	"VariablesInAllowedPosition": "variableMismatch",
	"KnownFragmentNames":         "undefinedFragment",
	"NoUnusedFragments":          "useAndDefineFragment",
}

func fromGQLErrors(list gqlerror.List) []gqlError {
	out := make([]gqlError, 0, len(list))
	for _, e := range list {
		ge := gqlError{Message: e.Message}
		for _, l := range e.Locations {
			ge.Locations = append(ge.Locations, location{l.Line, l.Column})
		}
		code := validationCodes[e.Rule]
		if code == "" {
			if e.Rule == "" {
				code = "parseError"
			} else {
				code = "invalid"
			}
		}
		ge.Extensions = map[string]any{"code": code}
		out = append(out, ge)
	}
	return out
}

// handleGraphQL validates a document against the Admin schema, costs it
// against the bucket and executes it.
//
// With throttle set (an injected rate_limit fault) the request is answered
// THROTTLED after costing, with a bucket state that announces the fault's
// wait: currentlyAvailable = requested - wait*restoreRate, so
// ceil((requested - available)/restoreRate) is the wait, up to what an
// empty bucket can express for this request (requested/restoreRate).
func (s *Server) handleGraphQL(w http.ResponseWriter, r *http.Request, body []byte, throttle bool) {
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/graphql"):
		req.Query = string(body)
	case strings.HasPrefix(ct, "application/json"):
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": []string{"Required parameter missing or invalid"}}})
			return
		}
	default:
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"errors": "Unsupported Media Type"})
		return
	}
	if strings.TrimSpace(req.Query) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": []string{"Required parameter missing or invalid"}}})
		return
	}
	schema := s.schema.s
	doc, errs := gqlparser.LoadQueryWithRules(schema, req.Query, rules.NewDefaultRules())
	if len(errs) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"errors": fromGQLErrors(errs)})
		return
	}
	op, gerr := pickOperation(doc, req.OperationName)
	if gerr != nil {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{*gerr}})
		return
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		ge := gqlError{Message: err.Error(), Extensions: map[string]any{"code": "INVALID_VARIABLE"}}
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{ge}})
		return
	}
	requested := requestedCost(schema, op.SelectionSet, vars)
	if op.Operation == ast.Mutation {
		requested += mutationCost * len(op.SelectionSet)
	}
	if requested > maxQueryCost {
		ge := gqlError{
			Message:    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).", requested, maxQueryCost),
			Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxQueryCost},
		}
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{ge}})
		return
	}
	if throttle {
		st := s.bucket.refund(s.opts.Now(), 0)
		st.CurrentlyAvailable = math.Max(0, math.Floor(float64(requested)-s.faults.RetryAfter().Seconds()*st.RestoreRate))
		writeJSON(w, http.StatusOK, throttledBody(requested, st))
		return
	}
	ok, st := s.bucket.take(s.opts.Now(), float64(requested))
	if !ok {
		if s.opts.Throttle429 {
			wait := math.Ceil((float64(requested) - st.CurrentlyAvailable) / st.RestoreRate)
			w.Header().Set("Retry-After", strconv.FormatFloat(wait, 'f', 1, 64))
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": "Exceeded the GraphQL cost limit. Reduce request rates to resume uninterrupted service."})
			return
		}
		writeJSON(w, http.StatusOK, throttledBody(requested, st))
		return
	}

	x := &execCtx{srv: s, schema: schema, vars: vars, doc: doc}
	var data *omap
	if op.Operation == ast.Mutation {
		x.cost = mutationCost * len(op.SelectionSet)
		s.store.mu.Lock()
		data = x.selectionSet(mutationRoot{}, op.SelectionSet, nil)
		s.store.mu.Unlock()
	} else {
		s.store.mu.RLock()
		data = x.selectionSet(queryRoot{}, op.SelectionSet, nil)
		s.store.mu.RUnlock()
	}
	actual := min(x.cost, requested)
	st = s.bucket.refund(s.opts.Now(), float64(requested-actual))
	resp := &omap{}
	resp.set("data", data)
	if len(x.errs) > 0 {
		resp.set("errors", x.errs)
	}
	resp.set("extensions", map[string]any{"cost": costExt{RequestedQueryCost: requested, ActualQueryCost: &actual, ThrottleStatus: st}})
	writeJSON(w, http.StatusOK, resp)
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlError) {
	var op *ast.OperationDefinition
	switch {
	case name != "":
		op = doc.Operations.ForName(name)
		if op == nil {
			return nil, &gqlError{Message: fmt.Sprintf("No operation named %q", name), Extensions: map[string]any{"code": "operationNotFound"}}
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	default:
		return nil, &gqlError{Message: "An operation name is required", Extensions: map[string]any{"code": "operationNameRequired"}}
	}
	if op.Operation == ast.Subscription {
		return nil, &gqlError{Message: "Subscriptions are not supported", Extensions: map[string]any{"code": "subscriptionsNotSupported"}}
	}
	return op, nil
}

// omap is a JSON object that keeps its keys in insertion order, as GraphQL
// responses follow the order of the selection.
type omap struct {
	keys []string
	vals map[string]any
}

func (m *omap) set(k string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *omap) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// object is a GraphQL object value the executor resolves fields on.
type object interface {
	typeName() string
	field(x *execCtx, name string, args map[string]any) (any, error)
}

// execCtx is one execution. Resolvers run with the store lock held.
type execCtx struct {
	srv    *Server
	schema *ast.Schema
	vars   map[string]any
	doc    *ast.QueryDocument
	errs   []gqlError
	cost   int
}

// fieldError is an error a resolver reports with a Shopify code.
type fieldError struct {
	msg  string
	code string
}

func (e *fieldError) Error() string { return e.msg }

type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// collect gathers the fields of a selection set that apply to typ, merged
// by response key, honouring fragments, @skip and @include.
func (x *execCtx) collect(typ string, sel ast.SelectionSet, groups []fieldGroup) []fieldGroup {
	for _, s := range sel {
		if x.skipped(s) {
			continue
		}
		switch s := s.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			found := false
			for i := range groups {
				if groups[i].key == key {
					groups[i].fields = append(groups[i].fields, s)
					found = true
					break
				}
			}
			if !found {
				groups = append(groups, fieldGroup{key: key, fields: []*ast.Field{s}})
			}
		case *ast.InlineFragment:
			if x.applies(s.TypeCondition, typ) {
				groups = x.collect(typ, s.SelectionSet, groups)
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && x.applies(s.Definition.TypeCondition, typ) {
				groups = x.collect(typ, s.Definition.SelectionSet, groups)
			}
		}
	}
	return groups
}

func (x *execCtx) skipped(s ast.Selection) bool {
	var dirs ast.DirectiveList
	switch s := s.(type) {
	case *ast.Field:
		dirs = s.Directives
	case *ast.InlineFragment:
		dirs = s.Directives
	case *ast.FragmentSpread:
		dirs = s.Directives
	}
	if d := dirs.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(x.vars)["if"].(bool); v {
			return true
		}
	}
	if d := dirs.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(x.vars)["if"].(bool); !v {
			return true
		}
	}
	return false
}

func (x *execCtx) applies(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	for _, p := range x.schema.PossibleTypes[cond] {
		if p.Name == typ {
			return true
		}
	}
	return false
}

func (x *execCtx) selectionSet(obj object, sel ast.SelectionSet, path []any) *omap {
	out := &omap{}
	for _, g := range x.collect(obj.typeName(), sel, nil) {
		f := g.fields[0]
		fpath := append(append([]any(nil), path...), g.key)
		if f.Name == "__typename" {
			out.set(g.key, obj.typeName())
			continue
		}
		if strings.HasPrefix(f.Name, "__") {
			x.errs = append(x.errs, gqlError{Message: "Introspection is not supported by the sandbox", Path: fpath,
				Extensions: map[string]any{"code": "SANDBOX_UNSUPPORTED"}})
			out.set(g.key, nil)
			continue
		}
		var merged ast.SelectionSet
		for _, ff := range g.fields {
			merged = append(merged, ff.SelectionSet...)
		}
		v, err := obj.field(x, f.Name, f.ArgumentMap(x.vars))
		if err != nil {
			ge := gqlError{Message: err.Error(), Path: fpath, Locations: []location{{f.Position.Line, f.Position.Column}}}
			if fe, ok := err.(*fieldError); ok {
				ge.Extensions = map[string]any{"code": fe.code}
			}
			x.errs = append(x.errs, ge)
			out.set(g.key, nil)
			continue
		}
		out.set(g.key, x.complete(v, f.Definition.Type, merged, fpath))
	}
	return out
}

// complete shapes a resolver's value by its schema type.
func (x *execCtx) complete(v any, t *ast.Type, sel ast.SelectionSet, path []any) any {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = x.complete(e, t.Elem, sel, append(append([]any(nil), path...), i))
		}
		return out
	}
	if obj, ok := v.(object); ok {
		if strings.HasSuffix(obj.typeName(), "Connection") {
			x.cost += 2
		} else {
			x.cost++
		}
		return x.selectionSet(obj, sel, path)
	}
	return v
}

// asInt reads an Int argument.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == math.Trunc(n)
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func argString(args map[string]any, k string) (string, bool) {
	s, ok := args[k].(string)
	return s, ok
}

func argBool(args map[string]any, k string) bool {
	b, _ := args[k].(bool)
	return b
}

func unsupported(typ, field string) error {
	return &fieldError{msg: fmt.Sprintf("Field '%s' on type '%s' is not served by the sandbox", field, typ), code: "SANDBOX_UNSUPPORTED"}
}

func accessDenied(field, scope string) error {
	return &fieldError{
		msg:  fmt.Sprintf("Access denied for %s field. Required access: `%s` access scope.", field, scope),
		code: "ACCESS_DENIED",
	}
}
