package spectest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// EnvVar names the folder with the vendor specs.
const EnvVar = "CXGATE_SPECS_DIR"

// SpecFile and FixtureDir are the Zendesk artefacts under EnvVar.
const (
	SpecFile   = "zendesk-support-oas.yaml"
	FixtureDir = "go-zendesk-fixtures"
)

// Validator validates sandbox responses against the relaxed spec and
// remembers which operations it checked.
type Validator struct {
	doc  *openapi3.T
	dir  string
	mu   sync.Mutex
	seen map[string]int
}

// Load reads and relaxes the spec, or skips t when EnvVar is not set. A
// set variable with a missing or broken file fails t: CI must not skip.
func Load(t testing.TB) *Validator {
	t.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		t.Skipf("%s is not set: skipping validation against Zendesk's OpenAPI file and the go-zendesk fixtures (CI sets it to ../shared/specs)", EnvVar)
	}
	doc, err := loadRelaxed(filepath.Join(dir, SpecFile))
	if err != nil {
		t.Fatalf("load %s: %v", SpecFile, err)
	}
	return &Validator{doc: doc, dir: dir, seen: map[string]int{}}
}

// parsed memoises the relaxed document per file for the test binary:
// parsing 1.2 MB of YAML costs ~0.2 s (over 1 s under -race) and a test
// package opens dozens of sandboxes. The document is never modified after
// relax, and validation only reads it.
var parsed sync.Map // path -> *parsedSpec

type parsedSpec struct {
	once sync.Once
	doc  *openapi3.T
	err  error
}

func loadRelaxed(path string) (*openapi3.T, error) {
	v, _ := parsed.LoadOrStore(path, &parsedSpec{})
	p := v.(*parsedSpec)
	p.once.Do(func() {
		p.doc, p.err = openapi3.NewLoader().LoadFromFile(path)
		if p.err == nil {
			relax(p.doc)
		}
	})
	return p.doc, p.err
}

// LoadIfSet is Load for tests that run either way: it returns nil when
// EnvVar is not set, so the caller validates only when the specs are there.
func LoadIfSet(t testing.TB) *Validator {
	t.Helper()
	if os.Getenv(EnvVar) == "" {
		return nil
	}
	return Load(t)
}

// relax marks every schema reachable from the document nullable.
func relax(doc *openapi3.T) {
	done := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || done[ref.Value] {
			return
		}
		s := ref.Value
		done[s] = true
		s.Nullable = true
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.Not)
		for _, l := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range l {
				walk(r)
			}
		}
		if s.AdditionalProperties.Schema != nil {
			walk(s.AdditionalProperties.Schema)
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, r := range op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for _, mt := range r.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
}

// route finds the spec operation for a concrete path ("/api/v2/tickets/4101.json"),
// preferring literal segments over parameters (/users/search over /users/{user_id}).
func (v *Validator) route(method, path string) (*routers.Route, map[string]string, bool) {
	path = strings.TrimSuffix(path, ".json")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *routers.Route
	var bestParams map[string]string
	bestLiterals := -1
	for tmpl, item := range v.doc.Paths.Map() {
		op := item.GetOperation(method)
		if op == nil {
			continue
		}
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		params := map[string]string{}
		literals := 0
		ok := true
		for i, s := range ts {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				params[s[1:len(s)-1]] = segs[i]
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best = &routers.Route{Spec: v.doc, Path: tmpl, PathItem: item, Method: method, Operation: op}
			bestParams, bestLiterals = params, literals
		}
	}
	return best, bestParams, best != nil
}

// Check validates one response. It returns the operation id checked; ""
// with a nil error means the spec has no operation for the request.
func (v *Validator) Check(method, path, rawQuery string, status int, header http.Header, body []byte) (string, error) {
	route, params, ok := v.route(method, path)
	if !ok {
		return "", nil
	}
	req, err := http.NewRequest(method, "https://sandbox.zendesk.example"+path+"?"+rawQuery, nil)
	if err != nil {
		return "", err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: false, MultiError: true},
	}
	in.SetBodyBytes(body)
	id := route.Operation.OperationID
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return id, fmt.Errorf("%s %s (%s) %d: %s", method, path, id, status, firstLines(err.Error(), 3))
	}
	v.mu.Lock()
	v.seen[id]++
	v.mu.Unlock()
	return id, nil
}

// firstLines keeps the start of kin-openapi's long messages (they print
// the whole schema).
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// Seen returns how many responses were validated per operation id.
func (v *Validator) Seen() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.seen))
	for k, n := range v.seen {
		out[k] = n
	}
	return out
}

// maxCaptured bounds the body kept for validation; larger bodies are
// fault injections (oversized) and are not validated.
const maxCaptured = 1 << 20

// Wrap returns h with every 2xx JSON API response validated; failures are
// reported on t when the test ends. Responses marked with X-Sandbox-Fault
// (deliberate misbehaviour) are passed through unchecked.
func (v *Validator) Wrap(t testing.TB, h http.Handler) http.Handler {
	var mu sync.Mutex
	var failures []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range failures {
			t.Errorf("sandbox response does not match Zendesk's OpenAPI file: %s", f)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &captureWriter{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		if !strings.HasPrefix(r.URL.Path, "/api/v2/") || status < 200 || status > 299 ||
			cw.Header().Get("X-Sandbox-Fault") != "" || cw.overflow ||
			!strings.Contains(cw.Header().Get("Content-Type"), "json") {
			return
		}
		if _, err := v.Check(r.Method, r.URL.Path, r.URL.RawQuery, status, cw.Header(), cw.buf.Bytes()); err != nil {
			mu.Lock()
			failures = append(failures, err.Error())
			mu.Unlock()
		}
	})
}

type captureWriter struct {
	http.ResponseWriter
	status   int
	buf      bytes.Buffer
	overflow bool
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if !c.overflow {
		if c.buf.Len()+len(p) > maxCaptured {
			c.overflow = true
			c.buf.Reset()
		} else {
			c.buf.Write(p)
		}
	}
	return c.ResponseWriter.Write(p)
}

func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Fixture reads a go-zendesk fixture ("GET/ticket.json") as a JSON tree.
func (v *Validator) Fixture(t testing.TB, rel string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(v.dir, FixtureDir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return out
}

// Shape flattens a JSON tree into key paths and value kinds ("ticket.via.channel":
// "string"). Array elements share the path "[]"; a null has kind "null".
func Shape(v any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	join := func(p, k string) string {
		if p == "" {
			return k
		}
		return p + "." + k
	}
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if prefix != "" {
				out[prefix] = "object"
			}
			for k, e := range v {
				walk(join(prefix, k), e)
			}
		case []any:
			out[prefix] = "array"
			for _, e := range v {
				walk(prefix+"[]", e)
			}
		case nil:
			if _, ok := out[prefix]; !ok {
				out[prefix] = "null"
			}
		case string:
			out[prefix] = "string"
		case float64, json.Number:
			out[prefix] = "number"
		case bool:
			out[prefix] = "boolean"
		}
	}
	walk("", v)
	return out
}

// CompareShapes lists where got does not have the shape of a recorded
// fixture: a key the fixture has and got lacks, or a different kind where
// both are non-null. Keys below ignore (prefixes) are skipped: parts of a
// fixture that are account-specific (user_fields, photo) or optional.
func CompareShapes(fixture, got any, ignore ...string) []string {
	fs, gs := Shape(fixture), Shape(got)
	var diffs []string
next:
	for k, fk := range fs {
		for _, p := range ignore {
			if k == p || strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[]") {
				continue next
			}
		}
		gk, ok := gs[k]
		switch {
		case !ok:
			// A key under an array the sandbox left empty cannot be compared.
			if i := strings.LastIndex(k, "[]"); i >= 0 && gs[k[:i]] == "array" && !hasPrefixKey(gs, k[:i+2]) {
				continue
			}
			diffs = append(diffs, fmt.Sprintf("missing %s (%s)", k, fk))
		case fk != gk && fk != "null" && gk != "null":
			diffs = append(diffs, fmt.Sprintf("%s is %s, fixture has %s", k, gk, fk))
		}
	}
	sort.Strings(diffs)
	return diffs
}

func hasPrefixKey(m map[string]string, p string) bool {
	for k := range m {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
