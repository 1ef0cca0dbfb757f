package shopify

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed admin_subset.graphql
var subsetSDL string

// Schema is a loaded Admin API schema the sandbox validates documents
// against. Load the vendor's SDL once with LoadSchema and share it between
// sandboxes; it is read-only.
type Schema struct {
	s      *ast.Schema
	subset bool
}

// AST returns the parsed schema (read-only).
func (s *Schema) AST() *ast.Schema { return s.s }

// Subset reports whether this is the embedded hand-written subset.
func (s *Schema) Subset() bool { return s.subset }

// SubsetSDL returns the embedded subset's SDL text.
func SubsetSDL() string { return subsetSDL }

// SchemaFile is the name of the vendor schema in $CXGATE_SPECS_DIR.
const SchemaFile = "shopify-admin-graphql-2025-01.graphql"

// newerFields declares what was added to the Admin schema after the
// copied 2025-01 introspection and that the sandbox serves: the customer's
// default email and phone objects (API version 2025-04). They are added to
// a vendor schema that lacks them, so the sandbox speaks the current API.
var newerFields = map[string][]string{
	"Customer": {"defaultEmailAddress: CustomerEmailAddress", "defaultPhoneNumber: CustomerPhoneNumber"},
}

// NewerFields lists "Type.field" names the sandbox adds on top of an older
// vendor schema (see LoadSchema).
func NewerFields() []string {
	var out []string
	for typ, fields := range newerFields {
		for _, f := range fields {
			name, _, _ := strings.Cut(f, ":")
			out = append(out, typ+"."+name)
		}
	}
	return out
}

// LoadSchema loads a vendor Admin schema SDL (as printed from
// introspection: root types QueryRoot and Mutation, no schema block). A
// schema block is added when missing, and so are the fields in NewerFields
// when the SDL predates them.
func LoadSchema(sdl string) (*Schema, error) {
	return loadSchema("admin.graphql", sdl, false)
}

// LoadSchemaFile loads the vendor SDL from a file, e.g.
// filepath.Join(os.Getenv("CXGATE_SPECS_DIR"), SchemaFile).
func LoadSchemaFile(path string) (*Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("admin schema: %w", err)
	}
	return loadSchema(filepath.Base(path), string(b), false)
}

func loadSubset() (*Schema, error) { return loadSchema("admin_subset.graphql", subsetSDL, true) }

func loadSchema(name, sdl string, subset bool) (*Schema, error) {
	srcs := []*ast.Source{{Name: name, Input: sdl}}
	if !strings.Contains(sdl, "\nschema {") && !strings.HasPrefix(sdl, "schema {") {
		srcs = append(srcs, &ast.Source{Name: "schema-block.graphql", Input: "schema { query: QueryRoot mutation: Mutation }\n"})
	}
	s, err := gqlparser.LoadSchema(srcs...)
	if err != nil {
		return nil, fmt.Errorf("admin schema %s: %w", name, err)
	}
	var ext strings.Builder
	for typ, fields := range newerFields {
		def := s.Types[typ]
		if def == nil {
			continue
		}
		var missing []string
		for _, f := range fields {
			fname, _, _ := strings.Cut(f, ":")
			if def.Fields.ForName(fname) == nil {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(&ext, "extend type %s {\n  %s\n}\n", typ, strings.Join(missing, "\n  "))
		}
	}
	if ext.Len() > 0 {
		srcs = append(srcs, &ast.Source{Name: "newer-fields.graphql", Input: ext.String()})
		if s, err = gqlparser.LoadSchema(srcs...); err != nil {
			return nil, fmt.Errorf("admin schema %s with newer fields: %w", name, err)
		}
	}
	if s.Query == nil || s.Query.Name != "QueryRoot" {
		return nil, fmt.Errorf("admin schema %s: query root is not QueryRoot", name)
	}
	return &Schema{s: s, subset: subset}, nil
}
