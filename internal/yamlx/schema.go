package yamlx

import (
	"encoding/json"
	"strings"
)

// JSONSchema turns a Spec into a JSON Schema (draft 2020-12) document, so
// that editors validate and complete files by the same rules Check applies.
// What the schema cannot say (cross references, catalogs) stays with the
// loader; what it says is never stricter than the loader.
func JSONSchema(root *Spec, id, title string) ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	doc := g.node(root, true)
	doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	if id != "" {
		doc["$id"] = id
	}
	if title != "" {
		doc["title"] = title
	}
	if len(g.defs) > 0 {
		doc["$defs"] = g.defs
	}
	return json.MarshalIndent(doc, "", "  ")
}

type schemaGen struct {
	defs map[string]any
}

func (g *schemaGen) node(s *Spec, inline bool) map[string]any {
	if s.Def != "" && !inline {
		if _, done := g.defs[s.Def]; !done {
			g.defs[s.Def] = map[string]any{} // placeholder against recursion
			g.defs[s.Def] = g.node(s, true)
		}
		return map[string]any{"$ref": "#/$defs/" + s.Def}
	}
	out := map[string]any{}
	if s.Doc != "" {
		out["description"] = s.Doc
	}
	switch s.Kind {
	case KindString:
		if s.Loose {
			out["type"] = []string{"string", "number"}
		} else {
			out["type"] = "string"
		}
		if len(s.Enum) > 0 {
			out["enum"] = s.Enum
		}
		if s.NonEmpty || s.Format != nil || len(s.Enum) > 0 {
			if !s.Loose && len(s.Enum) == 0 {
				out["minLength"] = 1
			}
		}
		if f := s.Format; f != nil {
			if f.Pattern != "" {
				out["pattern"] = f.Pattern
			}
			if len(f.Enum) > 0 {
				out["enum"] = f.Enum
			}
			if f.Doc != "" && s.Doc == "" {
				out["description"] = upperFirst(f.Doc)
			}
		}
	case KindInt, KindNumber:
		if s.Kind == KindInt {
			out["type"] = "integer"
		} else {
			out["type"] = "number"
		}
		if s.Min != nil {
			out["minimum"] = *s.Min
		}
		if s.Max != nil {
			out["maximum"] = *s.Max
		}
	case KindBool:
		out["type"] = "boolean"
	case KindMap:
		out["type"] = "object"
		props := map[string]any{}
		var req []string
		for _, k := range s.Keys {
			p := g.node(k.Spec, false)
			if k.Doc != "" {
				if _, isRef := p["$ref"]; isRef {
					p = map[string]any{"$ref": p["$ref"], "description": k.Doc}
				} else {
					p["description"] = k.Doc
				}
			}
			props[k.Name] = p
			if k.Required {
				req = append(req, k.Name)
			}
		}
		out["properties"] = props
		out["additionalProperties"] = false
		if len(req) > 0 && !s.ExactlyOne {
			out["required"] = req
		}
		if s.ExactlyOne {
			out["minProperties"] = 1
			out["maxProperties"] = 1
		}
	case KindDict:
		out["type"] = "object"
		if s.Elem != nil {
			out["additionalProperties"] = g.node(s.Elem, false)
		}
		if s.KeyFormat != nil && s.KeyFormat.Pattern != "" {
			out["propertyNames"] = map[string]any{"pattern": s.KeyFormat.Pattern}
		}
		if s.MinItems > 0 {
			out["minProperties"] = s.MinItems
		}
	case KindList:
		out["type"] = "array"
		if s.Elem != nil {
			out["items"] = g.node(s.Elem, false)
		}
		if s.MinItems > 0 {
			out["minItems"] = s.MinItems
		}
		if s.Unique {
			out["uniqueItems"] = true
		}
	case KindOneOf:
		alts := make([]any, len(s.Alts))
		for i, a := range s.Alts {
			alts[i] = g.node(a, false)
		}
		out["oneOf"] = alts
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
