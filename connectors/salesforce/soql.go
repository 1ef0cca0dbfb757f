package salesforce

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// idRe is a Salesforce record id: 15 case-sensitive or 18 case-insensitive
// alphanumerics (reference §1.6). Ids are checked before they reach a query
// or a URL path.
var idRe = regexp.MustCompile(`^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$`)

// validID reports whether id is an id of the object with key prefix
// prefix. A wrong prefix cannot name a record of this object.
func validID(id, prefix string) bool {
	return idRe.MatchString(id) && (prefix == "" || strings.EqualFold(id[:3], prefix))
}

// escapeLiteral escapes a value for a single-quoted SOQL string literal,
// per the SOQL reference: backslash first, then the quotes, then control
// characters as their escapes. The result can hold no unescaped quote, so
// the value can never end the literal early.
func escapeLiteral(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// selectList builds the SELECT list for exactly the requested fields
// (data minimisation at the source): plain and relationship fields as
// they are, the fields of a child list as one subquery. Write-only fields
// are left out (they cannot be read). extra names fields the connector
// itself needs (the Id of a record it will update); duplicates are merged.
func selectList(rm resourceMap, fields []fieldpath.Path, extra ...string) (string, bool) {
	var items []string
	seen := map[string]bool{}
	children := map[string][]string{}
	var childOrder []string
	add := func(s string) {
		if k := strings.ToLower(s); !seen[k] {
			seen[k] = true
			items = append(items, s)
		}
	}
	for _, e := range extra {
		add(e)
	}
	for _, p := range fields {
		segs := p.Segments()
		if rm.writeOnly[p.String()] {
			continue
		}
		if len(segs) == 2 && segs[0].Each {
			rel := segs[0].Name
			if _, ok := children[rel]; !ok {
				childOrder = append(childOrder, rel)
			}
			children[rel] = append(children[rel], segs[1].Name)
			continue
		}
		add(p.Names())
	}
	for _, rel := range childOrder {
		add(fmt.Sprintf("(SELECT %s FROM %s ORDER BY CreatedDate ASC LIMIT %d)", strings.Join(children[rel], ", "), rel, childLimit))
	}
	return strings.Join(items, ", "), len(items) > 0
}

// errWrongPrefix reports a lookup id of another object: no record of this
// resource can match it.
var errWrongPrefix = fmt.Errorf("id of another object type: %w", connectors.ErrNotFound)

// whereClause builds the WHERE conditions for the criteria (all must hold).
// Ids are validated, other values escaped into literals.
func whereClause(resource string, rm resourceMap, match []connectors.Criterion) (string, error) {
	var conds []string
	for _, c := range match {
		km, ok := rm.keys[c.Key]
		if !ok {
			return "", fmt.Errorf("salesforce %s: unknown lookup key %q: %w", resource, c.Key, connectors.ErrInvalid)
		}
		if km.prefix != "" {
			if !idRe.MatchString(c.Value) {
				return "", fmt.Errorf("salesforce %s: key %q is not a Salesforce id: %w", resource, c.Key, connectors.ErrInvalid)
			}
			if !validID(c.Value, km.prefix) {
				return "", fmt.Errorf("salesforce %s: key %q: %w", resource, c.Key, errWrongPrefix)
			}
		}
		lit := "'" + escapeLiteral(c.Value) + "'"
		var ors []string
		for _, f := range km.fields {
			ors = append(ors, f+" = "+lit)
		}
		cond := strings.Join(ors, " OR ")
		if len(ors) > 1 {
			cond = "(" + cond + ")"
		}
		conds = append(conds, cond)
	}
	return strings.Join(conds, " AND "), nil
}

// buildQuery is the whole SOQL statement.
func buildQuery(resource string, rm resourceMap, fields []fieldpath.Path, match []connectors.Criterion, orderBy string, limit int, extra ...string) (string, error) {
	sel, ok := selectList(rm, fields, extra...)
	if !ok {
		sel = "Id" // only write-only fields asked for: select the smallest thing
	}
	where, err := whereClause(resource, rm, match)
	if err != nil {
		return "", err
	}
	q := "SELECT " + sel + " FROM " + rm.object + " WHERE " + where
	if orderBy != "" {
		q += " ORDER BY " + orderBy
	}
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return q, nil
}
