package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var devRunningRe = regexp.MustCompile(`cxgate dev is running at (http://127\.0\.0\.1:\d+)`)

// TestDevTokensFileAndGuide runs `cxgate dev --addr 127.0.0.1:0
// --tokens-file F` in-process: F gets the contract's JSON shape with mode
// 0600 (also when it existed before with wider permissions), and every
// curl line of the printed guide, pasted as printed, gets the answer its
// title promises from the running gateway.
func TestDevTokensFileAndGuide(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	writeText(t, tokens, "stale")
	if err := os.Chmod(tokens, 0o644); err != nil {
		t.Fatal(err)
	}
	r := startCLI(t, "dev", "--addr", "127.0.0.1:0", "--tokens-file", tokens)
	base := r.waitFor(t, r.stdout, devRunningRe)
	r.waitFor(t, r.stdout, regexp.MustCompile(`(Stop with Ctrl-C\.)`))

	fi, err := os.Stat(tokens)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(tokens)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Experts []struct {
			Name    string   `json:"name"`
			Tier    *int     `json:"tier"`
			MFA     *bool    `json:"mfa"`
			Country *string  `json:"country"`
			Clients []string `json:"clients"`
			Token   string   `json:"token"`
		} `json:"experts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("tokens file %s: %v", b, err)
	}
	if len(doc.Experts) < 4 {
		t.Fatalf("%d experts", len(doc.Experts))
	}
	for _, x := range doc.Experts {
		if x.Name == "" || x.Tier == nil || x.MFA == nil || x.Country == nil || len(x.Clients) == 0 || strings.Count(x.Token, ".") != 2 {
			t.Fatalf("entry %+v lacks a contract member", x)
		}
		if !strings.Contains(r.stdout.String(), x.Name) {
			t.Errorf("the guide does not list %s", x.Name)
		}
		// Each token is accepted by the running gateway.
		if st, body := httpDo(t, "GET", base+"/v1/clients/"+x.Clients[0]+"/inquiries", x.Token, ""); st != 200 {
			t.Errorf("%s: %d %s", x.Name, st, body)
		}
	}

	ran := 0
	lines := strings.Split(r.stdout.String(), "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		title := ""
		if i > 0 && strings.HasPrefix(lines[i-1], "# ") {
			title = strings.TrimPrefix(lines[i-1], "# ")
		}
		st, body := pasteCurl(t, line)
		want := http.StatusOK
		code := ""
		for _, c := range []string{"forbidden", "tier_too_low", "mfa_required", "location_denied"} {
			if strings.Contains(title, c) {
				want, code = http.StatusForbidden, c
			}
		}
		if st != want || (code != "" && !strings.Contains(body, `"code":"`+code+`"`)) {
			t.Errorf("%s\n%s\n=> %d %s", title, line, st, body)
		}
		ran++
	}
	if ran < 8 {
		t.Fatalf("the guide printed %d curl lines", ran)
	}
	if code := r.stop(t); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, r.stderr)
	}
}

// pasteCurl runs a printed curl line: split as a shell would (the guide
// uses single quotes only), then -H, -d and the URL.
func pasteCurl(t *testing.T, line string) (int, string) {
	t.Helper()
	var words []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated quote in %s", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			in = true
		case '\\':
			i++
			cur.WriteByte(line[i])
			in = true
		case ' ':
			if in {
				words, in = append(words, cur.String()), false
				cur.Reset()
			}
		case '"', '$', '`':
			t.Fatalf("the guide's line needs a shell feature (%c): %s", c, line)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	var url, data string
	var headers [][2]string
	for i := 1; i < len(words); i++ {
		switch words[i] {
		case "-s":
		case "-H":
			i++
			k, v, _ := strings.Cut(words[i], ":")
			headers = append(headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "-d":
			i++
			data = words[i]
		default:
			url = words[i]
		}
	}
	method := "GET"
	var body io.Reader
	if data != "" {
		method = "POST"
		body = strings.NewReader(data)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
