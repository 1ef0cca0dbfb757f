package scopes

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/pii"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testCatalogs is a small catalog in the shape of the shopify and zendesk
// vocabularies, so catalog checks are tested without the real connectors.
func testCatalogs() CatalogMap {
	shop := &connectors.Catalog{
		Type:      "shopify",
		AuthModes: []string{"client_credentials", "static_token"},
		Resources: []connectors.Resource{
			{
				Name:    "order",
				Actions: []string{"read", "search", "update"},
				Keys: []connectors.Key{
					{Name: "id", Unique: true},
					{Name: "order_number", Unique: true},
					{Name: "email", PII: pii.Email},
				},
				Fields: []connectors.Field{
					{Path: "id", Type: connectors.ID},
					{Path: "name", Type: connectors.String},
					{Path: "created_at", Type: connectors.DateTime},
					{Path: "fulfillment_status", Type: connectors.String},
					{Path: "email", Type: connectors.String, PII: pii.Email},
					{Path: "phone", Type: connectors.String, PII: pii.Phone},
					{Path: "note", Type: connectors.String, FreeText: true, Writable: true},
					{Path: "tags[]", Type: connectors.String},
					{Path: "customer.first_name", Type: connectors.String, PII: pii.Person},
					{Path: "customer.last_name", Type: connectors.String, PII: pii.Person},
					{Path: "customer.email", Type: connectors.String, PII: pii.Email},
					{Path: "line_items[].title", Type: connectors.String},
					{Path: "line_items[].sku", Type: connectors.String},
					{Path: "shipping_address.address1", Type: connectors.String, PII: pii.Address, Writable: true},
					{Path: "shipping_address.city", Type: connectors.String, Writable: true},
					{Path: "shipping_address.zip", Type: connectors.String, PII: pii.Postcode, Writable: true},
					{Path: "card_last4", Type: connectors.String, PII: pii.Card},
				},
			},
			{
				Name:    "customer",
				Actions: []string{"read", "search"},
				Keys:    []connectors.Key{{Name: "id", Unique: true}, {Name: "email", Unique: true, PII: pii.Email}},
				Fields: []connectors.Field{
					{Path: "id", Type: connectors.ID},
					{Path: "email", Type: connectors.String, PII: pii.Email},
					{Path: "note", Type: connectors.String, FreeText: true},
				},
			},
		},
	}
	return CatalogMap{"acme-shopify": shop, "other-conn": nil}
}

// runArchive loads the .yaml files of an archive and returns the text of
// its diagnostics, one per line.
func loadArchive(t *testing.T, a *txtar.Archive) (*Set, string) {
	t.Helper()
	var files []File
	for _, f := range a.Files {
		if strings.HasSuffix(f.Name, ".yaml") || strings.HasSuffix(f.Name, ".yml") {
			files = append(files, File{Name: f.Name, Data: f.Data})
		}
	}
	var opts Options
	if strings.Contains(string(a.Comment), "with-catalog") {
		opts.Catalogs = testCatalogs()
	}
	set, d := Load(files, opts)
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.String())
		b.WriteByte('\n')
	}
	return set, b.String()
}

// golden compares got with the archive section name, or rewrites it under
// -update.
func golden(t *testing.T, path string, a *txtar.Archive, section, got string) {
	t.Helper()
	for i, f := range a.Files {
		if f.Name != section {
			continue
		}
		if *update {
			a.Files[i].Data = []byte(got)
			if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if want := string(f.Data); want != got {
			t.Errorf("%s: %s differs\n--- got ---\n%s--- want ---\n%s", filepath.Base(path), section, got, want)
		}
		return
	}
	if *update {
		a.Files = append(a.Files, txtar.File{Name: section, Data: []byte(got)})
		if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: no %q section (run with -update)", filepath.Base(path), section)
}

func mustLoad(t *testing.T, files ...File) *Set {
	t.Helper()
	set, d := Load(files, Options{})
	if d.HasErrors() {
		t.Fatalf("load: %v", d)
	}
	return set
}
