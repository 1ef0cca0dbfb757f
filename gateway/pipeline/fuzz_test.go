package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/examples"
	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/scopes/fieldpath"
	"github.com/cxgate/cxgate/vaultclient"
)

// fuzzScope has every rule and mask option, at every depth and through
// lists of scalars and lists of objects.
const fuzzScope = `version: 1
client: fuzz-client
connection: fuzz
retention: 30d
inquiries:
  all_rules:
    description: every rule
    access: {min_tier: 1}
    operations:
      read:
        action: read
        resource: record
        params:
          id: {type: string, required: true}
        fields:
          k: keep
          m4: {mask: last4}
          m2: {mask: last2}
          m1: {mask: first1}
          me: {mask: email}
          mf: {mask: full}
          r: redact
          t: {tokenize: EMAIL}
          h: {hash: PHONE}
          s: scrub
          a.b.c: {mask: last4}
          a.d[]: redact
          list[].x: {tokenize: ADDRESS}
          list[].y.z: scrub
          list[].w[]: {hash: EMAIL}
          tags[]: keep
          deep[].deeper[].deepest: {tokenize: SSN}
`

// fuzzRules are the rules given, in turn, to fuzzer-chosen field paths.
var fuzzRules = []string{"keep", "{mask: last4}", "redact", "{tokenize: EMAIL}", "{hash: EMAIL}", "scrub", "{mask: email}", "{mask: first1}"}

// fuzzOperations compiles the example scopes and fuzzScope.
func fuzzOperations(tb testing.TB) []*scopes.Operation {
	tb.Helper()
	files := []scopes.File{{Name: "fuzz.yaml", Data: []byte(fuzzScope)}, {Name: "pipeline.yaml", Data: []byte(testScope)}}
	err := fs.WalkDir(examples.FS, "scopes", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := examples.FS.ReadFile(path)
		files = append(files, scopes.File{Name: path, Data: b})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	var ops []*scopes.Operation
	for _, f := range files {
		set, d := scopes.Load([]scopes.File{f}, scopes.Options{})
		if set == nil {
			tb.Fatalf("%s does not load:\n%s", f.Name, d)
		}
		ops = append(ops, allOperations(set)...)
	}
	return ops
}

func allOperations(set *scopes.Set) []*scopes.Operation {
	var ops []*scopes.Operation
	for _, c := range set.Clients() {
		for _, q := range c.Inquiries {
			ops = append(ops, q.Operations...)
		}
	}
	return ops
}

// operationFromPaths compiles an operation selecting the given paths, with
// the rules of fuzzRules in turn; nil when the scope loader refuses them.
func operationFromPaths(paths []string) *scopes.Operation {
	var b strings.Builder
	b.WriteString("version: 1\nclient: fuzz-client\nconnection: fuzz\nretention: 30d\ninquiries:\n  q:\n    description: x\n    access: {min_tier: 1}\n    operations:\n      o:\n        action: read\n        resource: record\n        params:\n          id: {type: string, required: true}\n        fields:\n")
	for i, p := range paths {
		fmt.Fprintf(&b, "          '%s': %s\n", strings.ReplaceAll(p, "'", "''"), fuzzRules[i%len(fuzzRules)])
	}
	set, _ := scopes.Load([]scopes.File{{Name: "paths.yaml", Data: []byte(b.String())}}, scopes.Options{})
	if set == nil {
		return nil
	}
	ops := allOperations(set)
	if len(ops) != 1 {
		return nil
	}
	return ops[0]
}

// sampleDoc is a record holding a value at every path of op (lists of
// two objects, lists of mixed scalars), with the value kinds projection
// meets: personal data, numbers, booleans, nulls, masked and token-like
// text.
func sampleDoc(op *scopes.Operation) []byte {
	values := []any{"maya.okafor@example.com", "+1 202-555-0143", 4111111111111111.0, true, nil, "a****@example.com", scopes.Redacted, "cxt_email_v1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Call me on 07700 900123", "", "ＡＢＣ１２３４"}
	doc := map[string]any{}
	for i, f := range op.Fields {
		put(doc, f.Path.Segments(), values[i%len(values)], values[(i+3)%len(values)])
	}
	b, _ := json.Marshal(doc)
	return b
}

func put(m map[string]any, segs []fieldpath.Segment, v, w any) {
	s := segs[0]
	if len(segs) == 1 {
		if s.Each {
			m[s.Name] = []any{v, w, nil, map[string]any{"x": v}, []any{v}}
		} else {
			m[s.Name] = v
		}
		return
	}
	if s.Each {
		arr, _ := m[s.Name].([]any)
		if len(arr) == 0 {
			arr = []any{map[string]any{}, map[string]any{}, nil, "not an object"}
		}
		for _, e := range arr {
			if em, ok := e.(map[string]any); ok {
				put(em, segs[1:], v, w)
			}
		}
		m[s.Name] = arr
		return
	}
	sub, ok := m[s.Name].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[s.Name] = sub
	}
	put(sub, segs[1:], v, w)
}

// FuzzProject projects arbitrary JSON through compiled operations (the
// example scopes, a scope with every rule, and operations built from
// fuzzer-chosen field paths) and runs the protector and the tokenizer on
// the result, as Run does. Projection never panics; the output holds only
// the selected paths, each leaf in the shape its path declares; and every
// leaf carries exactly what its rule allows: keep the input value, mask
// the mask of it, redact the placeholder, tokenize a token of the field's
// type that detokenizes to it, hash a hash of the field's type, scrub the
// content filter's output. Tokens and hashes are never the input value.
func FuzzProject(f *testing.F) {
	ops := fuzzOperations(f)
	for i, op := range ops {
		f.Add(uint8(i), sampleDoc(op), "")
	}
	for _, doc := range []string{`null`, `[]`, `"x"`, `{}`, `{"k":{"nested":"maya.okafor@example.com"}}`, `{"tags":"not a list","list":{"x":1}}`,
		`{"a":{"b":[1,2]},"deep":[{"deeper":[{"deepest":"078-05-1120"},null,7]}]}`, `{"t":1e308,"h":-0,"m4":12345678901234567890}`} {
		f.Add(uint8(0), []byte(doc), "")
	}
	f.Add(uint8(0), []byte(`{"a":{"b":"maya.okafor@example.com"},"c":[{"d":"x"}]}`), "a.b\nc[].d\ne[]")
	f.Add(uint8(0), []byte(`{"a":[["x"]]}`), "a[]")

	local, err := vaultclient.NewLocalRandom()
	if err != nil {
		f.Fatal(err)
	}
	flt, err := filter.New(filter.Config{})
	if err != nil {
		f.Fatal(err)
	}
	p := &Pipeline{Tokenizer: local}
	f.Fuzz(func(t *testing.T, which uint8, doc []byte, paths string) {
		op := ops[int(which)%len(ops)]
		if paths != "" {
			list := strings.Split(paths, "\n")
			if len(list) > 8 {
				list = list[:8]
			}
			if o := operationFromPaths(list); o != nil {
				op = o
			}
		}
		var in any
		dec := json.NewDecoder(bytes.NewReader(doc))
		if which&0x80 != 0 {
			dec.UseNumber() // connectors may hand over json.Number
		}
		if dec.Decode(&in) != nil {
			return
		}
		pr := &protector{op: op, filter: flt}
		out := op.Tree().Project(in, pr.visit)
		if _, err := p.vaultCalls(context.Background(), "fuzz-client", pr); err != nil {
			t.Fatalf("vault calls: %v", err)
		}
		c := &projCheck{t: t, op: op, flt: flt, tok: local}
		om, ok := out.(map[string]any)
		if !ok {
			t.Fatalf("projection is a %T, not an object", out)
		}
		im, _ := in.(map[string]any)
		c.object(op.Tree().Root(), im, om, "")
	})
}

type projCheck struct {
	t   *testing.T
	op  *scopes.Operation
	flt *filter.Filter
	tok *vaultclient.Local
}

// object checks one projected object against its tree node and input.
func (c *projCheck) object(n *fieldpath.Node, in, out map[string]any, at string) {
	kids := map[string]*fieldpath.Node{}
	for _, k := range n.Children() {
		kids[k.Name] = k
	}
	for k := range out {
		if kids[k] == nil {
			c.t.Fatalf("%s%s: not selected, yet in the output", at, k)
		}
	}
	for _, k := range n.Children() {
		iv, inHas := in[k.Name]
		ov, outHas := out[k.Name]
		path := at + k.Name
		switch {
		case !inHas:
			if outHas {
				c.t.Fatalf("%s: absent in the input, present in the output", path)
			}
		case iv == nil:
			if !outHas || ov != nil {
				c.t.Fatalf("%s: null in the input, %v in the output", path, ov)
			}
		case k.Each:
			ia, ok := iv.([]any)
			if !ok {
				if outHas {
					c.t.Fatalf("%s: not a list in the input, yet in the output", path)
				}
				continue
			}
			oa, ok := ov.([]any)
			if !ok {
				c.t.Fatalf("%s: a list in the input, %T in the output", path, ov)
			}
			var kept []any
			for _, e := range ia {
				if k.Leaf >= 0 && fieldpath.IsScalar(e) {
					kept = append(kept, e)
				} else if _, isObj := e.(map[string]any); k.Leaf < 0 && (isObj || e == nil) {
					kept = append(kept, e)
				}
			}
			if len(kept) != len(oa) {
				c.t.Fatalf("%s: %d elements kept of %d, want %d", path, len(oa), len(ia), len(kept))
			}
			for i := range kept {
				if k.Leaf >= 0 {
					c.leaf(k.Leaf, kept[i], oa[i], fmt.Sprintf("%s[%d]", path, i))
					continue
				}
				if kept[i] == nil {
					if oa[i] != nil {
						c.t.Fatalf("%s[%d]: null became %v", path, i, oa[i])
					}
					continue
				}
				om, ok := oa[i].(map[string]any)
				if !ok {
					c.t.Fatalf("%s[%d]: an object became %T", path, i, oa[i])
				}
				c.object(k, kept[i].(map[string]any), om, fmt.Sprintf("%s[%d].", path, i))
			}
		case k.Leaf >= 0:
			if !fieldpath.IsScalar(iv) {
				if outHas {
					c.t.Fatalf("%s: a %T at a leaf passed through", path, iv)
				}
				continue
			}
			c.leaf(k.Leaf, iv, ov, path)
		default:
			im, ok := iv.(map[string]any)
			if !ok {
				if outHas {
					c.t.Fatalf("%s: a %T where an object belongs passed through", path, iv)
				}
				continue
			}
			om, ok := ov.(map[string]any)
			if !ok {
				c.t.Fatalf("%s: an object became %T", path, ov)
			}
			c.object(k, im, om, path+".")
		}
	}
}

// leaf checks that out is exactly what field i's rule makes of in.
func (c *projCheck) leaf(i int, in, out any, path string) {
	t := c.t
	f := c.op.Fields[i]
	if in == nil {
		if out != nil {
			t.Fatalf("%s: null became %v", path, out)
		}
		return
	}
	text := scalarText(in)
	switch f.Rule {
	case scopes.Keep:
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("%s (keep): %v became %v", path, in, out)
		}
		return
	case scopes.Mask:
		if want := scopes.MaskValue(f.Mask, in); !reflect.DeepEqual(want, out) {
			t.Fatalf("%s (mask %s): %q, want %q", path, f.Mask, out, want)
		}
		// Equal to the input only when the input is already in the mask's
		// own form (it reveals nothing the mask would not).
		return
	case scopes.Redact:
		if out != scopes.Redacted {
			t.Fatalf("%s (redact): %v", path, out)
		}
		return
	case scopes.Scrub:
		res, err := c.flt.Mask(text)
		if err != nil {
			if out != nil {
				t.Fatalf("%s (scrub): unfilterable text passed as %q", path, out)
			}
			return
		}
		if out != res.Text {
			t.Fatalf("%s (scrub): %q, want the filter's %q", path, out, res.Text)
		}
		return
	case scopes.Tokenize, scopes.Hash:
		s, ok := out.(string)
		if !ok {
			t.Fatalf("%s (%s): %T", path, f.Rule, out)
		}
		if reflect.DeepEqual(in, out) {
			t.Fatalf("%s (%s): the input value came through", path, f.Rule)
		}
		tok, err := pii.ParseToken(s)
		if err != nil || tok.Type != f.PII {
			t.Fatalf("%s (%s): %q is not a %s token: %v", path, f.Rule, s, f.PII, err)
		}
		if f.Rule == scopes.Hash {
			if tok.Kind != pii.KindHash {
				t.Fatalf("%s (hash): %q is not a hash", path, s)
			}
			return
		}
		items, err := c.tok.Detokenize(context.Background(), "fuzz-client", []string{s})
		if err != nil || len(items) != 1 || items[0].Value != text || items[0].Type != f.PII {
			t.Fatalf("%s (tokenize): the token does not give back the value: %v", path, err)
		}
		return
	}
	if out != nil {
		t.Fatalf("%s: rule %q passed %v", path, f.Rule, out)
	}
}
