package connectors

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Actions a resource may support; also the action label in metrics.
const (
	ActionRead   = "read"
	ActionSearch = "search"
	ActionUpdate = "update"
)

// ValidateQuery checks a read or search against the catalog before any
// I/O: the resource exists and offers the action, every criterion names a
// declared key with a usable value, every field is a catalog path and the
// fields form a projection tree. Errors wrap ErrInvalid and name catalog
// names only, never a criterion value. Connectors may call it too; the
// wrapper always does.
func ValidateQuery(cat Catalog, action string, q Query) (*Resource, *fieldpath.Tree, error) {
	res, err := resourceFor(cat, q.Resource, action)
	if err != nil {
		return nil, nil, err
	}
	if err := validateMatch(cat, res, q.Match, false); err != nil {
		return nil, nil, err
	}
	if len(q.Fields) == 0 {
		return nil, nil, fmt.Errorf("%s %s: no fields requested: %w", action, res.Name, ErrInvalid)
	}
	if q.Limit < 0 {
		return nil, nil, fmt.Errorf("%s %s: negative limit: %w", action, res.Name, ErrInvalid)
	}
	tree, err := fieldTree(res, q.Fields)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", action, res.Name, err)
	}
	return res, tree, nil
}

// ValidateUpdate checks an update like ValidateQuery, and also that the
// match includes a unique key, that every assigned field is writable and
// that each value has the field's type.
func ValidateUpdate(cat Catalog, u Update) (*Resource, *fieldpath.Tree, error) {
	res, err := resourceFor(cat, u.Resource, ActionUpdate)
	if err != nil {
		return nil, nil, err
	}
	if err := validateMatch(cat, res, u.Match, true); err != nil {
		return nil, nil, err
	}
	if len(u.Set) == 0 {
		return nil, nil, fmt.Errorf("update %s: nothing to set: %w", res.Name, ErrInvalid)
	}
	seen := map[string]bool{}
	for _, a := range u.Set {
		f, ok := res.Field(a.Field.String())
		if !ok {
			return nil, nil, fmt.Errorf("update %s: unknown field %q: %w", res.Name, a.Field.String(), ErrInvalid)
		}
		if !f.Writable {
			return nil, nil, fmt.Errorf("update %s: field %q is not writable: %w", res.Name, f.Path, ErrInvalid)
		}
		if seen[f.Path] {
			return nil, nil, fmt.Errorf("update %s: field %q set twice: %w", res.Name, f.Path, ErrInvalid)
		}
		seen[f.Path] = true
		if !valueFits(f.Type, a.Value) {
			return nil, nil, fmt.Errorf("update %s: field %q needs a %s value: %w", res.Name, f.Path, f.Type, ErrInvalid)
		}
	}
	var tree *fieldpath.Tree
	if len(u.Fields) > 0 {
		tree, err = fieldTree(res, u.Fields)
		if err != nil {
			return nil, nil, fmt.Errorf("update %s: %w", res.Name, err)
		}
	} else {
		tree, _ = fieldpath.NewTree(nil)
	}
	return res, tree, nil
}

func resourceFor(cat Catalog, name, action string) (*Resource, error) {
	res, ok := cat.Resource(name)
	if !ok {
		return nil, fmt.Errorf("%s: unknown resource %q for connector type %s: %w", action, name, cat.Type, ErrInvalid)
	}
	if !res.Supports(action) {
		return nil, fmt.Errorf("%s: resource %q does not support %s: %w", action, name, action, ErrInvalid)
	}
	return res, nil
}

func validateMatch(cat Catalog, res *Resource, match []Criterion, needUnique bool) error {
	if len(match) == 0 {
		return fmt.Errorf("%s: no lookup key given: %w", res.Name, ErrInvalid)
	}
	unique := false
	for _, c := range match {
		k, ok := res.Key(c.Key)
		if !ok {
			return fmt.Errorf("%s: unknown lookup key %q: %w", res.Name, c.Key, ErrInvalid)
		}
		unique = unique || k.Unique
		if err := checkLookupValue(c.Value); err != nil {
			return fmt.Errorf("%s: key %q: %v: %w", res.Name, c.Key, err, ErrInvalid)
		}
	}
	if needUnique && !unique {
		return fmt.Errorf("%s: an update needs a unique key: %w", res.Name, ErrInvalid)
	}
	return nil
}

// checkLookupValue rejects values no lookup can legitimately hold: empty,
// invalid UTF-8, control characters, or absurdly long. Quotes, backslashes
// and operators stay allowed: connectors must escape them, and the
// injection tests prove they do.
func checkLookupValue(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("empty value")
	case len(v) > 1024:
		return fmt.Errorf("value longer than 1024 bytes")
	case !utf8.ValidString(v):
		return fmt.Errorf("value is not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("value contains a control character")
		}
	}
	return nil
}

func fieldTree(res *Resource, fields []fieldpath.Path) (*fieldpath.Tree, error) {
	for _, p := range fields {
		if _, ok := res.Field(p.String()); !ok {
			return nil, fmt.Errorf("unknown field %q: %w", p.String(), ErrInvalid)
		}
	}
	tree, err := fieldpath.NewTree(fields)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrInvalid)
	}
	return tree, nil
}

func valueFits(t FieldType, v any) bool {
	if v == nil {
		return true
	}
	switch t {
	case Boolean:
		_, ok := v.(bool)
		return ok
	case Integer, Number:
		switch v.(type) {
		case float64, json.Number, int, int64:
			return true
		}
		return false
	}
	_, ok := v.(string)
	return ok
}

// Project applies the projection guard: the record keeps only the
// requested paths (see fieldpath.Tree.Project). A nil record projects to an
// empty one.
func Project(tree *fieldpath.Tree, rec Record) Record {
	if tree == nil || rec == nil {
		return Record{}
	}
	out, _ := tree.Project(rec, nil).(map[string]any)
	if out == nil {
		return Record{}
	}
	return out
}
