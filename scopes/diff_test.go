package scopes

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const diffBase = `version: 1
client: acme
connection: acme-shop
retention: 30d
filter:
  phone_regions: [US, GB]
  allow_patterns: ['ACME-[0-9]+']
inquiries:
  status:
    access:
      min_tier: 2
      mfa: true
      countries: [GB, IE]
      networks: [198.51.100.0/24]
    operations:
      get:
        action: read
        resource: order
        params:
          id: {type: string, required: true, pattern: '[0-9]+'}
          email: {type: token, pii: EMAIL}
          kind: {type: string, enum: [a, b]}
        fields:
          status: keep
          email: {tokenize: EMAIL}
          phone: {mask: last2}
          note: scrub
          card: {hash: CARD}
          ssn: redact
      find:
        action: search
        resource: order
        limit: 10
        params:
          email: {type: token, pii: EMAIL, required: true}
        fields:
          status: keep
      set:
        action: update
        resource: order
        params:
          id: {type: string, required: true}
        input:
          status: {enum: [open, closed]}
          address: {token: ADDRESS}
          note: text
  other:
    operations:
      get:
        action: read
        resource: order
        params:
          id: {type: string, required: true}
        fields:
          status: keep
`

// mutate applies text replacements to the base scope; each must apply.
func mutate(t *testing.T, pairs ...string) string {
	t.Helper()
	s := diffBase
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("mutation %q does not apply", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestDiffClassification(t *testing.T) {
	tests := []struct {
		name  string
		edits []string
		want  []string // "up code" / "down code", in order
	}{
		{"no change", nil, nil},
		{"new client", []string{"client: acme", "client: acme2"}, []string{"down client-removed", "up client-added"}},
		{"connection", []string{"connection: acme-shop", "connection: acme-shop-2"}, []string{"up connection-changed"}},
		{"retention longer", []string{"retention: 30d", "retention: 5w"}, []string{"up retention-longer"}},
		{"retention shorter", []string{"retention: 30d", "retention: 2w"}, []string{"down retention-shorter"}},
		{"retention same in other units", []string{"retention: 30d", "retention: 720h"}, nil},
		{"retention removed", []string{"retention: 30d\n", ""}, []string{"up retention-removed"}},
		{"regions dropped", []string{"phone_regions: [US, GB]", "phone_regions: [US]"}, []string{"up filter-regions-removed"}},
		{"regions added", []string{"phone_regions: [US, GB]", "phone_regions: [US, GB, IE]"}, []string{"down filter-regions-added"}},
		{"allow pattern added", []string{"allow_patterns: ['ACME-[0-9]+']", "allow_patterns: ['ACME-[0-9]+', 'X[0-9]+']"}, []string{"up filter-allow-added"}},
		{"allow pattern removed", []string{"  allow_patterns: ['ACME-[0-9]+']\n", ""}, []string{"down filter-allow-removed"}},
		{"tier lowered", []string{"min_tier: 2", "min_tier: 1"}, []string{"up tier-lowered"}},
		{"tier raised", []string{"min_tier: 2", "min_tier: 3"}, []string{"down tier-raised"}},
		{"mfa dropped", []string{"mfa: true", "mfa: false"}, []string{"up mfa-dropped"}},
		{"mfa line removed", []string{"      mfa: true\n", ""}, []string{"up mfa-dropped"}},
		{"countries widened", []string{"countries: [GB, IE]", "countries: [GB, IE, US]"}, []string{"up countries-widened"}},
		{"countries narrowed", []string{"countries: [GB, IE]", "countries: [GB]"}, []string{"down countries-narrowed"}},
		{"countries swapped", []string{"countries: [GB, IE]", "countries: [GB, FR]"}, []string{"up countries-widened", "down countries-narrowed"}},
		{"countries removed", []string{"      countries: [GB, IE]\n", ""}, []string{"up countries-removed"}},
		{"networks widened", []string{"networks: [198.51.100.0/24]", "networks: [198.51.100.0/23]"}, []string{"up networks-widened"}},
		{"networks narrowed", []string{"networks: [198.51.100.0/24]", "networks: [198.51.100.0/25]"}, []string{"down networks-narrowed"}},
		{"networks added one", []string{"networks: [198.51.100.0/24]", "networks: [198.51.100.0/24, 2001:db8::/32]"}, []string{"up networks-widened"}},
		{"networks removed", []string{"      networks: [198.51.100.0/24]\n", ""}, []string{"up networks-removed"}},
		{"inquiry added", []string{"  other:\n", "  other2:\n"}, []string{"down inquiry-removed", "up inquiry-added"}},
		{"operation renamed", []string{"      find:\n", "      find2:\n"}, []string{"down operation-removed", "up operation-added"}},
		{"read to search", []string{"action: read\n        resource: order\n        params:\n          id: {type: string, required: true, pattern", "action: search\n        resource: order\n        params:\n          id: {type: string, required: true, pattern"}, []string{"up action-changed"}},
		{"search to read", []string{"action: search", "action: read", "        limit: 10\n", ""}, []string{"down action-changed"}},
		{"resource changed", []string{"resource: order\n        limit", "resource: customer\n        limit"}, []string{"up resource-changed"}},
		{"limit raised", []string{"limit: 10", "limit: 50"}, []string{"up limit-raised"}},
		{"limit lowered", []string{"limit: 10", "limit: 5"}, []string{"down limit-lowered"}},
		{"limit removed", []string{"        limit: 10\n", ""}, []string{"up limit-raised"}},
		{"field added", []string{"          status: keep\n          email", "          status: keep\n          total: keep\n          email"}, []string{"up field-added"}},
		{"field removed", []string{"          phone: {mask: last2}\n", ""}, []string{"down field-removed"}},
		{"tokenize to keep", []string{"email: {tokenize: EMAIL}", "email: keep"}, []string{"up field-weakened"}},
		{"keep to tokenize", []string{"          status: keep\n          email", "          status: {tokenize: EMAIL}\n          email"}, []string{"down field-strengthened"}},
		{"redact to hash", []string{"ssn: redact", "ssn: {hash: SSN}"}, []string{"up field-weakened"}},
		{"hash to redact", []string{"card: {hash: CARD}", "card: redact"}, []string{"down field-strengthened"}},
		{"mask reveals more", []string{"phone: {mask: last2}", "phone: {mask: last4}"}, []string{"up field-weakened"}},
		{"mask reveals less", []string{"phone: {mask: last2}", "phone: {mask: full}"}, []string{"down field-strengthened"}},
		{"mask to scrub is lateral", []string{"phone: {mask: last2}", "phone: scrub"}, []string{"up field-weakened"}},
		{"tokenize type changed", []string{"email: {tokenize: EMAIL}", "email: {tokenize: PHONE}"}, []string{"up field-weakened"}},
		{"tokenize to mask", []string{"email: {tokenize: EMAIL}", "email: {mask: email}"}, []string{"up field-weakened"}},
		{"input added", []string{"          note: text\n", "          note: text\n          city: text\n"}, []string{"up input-added"}},
		{"input removed", []string{"          note: text\n", ""}, []string{"down input-removed"}},
		{"enum to text", []string{"status: {enum: [open, closed]}", "status: text"}, []string{"up input-widened"}},
		{"text to token", []string{"note: text", "note: {token: ADDRESS}"}, []string{"down input-narrowed"}},
		{"enum value added", []string{"status: {enum: [open, closed]}", "status: {enum: [open, closed, pending]}"}, []string{"up input-widened"}},
		{"enum value removed", []string{"status: {enum: [open, closed]}", "status: {enum: [open]}"}, []string{"down input-narrowed"}},
		{"token type changed", []string{"address: {token: ADDRESS}", "address: {token: POSTCODE}"}, []string{"up input-widened"}},
		{"param added", []string{"          kind: {type: string, enum: [a, b]}\n", "          kind: {type: string, enum: [a, b]}\n          extra: {type: integer}\n"}, []string{"up param-added"}},
		{"param removed", []string{"          kind: {type: string, enum: [a, b]}\n", ""}, []string{"down param-removed"}},
		{"param pattern removed", []string{"id: {type: string, required: true, pattern: '[0-9]+'}", "id: {type: string, required: true}"}, []string{"up param-loosened"}},
		{"param pattern changed", []string{"pattern: '[0-9]+'", "pattern: '[0-9a-z]+'"}, []string{"up param-loosened"}},
		{"param not required", []string{"email: {type: token, pii: EMAIL, required: true}", "email: {type: token, pii: EMAIL}"}, []string{"up param-loosened"}},
		{"param now required", []string{"email: {type: token, pii: EMAIL}\n          kind", "email: {type: token, pii: EMAIL, required: true}\n          kind"}, []string{"down param-tightened"}},
		{"token param to clear", []string{"email: {type: token, pii: EMAIL}\n          kind", "email: {type: string, pii: EMAIL}\n          kind"}, []string{"up param-loosened"}},
		{"enum widened", []string{"enum: [a, b]", "enum: [a, b, c]"}, []string{"up param-loosened"}},
		{"enum dropped", []string{"kind: {type: string, enum: [a, b]}", "kind: {type: string}"}, []string{"up param-loosened"}},
		{"description only", []string{"  other:\n", "  other:\n    description: changed words\n"}, nil},
	}
	old := mustLoad(t, File{Name: "old.yaml", Data: []byte(diffBase)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := mustLoad(t, File{Name: "new.yaml", Data: []byte(mutate(t, tt.edits...))})
			changes := Diff(old, cur)
			var got []string
			for _, c := range changes {
				got = append(got, fmt.Sprintf("%s %s", c.Direction, c.Code))
				if c.Old == nil && c.New == nil {
					t.Errorf("change without any position: %+v", c)
				}
				if c.Old != nil && c.Old.File != "old.yaml" || c.New != nil && c.New.File != "new.yaml" {
					t.Errorf("positions point at the wrong files: %+v", c)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			wantUp := false
			for _, w := range tt.want {
				wantUp = wantUp || strings.HasPrefix(w, "up ")
			}
			if Grows(changes) != wantUp {
				t.Errorf("Grows = %v, want %v", Grows(changes), wantUp)
			}
		})
	}
}

func TestDiffClassesDocumented(t *testing.T) {
	known := map[string]bool{}
	for _, c := range DiffClasses() {
		known[c.Code] = true
	}
	// Every code a diff can produce is documented: run the table's
	// mutations in reverse too and check each code.
	old := mustLoad(t, File{Name: "old.yaml", Data: []byte(diffBase)})
	empty := mustLoad(t, File{Name: "e.yaml", Data: []byte(strings.Replace(diffBase, "client: acme", "client: zzz", 1))})
	for _, c := range append(Diff(old, empty), Diff(empty, old)...) {
		if !known[c.Code] {
			t.Errorf("undocumented diff code %q", c.Code)
		}
	}
}

func TestWriteDiffFormats(t *testing.T) {
	old := mustLoad(t, File{Name: "old.yaml", Data: []byte(diffBase)})
	cur := mustLoad(t, File{Name: "new.yaml", Data: []byte(strings.Replace(diffBase, "email: {tokenize: EMAIL}", "email: keep", 1))})
	changes := Diff(old, cur)
	for _, f := range Formats() {
		var b bytes.Buffer
		if err := WriteDiff(&b, changes, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		at := ":25"
		if f == FormatJSON {
			at = `"row": 25`
		}
		if !strings.Contains(out, "field-weakened") || !strings.Contains(out, "old.yaml") || !strings.Contains(out, "new.yaml") || !strings.Contains(out, at) {
			t.Errorf("%s output lacks the change or its positions:\n%s", f, out)
		}
	}
	var b bytes.Buffer
	if err := WriteDiff(&b, Diff(old, old), FormatTable); err != nil || strings.TrimSpace(b.String()) != "no exposure changes" {
		t.Errorf("empty diff: %q %v", b.String(), err)
	}
	if err := WriteDiff(&b, changes, "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
}
