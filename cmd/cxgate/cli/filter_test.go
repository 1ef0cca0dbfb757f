package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/pii"
)

// filterCLI runs `cxgate filter args...` in-process on stdin and returns the
// exit code, stdout and stderr.
func filterCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), append([]string{"filter"}, args...), Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// writeKey writes a local tokenizer key file (32 bytes, base64) for seed.
func writeKey(t *testing.T, seed byte) string {
	t.Helper()
	key := bytes.Repeat([]byte{seed}, 32)
	path := filepath.Join(t.TempDir(), "dev.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFilterPlainMasksStdin(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"documented example", "Hi, Sarah here: sarah@example.com, 020 7946 0123. Order #1001.",
			"Hi, [PERSON] here: [EMAIL], [PHONE]. Order #1001."},
		{"trailing newline and lines kept", "card 4111 1111 1111 1111\nref ORD-2024-88812, $49.99\n",
			"card [CARD]\nref ORD-2024-88812, $49.99\n"},
		{"nothing to mask", "ok thanks, order #1001 arrived", "ok thanks, order #1001 arrived"},
		{"empty input", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := filterCLI(t, tc.in)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if out != tc.want {
				t.Errorf("stdout %q, want %q", out, tc.want)
			}
			if errOut != "" {
				t.Errorf("stderr %q, want nothing", errOut)
			}
		})
	}
}

type filterLine struct {
	ID       json.RawMessage `json:"id"`
	Text     string          `json:"text"`
	Findings []struct {
		Type       pii.Type `json:"type"`
		Start, End int
	} `json:"findings"`
}

func decodeLines(t *testing.T, out string) []filterLine {
	t.Helper()
	var lines []filterLine
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var fl filterLine
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fl); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		lines = append(lines, fl)
	}
	return lines
}

func TestFilterJSONLKeepsIDsOrderAndCodePointOffsets(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a-1","text":"Grüße 🙂 von Jürgen: jürgen.müller@example.de"}`,
		`{"id":42,"text":"call +1 (212) 555-0147"}`,
		``, // blank lines are skipped
		`{"text":"no PII here, order #1001","id":-7.5}`,
		`{"id":"z","text":"ünïcödé 🙂🙂 IBAN DE89 3704 0044 0532 0130 00 and sarah@example.com"}`,
	}, "\n") + "\n"
	code, out, errOut := filterCLI(t, in, "--jsonl")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	got := decodeLines(t, out)
	inputs := []struct {
		id, text string
		values   []string // TYPE=value of each finding, read back by code point
	}{
		{`"a-1"`, "Grüße 🙂 von Jürgen: jürgen.müller@example.de", []string{"PERSON=Jürgen", "EMAIL=jürgen.müller@example.de"}},
		{`42`, "call +1 (212) 555-0147", []string{"PHONE=+1 (212) 555-0147"}},
		{`-7.5`, "no PII here, order #1001", nil},
		{`"z"`, "ünïcödé 🙂🙂 IBAN DE89 3704 0044 0532 0130 00 and sarah@example.com",
			[]string{"IBAN=DE89 3704 0044 0532 0130 00", "EMAIL=sarah@example.com"}},
	}
	if len(got) != len(inputs) {
		t.Fatalf("%d output lines for %d input lines:\n%s", len(got), len(inputs), out)
	}
	for i, want := range inputs {
		g := got[i]
		if string(g.ID) != want.id {
			t.Errorf("line %d: id %s, want %s (echoed as given, same order)", i+1, g.ID, want.id)
		}
		runes := []rune(want.text)
		var values []string
		for _, f := range g.Findings {
			if f.Start < 0 || f.End > len(runes) || f.Start >= f.End {
				t.Fatalf("line %d: finding %+v outside the %d code points", i+1, f, len(runes))
			}
			values = append(values, string(f.Type)+"="+string(runes[f.Start:f.End]))
		}
		if diff := cmp.Diff(want.values, values); diff != "" {
			t.Errorf("line %d: findings by code point (-want +got):\n%s", i+1, diff)
		}
		for _, v := range want.values {
			if val := v[strings.IndexByte(v, '=')+1:]; strings.Contains(g.Text, val) {
				t.Errorf("line %d: %q left in the filtered text %q", i+1, val, g.Text)
			}
		}
	}
	if !strings.Contains(out, `"findings":[]`) {
		t.Errorf("a line without findings must carry an empty list:\n%s", out)
	}
}

func TestFilterJSONLBadLineExits2NamingTheLine(t *testing.T) {
	const secret = "sarah@example.com"
	first := `{"id":1,"text":"mail maya@example.com"}`
	for _, tc := range []struct {
		name, bad string
	}{
		{"not JSON", `{"id":2,"text":"` + secret},
		{"no text", `{"id":2,"body":"` + secret + `"}`},
		{"id not a string or number", `{"id":{"user":"` + secret + `"},"text":"hi"}`},
		{"two values", `{"id":2,"text":"hi"} {"id":3,"text":"` + secret + `"}`},
		{"text not a string", `{"id":2,"text":["` + secret + `"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := first + "\n" + tc.bad + "\n" + `{"id":3,"text":"never read"}` + "\n"
			code, out, errOut := filterCLI(t, in, "--jsonl")
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, "stdin:2:") {
				t.Errorf("stderr %q does not name line 2", errOut)
			}
			if strings.Contains(errOut, secret) || strings.Contains(errOut, tc.bad) {
				t.Errorf("stderr quotes the input: %q", errOut)
			}
			// the line before is written, complete and filtered; nothing after
			lines := decodeLines(t, out)
			if len(lines) != 1 || string(lines[0].ID) != "1" || lines[0].Text != "mail [EMAIL]" {
				t.Errorf("stdout %q, want only line 1, masked", out)
			}
			if strings.Contains(out, secret) || strings.Contains(out, "never read") {
				t.Errorf("stdout has text from the bad line or after it: %q", out)
			}
		})
	}
}

func TestFilterOversizeInputExits2(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		code, out, errOut := filterCLI(t, "mail sarah@example.com "+strings.Repeat("x", 60), "--max-input", "64")
		if code != ExitUsage {
			t.Fatalf("exit %d, want %d; stderr %q", code, ExitUsage, errOut)
		}
		if out != "" {
			t.Errorf("stdout %q: nothing may be written for an oversize input", out)
		}
		if !strings.Contains(errOut, "64 bytes") || strings.Contains(errOut, "sarah@example.com") {
			t.Errorf("stderr %q: want the limit, not the input", errOut)
		}
		// at the limit it is filtered
		in := "mail sarah@example.com " + strings.Repeat("x", 64-len("mail sarah@example.com "))
		if code, out, errOut := filterCLI(t, in, "--max-input", "64"); code != ExitOK || !strings.HasPrefix(out, "mail [EMAIL] x") {
			t.Errorf("64 bytes: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("jsonl line", func(t *testing.T) {
		long := `{"id":2,"text":"sarah@example.com ` + strings.Repeat("x", 100) + `"}`
		in := `{"id":1,"text":"hi"}` + "\n" + long + "\n"
		code, out, errOut := filterCLI(t, in, "--jsonl", "--max-input", "64")
		if code != ExitUsage {
			t.Fatalf("exit %d, want %d; stderr %q", code, ExitUsage, errOut)
		}
		if !strings.Contains(errOut, "stdin:2:") || strings.Contains(errOut, "sarah@example.com") {
			t.Errorf("stderr %q: want line 2 named, the line not quoted", errOut)
		}
		if lines := decodeLines(t, out); len(lines) != 1 || lines[0].Text != "hi" {
			t.Errorf("stdout %q, want line 1 only", out)
		}
	})
}

func TestFilterTokenizeIsStablePerKeyAndClient(t *testing.T) {
	const text = "Hi, I'm Maya Okafor: maya.okafor@example.com, +44 20 7946 0123. Order #1001."
	keyA, keyB := writeKey(t, 1), writeKey(t, 2)
	run := func(stdin, client, key string) string {
		t.Helper()
		code, out, errOut := filterCLI(t, stdin, "--mode", "tokenize", "--client", client, "--key-file", key)
		if code != ExitOK {
			t.Fatalf("tokenize (%s): exit %d, stderr %q", client, code, errOut)
		}
		if errOut != "" {
			t.Errorf("tokenize (%s): stderr %q, want nothing", client, errOut)
		}
		return out
	}
	first := run(text, "acme-retail", keyA)
	spans := pii.FindTokens(first)
	var types []pii.Type
	for _, s := range spans {
		types = append(types, s.Token.Type)
	}
	if diff := cmp.Diff([]pii.Type{pii.Person, pii.Email, pii.Phone}, types); diff != "" {
		t.Fatalf("tokens in %q (-want +got):\n%s", first, diff)
	}
	for _, v := range []string{"Maya Okafor", "maya.okafor@example.com", "7946 0123"} {
		if strings.Contains(first, v) {
			t.Errorf("%q left in %q", v, first)
		}
	}
	if !strings.HasSuffix(first, "Order #1001.") {
		t.Errorf("business identifier damaged: %q", first)
	}
	if again := run(text, "acme-retail", keyA); again != first {
		t.Errorf("same key and client, another run:\n%q\n%q", again, first)
	}
	if other := run(text, "globex-saas", keyA); other == first || tokensShared(first, other) {
		t.Errorf("another client gets the same tokens:\n%q\n%q", other, first)
	}
	if other := run(text, "acme-retail", keyB); other == first || tokensShared(first, other) {
		t.Errorf("another key gives the same tokens:\n%q\n%q", other, first)
	}
	// tokens already in the text are left alone
	if twice := run(first, "acme-retail", keyA); twice != first {
		t.Errorf("tokenizing tokenized text changed it:\n%q\n%q", twice, first)
	}
}

func tokensShared(a, b string) bool {
	seen := map[string]bool{}
	for _, s := range pii.FindTokens(a) {
		seen[a[s.Start:s.End]] = true
	}
	for _, s := range pii.FindTokens(b) {
		if seen[b[s.Start:s.End]] {
			return true
		}
	}
	return false
}

func TestFilterTokenizeUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no client", []string{"--mode", "tokenize"}},
		{"key file that does not exist", []string{"--mode", "tokenize", "--client", "acme-retail", "--key-file", filepath.Join(t.TempDir(), "missing.key")}},
		{"key file in mask mode", []string{"--key-file", "dev.key"}},
		{"unknown mode", []string{"--mode", "redact"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := filterCLI(t, "mail sarah@example.com", tc.args...); code != ExitUsage || errOut == "" {
				t.Errorf("exit %d, stderr %q; want %d and a message", code, errOut, ExitUsage)
			}
		})
	}
	// without a key file: a random key, and a warning
	code, out, errOut := filterCLI(t, "mail sarah@example.com", "--mode", "tokenize", "--client", "acme-retail")
	if code != ExitOK || len(pii.FindTokens(out)) != 1 || !strings.Contains(errOut, "random key") {
		t.Errorf("no key file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestFilterRegionsAndAllow(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		in   string
		want string
	}{
		{"default regions know GB national numbers", nil,
			"call 020 7946 0123", "call [PHONE]"},
		{"--regions US leaves a GB national number", []string{"--regions", "US"},
			"call 020 7946 0123", "call 020 7946 0123"},
		{"--regions US,GB finds it", []string{"--regions", "US,GB"},
			"call 020 7946 0123", "call [PHONE]"},
		{"+44 is found whatever the regions", []string{"--regions", "US"},
			"call +44 20 7946 0123", "call [PHONE]"},
		{"--regions US finds US national numbers", []string{"--regions", "US"},
			"call (212) 555-0147", "call [PHONE]"},
		{"--allow keeps the client's own number", []string{"--allow", `020 7946 0000`},
			"Our hotline is 020 7946 0000, my mobile is 07700 900123.", "Our hotline is 020 7946 0000, my mobile is [PHONE]."},
		{"without --allow both are masked", nil,
			"Our hotline is 020 7946 0000, my mobile is 07700 900123.", "Our hotline is [PHONE], my mobile is [PHONE]."},
		{"--allow is repeatable", []string{"--allow", `020 7946 0000`, "--allow", `203\.0\.113\.[0-9]+`},
			"kiosk 203.0.113.7 calls 020 7946 0000", "kiosk 203.0.113.7 calls 020 7946 0000"},
		{"--types limits detection", []string{"--types", "EMAIL"},
			"Sarah: sarah@example.com, 020 7946 0123", "Sarah: [EMAIL], 020 7946 0123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := filterCLI(t, tc.in, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if out != tc.want {
				t.Errorf("stdout %q, want %q", out, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"unknown region (UK is GB)", []string{"--regions", "UK"}},
		{"allow pattern that is not RE2", []string{"--allow", `(?<=ACME)-[0-9]+`}},
		{"unknown type", []string{"--types", "NAME"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, out, errOut := filterCLI(t, "call 020 7946 0123", tc.args...); code != ExitUsage || out != "" || errOut == "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, no output, a message", code, out, errOut, ExitUsage)
			}
		})
	}
}
