package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors/builtin"
)

func connectorsCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), append([]string{"connectors"}, args...), Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestConnectorsList(t *testing.T) {
	code, out, _ := connectorsCLI(t, "list", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got []connTypeSummary
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	reg, _ := builtin.Registry()
	var types []string
	for _, s := range got {
		types = append(types, s.Type)
		if len(s.Resources) == 0 || len(s.AuthModes) == 0 {
			t.Errorf("%s: no resources or auth modes", s.Type)
		}
	}
	if d := cmp.Diff(reg.Types(), types); d != "" {
		t.Fatalf("types (-want +got):\n%s", d)
	}
	code, out, _ = connectorsCLI(t, "list")
	if code != 0 || !strings.Contains(out, "salesforce  contact, account, case, order") || !strings.Contains(out, "client_credentials (default), jwt_bearer") {
		t.Fatalf("text list: exit %d\n%s", code, out)
	}
}

func TestConnectorsDescribe(t *testing.T) {
	code, out, _ := connectorsCLI(t, "describe", "salesforce", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var d connTypeDescription
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	reg, _ := builtin.Registry()
	f, _ := reg.Lookup("salesforce")
	if d2 := cmp.Diff(connDescribe(f.Catalog()), d); d2 != "" {
		t.Fatalf("json describe (-want +got):\n%s", d2)
	}
	var cs *connResourceJSON
	for i := range d.Resources {
		if d.Resources[i].Name == "case" {
			cs = &d.Resources[i]
		}
	}
	if cs == nil {
		t.Fatal("no case resource")
	}
	found := map[string]connFieldJSON{}
	for _, fl := range cs.Fields {
		found[fl.Path] = fl
	}
	if fl := found["Comments"]; !fl.Writable || !fl.FreeText {
		t.Errorf("Comments: %+v", fl)
	}
	if fl := found["ContactEmail"]; fl.PII != "EMAIL" || fl.Writable {
		t.Errorf("ContactEmail: %+v", fl)
	}

	code, out, _ = connectorsCLI(t, "describe", "salesforce")
	for _, want := range []string{"resource case:", "actions: read, search, update", "case_number  unique", "CaseComments[].CommentBody", "free-text", "options.login_url", "base_url"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text describe lacks %q (exit %d)", want, code)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("trailing spaces: %q", line)
			break
		}
	}
}

func TestConnectorsUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"unknown type":   {"describe", "nope"},
		"no type":        {"describe"},
		"unknown format": {"list", "--format", "yaml"},
		"extra argument": {"list", "x"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := connectorsCLI(t, args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d (%s)", code, ExitUsage, errOut)
			}
			if name == "unknown type" && !strings.Contains(errOut, "known types: salesforce, shopify, zendesk") {
				t.Fatalf("stderr %q", errOut)
			}
		})
	}
}
