package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// specsDir returns $CXGATE_SPECS_DIR or skips: the vendor fixtures are
// never copied into the repo.
func specsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CXGATE_SPECS_DIR")
	if dir == "" {
		t.Skip("CXGATE_SPECS_DIR is not set: skipping the comparison with the restforce fixtures (CI sets it to ../shared/specs)")
	}
	return filepath.Join(dir, "restforce-fixtures")
}

// structural keys: the envelope Salesforce clients rely on. Record fields
// differ between the fixtures' custom object and our standard objects, so
// they are compared only through these keys and through nested records.
var structural = map[string]bool{
	"totalSize": true, "done": true, "nextRecordsUrl": true, "records": true, "attributes": true, "type": true,
	"url": true, "message": true, "errorCode": true, "id": true, "errors": true, "success": true, "version": true,
	"label": true, "error": true, "error_description": true, "access_token": true, "instance_url": true,
	"issued_at": true, "signature": true,
}

// skeleton keeps a JSON value's structure: structural keys with the JSON
// type of their values; a nested record (an object with attributes) under
// the placeholder key "<parent>", a nested query result under "<child>".
func skeleton(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			switch {
			case structural[k]:
				out[k] = skeleton(e)
			case isRecord(e):
				out["<parent>"] = skeleton(e)
			case isQueryResult(e):
				out["<child>"] = skeleton(e)
			}
		}
		return out
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		return []any{skeleton(v[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func isRecord(v any) bool {
	m, ok := v.(map[string]any)
	_, has := m["attributes"]
	return ok && has
}

func isQueryResult(v any) bool {
	m, ok := v.(map[string]any)
	_, has := m["records"]
	return ok && has
}

// covers reports the paths where want's structure is missing from got.
func covers(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": want an object"}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, covers(path+"."+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{path + ": want an array"}
		}
		if len(w) == 0 || len(g) == 0 {
			return nil
		}
		return covers(path+"[]", w[0], g[0])
	}
	if want != got {
		return []string{fmt.Sprintf("%s: %v, want %v", path, got, want)}
	}
	return nil
}

func TestShapesMatchRestforceFixtures(t *testing.T) {
	dir := specsDir(t)
	e := newEnv(t, Options{PageSize: 1})
	q := func(s string) string { return "/services/data/v66.0/query?q=" + url.QueryEscape(s) }
	cases := []struct {
		fixture string
		get     func(t *testing.T) []byte
	}{
		{"sobject/query_success_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, q("SELECT Id, IsClosed, Subject, CreatedDate, Account.Name, (SELECT CommentBody FROM CaseComments) FROM Case WHERE CaseNumber = '00001027'"), "")
			return b
		}},
		{"sobject/query_paginated_first_page_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, q("SELECT Id FROM Contact WHERE LastName LIKE 'O%'"), "")
			return b
		}},
		{"sobject/query_paginated_last_page_response.json", func(t *testing.T) []byte {
			_, first := e.do(t, http.MethodGet, q("SELECT Id FROM Contact WHERE LastName LIKE 'O%'"), "")
			var qr queryResult
			json.Unmarshal(first, &qr)
			_, b := e.do(t, http.MethodGet, qr.NextRecordsURL, "")
			return b
		}},
		{"sobject/query_empty_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, q("SELECT Id FROM Contact WHERE Email = 'nobody@example.com'"), "")
			return b
		}},
		{"sobject/query_error_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, q("SELECT Emai FROM Contact"), "")
			return b
		}},
		{"sobject/sobject_find_success_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, "/services/data/v66.0/sobjects/Contact/003RO00000Y1abcYAB", "")
			return b
		}},
		{"sobject/sobject_find_error_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, "/services/data/v66.0/sobjects/Contact/003RO00000ZZZZZYAB", "")
			return b
		}},
		{"sobject/create_success_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodPost, "/services/data/v66.0/sobjects/Case", `{"Subject":"Shape check"}`)
			return b
		}},
		{"sobject/write_error_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodPatch, "/services/data/v66.0/sobjects/Case/500RO00000AbCdEYAV", `{"foo":"x"}`)
			return b
		}},
		{"services_data_success_response.json", func(t *testing.T) []byte {
			_, b := e.do(t, http.MethodGet, "/services/data/", "")
			return b
		}},
		{"auth_success_response.json", func(t *testing.T) []byte {
			_, b := e.form(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {e.s.opts.ClientID}, "client_secret": {e.s.opts.ClientSecret}}, "")
			return b
		}},
		{"auth_error_response.json", func(t *testing.T) []byte {
			_, b := e.form(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {e.s.opts.ClientID}, "client_secret": {"wrong"}}, "")
			return b
		}},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.fixture, ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, c.fixture))
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("fixture: %v", err)
			}
			body := c.get(t)
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("sandbox answer is not JSON: %.200s", body)
			}
			if miss := covers("$", skeleton(want), skeleton(got)); len(miss) > 0 {
				t.Fatalf("sandbox shape differs from %s:\n%s\nsandbox: %.400s", c.fixture, strings.Join(miss, "\n"), body)
			}
		})
	}
}

// The comparison must be able to fail: a missing envelope key, a changed
// type, a record without attributes or a flattened child result all count.
func TestSkeletonComparisonFails(t *testing.T) {
	var fixture any
	json.Unmarshal([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"X","url":"/u"},"P__r":{"attributes":{"type":"Y"}},"C__r":{"totalSize":1,"done":true,"records":[]}}]}`), &fixture)
	bad := []string{
		`{"totalSize":"1","done":true,"records":[]}`,
		`{"done":true,"records":[{"attributes":{"type":"X","url":"/u"}}]}`,
		`{"totalSize":1,"done":true,"records":[{"type":"X"}]}`,
		`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"X","url":"/u"},"P":{"Name":"n"},"C":[]}]}`,
	}
	for _, b := range bad {
		var got any
		json.Unmarshal([]byte(b), &got)
		if len(covers("$", skeleton(fixture), skeleton(got))) == 0 {
			t.Errorf("%s passed as the fixture's shape", b)
		}
	}
}
