package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// object is a JSON object that keeps its keys in insertion order, so
// records print as Salesforce prints them (attributes first, then the
// fields in SELECT order).
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// plain converts to map[string]any (for Lookup).
func (o *object) plain() map[string]any {
	out := make(map[string]any, len(o.keys))
	for _, k := range o.keys {
		switch v := o.vals[k].(type) {
		case *object:
			out[k] = v.plain()
		default:
			out[k] = v
		}
	}
	return out
}

// resolved is a validated field path: the reference fields walked, then
// the final field.
type resolved struct {
	rels  []*fieldDef
	field *fieldDef
}

func noSuchColumn(name, obj string, pos int) *QueryError {
	return &QueryError{"INVALID_FIELD", pos, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, obj)}
}

func (st *store) resolve(obj *objectDef, path []string, pos int) (resolved, *QueryError) {
	var r resolved
	cur := obj
	for i, name := range path {
		if i < len(path)-1 {
			f, ok := cur.parents[strings.ToLower(name)]
			var next *objectDef
			known := false
			if ok {
				next, known = st.schema.object(f.RefTo)
			}
			if !known {
				return r, &QueryError{"INVALID_FIELD", pos, fmt.Sprintf("Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", name)}
			}
			r.rels = append(r.rels, f)
			cur = next
			continue
		}
		f, ok := cur.field(name)
		if !ok || !f.Query {
			return r, noSuchColumn(name, cur.Name, pos)
		}
		r.field = f
	}
	return r, nil
}

func (st *store) valueAt(obj *objectDef, rec map[string]any, r resolved) any {
	cur, curObj := rec, obj
	for _, rel := range r.rels {
		pobj, p := st.parent(rel, cur)
		if p == nil {
			return nil
		}
		cur, curObj = p, pobj
	}
	return st.value(curObj, cur, r.field)
}

// compiled is a validated query ready to run.
type compiled struct {
	src     *SOQL
	obj     *objectDef
	fields  []compiledItem
	where   func(obj *objectDef, rec map[string]any) bool
	order   []compiledOrder
	version string
}

type compiledItem struct {
	path []string // canonical names
	res  resolved
	sub  *compiled
	rel  childRel
}

type compiledOrder struct {
	res        resolved
	desc       bool
	nullsFirst bool
}

func (st *store) compile(q *SOQL, obj *objectDef, version string) (*compiled, *QueryError) {
	c := &compiled{src: q, obj: obj, version: version}
	seen := map[string]bool{}
	for _, it := range q.Select {
		if it.Sub != nil {
			rel, ok := obj.children[strings.ToLower(it.Sub.From)]
			if !ok {
				return nil, &QueryError{"INVALID_TYPE", it.Pos, fmt.Sprintf("Didn't understand relationship '%s' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", it.Sub.From)}
			}
			key := "(" + strings.ToLower(rel.Name)
			if seen[key] {
				return nil, &QueryError{"MALFORMED_QUERY", it.Pos, "duplicate field selected: " + rel.Name}
			}
			seen[key] = true
			childObj, _ := st.schema.object(rel.Object)
			sub, err := st.compile(it.Sub, childObj, version)
			if err != nil {
				return nil, err
			}
			c.fields = append(c.fields, compiledItem{sub: sub, rel: rel})
			continue
		}
		res, err := st.resolve(obj, it.Path, it.Pos)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(strings.Join(it.Path, "."))
		if seen[key] {
			return nil, &QueryError{"MALFORMED_QUERY", it.Pos, "duplicate field selected: " + strings.Join(it.Path, ".")}
		}
		seen[key] = true
		canon := make([]string, 0, len(it.Path))
		for _, r := range res.rels {
			canon = append(canon, r.RelName)
		}
		canon = append(canon, res.field.Name)
		c.fields = append(c.fields, compiledItem{path: canon, res: res})
	}
	if q.Where != nil {
		w, err := st.compileExpr(obj, q.Where)
		if err != nil {
			return nil, err
		}
		c.where = w
	}
	for _, o := range q.OrderBy {
		res, err := st.resolve(obj, o.Path, 0)
		if err != nil {
			return nil, err
		}
		if !res.field.filterable() {
			return nil, &QueryError{"INVALID_FIELD", 0, fmt.Sprintf("field '%s' can not be sorted in a query call", res.field.Name)}
		}
		c.order = append(c.order, compiledOrder{res: res, desc: o.Desc, nullsFirst: o.NullsFirst})
	}
	return c, nil
}

type pred func(obj *objectDef, rec map[string]any) bool

func (st *store) compileExpr(obj *objectDef, e Expr) (pred, *QueryError) {
	switch e := e.(type) {
	case *And:
		l, err := st.compileExpr(obj, e.L)
		if err != nil {
			return nil, err
		}
		r, err := st.compileExpr(obj, e.R)
		if err != nil {
			return nil, err
		}
		return func(o *objectDef, rec map[string]any) bool { return l(o, rec) && r(o, rec) }, nil
	case *Or:
		l, err := st.compileExpr(obj, e.L)
		if err != nil {
			return nil, err
		}
		r, err := st.compileExpr(obj, e.R)
		if err != nil {
			return nil, err
		}
		return func(o *objectDef, rec map[string]any) bool { return l(o, rec) || r(o, rec) }, nil
	case *Not:
		x, err := st.compileExpr(obj, e.X)
		if err != nil {
			return nil, err
		}
		return func(o *objectDef, rec map[string]any) bool { return !x(o, rec) }, nil
	case *Compare:
		res, err := st.filterField(obj, e.Field, e.Pos)
		if err != nil {
			return nil, err
		}
		lit, err := checkLiteral(res.field, e.Value)
		if err != nil {
			return nil, err
		}
		op := e.Op
		return func(o *objectDef, rec map[string]any) bool {
			return compareOp(st.valueAt(o, rec, res), lit, res.field.Kind, op)
		}, nil
	case *In:
		res, err := st.filterField(obj, e.Field, e.Pos)
		if err != nil {
			return nil, err
		}
		lits := make([]any, len(e.Values))
		for i, v := range e.Values {
			if lits[i], err = checkLiteral(res.field, v); err != nil {
				return nil, err
			}
		}
		not := e.Not
		return func(o *objectDef, rec map[string]any) bool {
			v := st.valueAt(o, rec, res)
			hit := false
			for _, l := range lits {
				hit = hit || compareOp(v, l, res.field.Kind, "=")
			}
			return hit != not
		}, nil
	case *Like:
		res, err := st.filterField(obj, e.Field, e.Pos)
		if err != nil {
			return nil, err
		}
		if res.field.Kind != kString {
			return nil, &QueryError{"INVALID_QUERY_FILTER_OPERATOR", e.Pos, fmt.Sprintf("invalid operator on %s field: LIKE", kindName(res.field.Kind))}
		}
		re := likeRegexp(e.Pattern)
		not := e.Not
		return func(o *objectDef, rec map[string]any) bool {
			s, ok := st.valueAt(o, rec, res).(string)
			return ok && re.MatchString(s) != not
		}, nil
	}
	return nil, &QueryError{"MALFORMED_QUERY", 0, "unsupported condition"}
}

func (st *store) filterField(obj *objectDef, path []string, pos int) (resolved, *QueryError) {
	res, err := st.resolve(obj, path, pos)
	if err != nil {
		return res, err
	}
	if !res.field.filterable() {
		return res, &QueryError{"INVALID_FIELD", pos, fmt.Sprintf("field '%s' can not be filtered in a query call", res.field.Name)}
	}
	return res, nil
}

// checkLiteral checks a literal against the field's type and converts it
// to the value compared (string, float64, bool, time.Time or nil).
func checkLiteral(f *fieldDef, l Literal) (any, *QueryError) {
	if l.Kind == LitNull {
		return nil, nil
	}
	mismatch := func(what string, quoted bool) *QueryError {
		q := "should not be enclosed in quotes"
		if quoted {
			q = "should be enclosed in quotes"
		}
		return &QueryError{"INVALID_QUERY_FILTER_OPERATOR", l.Pos, fmt.Sprintf("value of filter criterion for field '%s' must be of type %s and %s", f.Name, what, q)}
	}
	switch f.Kind {
	case kID, kRef:
		if l.Kind != LitString {
			return nil, mismatch("id", true)
		}
		id, ok := NormalizeID(l.Value)
		if !ok {
			return nil, &QueryError{"INVALID_QUERY_FILTER_OPERATOR", l.Pos, "invalid ID field: " + l.Value}
		}
		return id, nil
	case kBool:
		if l.Kind != LitBool {
			return nil, mismatch("boolean", false)
		}
		return l.Value == "true", nil
	case kNumber:
		if l.Kind != LitNumber {
			return nil, mismatch("double", false)
		}
		n, _ := strconv.ParseFloat(l.Value, 64)
		return n, nil
	case kDate:
		if l.Kind != LitDate {
			return nil, mismatch("date", false)
		}
		t, _ := time.Parse("2006-01-02", l.Value)
		return t, nil
	case kDateTime:
		if l.Kind != LitDateTime {
			return nil, mismatch("dateTime", false)
		}
		t, _ := parseSOQLDateTime(l.Value)
		return t, nil
	}
	if l.Kind != LitString {
		return nil, mismatch("string", true)
	}
	return l.Value, nil
}

// typed converts a stored value for comparison with a literal of kind k.
func typed(v any, k kind) any {
	switch k {
	case kDate:
		if s, ok := v.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return t
			}
		}
		return nil
	case kDateTime:
		if s, ok := v.(string); ok {
			if t, err := parseSOQLDateTime(s); err == nil {
				return t
			}
		}
		return nil
	case kID, kRef:
		if s, ok := v.(string); ok {
			if id, ok := NormalizeID(s); ok {
				return id
			}
		}
		return nil
	}
	return v
}

// cmpValues orders two non-nil values of the same kind; strings compare
// case-insensitively, as SOQL does.
func cmpValues(a, b any) int {
	switch a := a.(type) {
	case string:
		bs, _ := b.(string)
		return strings.Compare(strings.ToLower(a), strings.ToLower(bs))
	case float64:
		bf, _ := b.(float64)
		switch {
		case a < bf:
			return -1
		case a > bf:
			return 1
		}
		return 0
	case bool:
		bb, _ := b.(bool)
		switch {
		case a == bb:
			return 0
		case !a:
			return -1
		}
		return 1
	case time.Time:
		bt, _ := b.(time.Time)
		return a.Compare(bt)
	}
	return 0
}

func compareOp(v, lit any, k kind, op string) bool {
	v = typed(v, k)
	if lit == nil || v == nil {
		switch op {
		case "=":
			return lit == nil && v == nil
		case "!=":
			return (lit == nil) != (v == nil)
		}
		return false
	}
	if k == kID || k == kRef {
		// 18-character ids are case-insensitive.
		eq := strings.EqualFold(v.(string), lit.(string))
		switch op {
		case "=":
			return eq
		case "!=":
			return !eq
		}
	}
	c := cmpValues(v, lit)
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	}
	return false
}

func likeRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(string(pat[i])))
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// run executes a compiled query over recs (all records of c.obj, or the
// children of one parent).
func (st *store) run(c *compiled, recs []map[string]any) []*object {
	var hits []map[string]any
	for _, r := range recs {
		if c.where == nil || c.where(c.obj, r) {
			hits = append(hits, r)
		}
	}
	if len(c.order) > 0 {
		sort.SliceStable(hits, func(i, j int) bool {
			for _, o := range c.order {
				a := typed(st.valueAt(c.obj, hits[i], o.res), o.res.field.Kind)
				b := typed(st.valueAt(c.obj, hits[j], o.res), o.res.field.Kind)
				switch {
				case a == nil && b == nil:
					continue
				case a == nil:
					return o.nullsFirst
				case b == nil:
					return !o.nullsFirst
				}
				cv := cmpValues(a, b)
				if cv == 0 {
					continue
				}
				if o.desc {
					return cv > 0
				}
				return cv < 0
			}
			return false
		})
	}
	if c.src.Offset > 0 {
		if c.src.Offset >= len(hits) {
			hits = nil
		} else {
			hits = hits[c.src.Offset:]
		}
	}
	if c.src.Limit >= 0 && len(hits) > c.src.Limit {
		hits = hits[:c.src.Limit]
	}
	out := make([]*object, len(hits))
	for i, r := range hits {
		out[i] = st.render(c, r)
	}
	return out
}

func attributes(obj *objectDef, id any, version string) *object {
	a := newObject()
	a.set("type", obj.Name)
	if s, ok := id.(string); ok && s != "" {
		a.set("url", fmt.Sprintf("/services/data/%s/sobjects/%s/%s", version, obj.Name, s))
	}
	return a
}

func (st *store) render(c *compiled, rec map[string]any) *object {
	out := newObject()
	out.set("attributes", attributes(c.obj, rec["Id"], c.version))
	for _, it := range c.fields {
		if it.sub != nil {
			childObj := it.sub.obj
			var kids []map[string]any
			for _, k := range st.all(childObj) {
				if id, _ := k[it.rel.Field].(string); id != "" && id == rec["Id"] {
					kids = append(kids, k)
				}
			}
			rows := st.run(it.sub, kids)
			if len(rows) == 0 {
				out.set(it.rel.Name, nil)
				continue
			}
			res := newObject()
			res.set("totalSize", len(rows))
			res.set("done", true)
			res.set("records", rows)
			out.set(it.rel.Name, res)
			continue
		}
		st.setPath(out, c.obj, rec, it.res, it.path, c.version)
	}
	return out
}

func (st *store) setPath(out *object, obj *objectDef, rec map[string]any, res resolved, path []string, version string) {
	if len(res.rels) == 0 {
		out.set(path[0], st.value(obj, rec, res.field))
		return
	}
	rel := res.rels[0]
	if existing, ok := out.get(rel.RelName); ok {
		sub, isObj := existing.(*object)
		if !isObj {
			return // the parent is null
		}
		pobj, p := st.parent(rel, rec)
		st.setPath(sub, pobj, p, resolved{rels: res.rels[1:], field: res.field}, path[1:], version)
		return
	}
	pobj, p := st.parent(rel, rec)
	if p == nil {
		out.set(rel.RelName, nil)
		return
	}
	sub := newObject()
	sub.set("attributes", attributes(pobj, p["Id"], version))
	out.set(rel.RelName, sub)
	st.setPath(sub, pobj, p, resolved{rels: res.rels[1:], field: res.field}, path[1:], version)
}

// full renders a record as GET /sobjects/{type}/{id} does: every readable
// field, or only fields when given.
func (st *store) full(obj *objectDef, rec map[string]any, fields []*fieldDef, version string) *object {
	out := newObject()
	out.set("attributes", attributes(obj, rec["Id"], version))
	if fields == nil {
		for _, f := range obj.fields {
			if f.Query {
				fields = append(fields, f)
			}
		}
	}
	for _, f := range fields {
		out.set(f.Name, st.value(obj, rec, f))
	}
	return out
}
