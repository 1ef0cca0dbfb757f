package zendesk_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

// rig is a sandbox behind a real loopback server, with a bearer token.
type rig struct {
	t     *testing.T
	sb    *zendesk.Server
	srv   *httptest.Server
	token string
}

func newRig(t *testing.T, opts zendesk.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	sb, err := zendesk.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var h http.Handler = sb
	if wrap != nil {
		h = wrap(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	return &rig{t: t, sb: sb, srv: srv}
}

// answer is one HTTP exchange's result.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (a answer) str(path ...string) string {
	v := a.at(path...)
	s, _ := v.(string)
	return s
}

func (a answer) at(path ...string) any {
	var v any = a.body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (a answer) list(key string) []map[string]any {
	arr, _ := a.body[key].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// send makes a request; authz "" means the rig's bearer token (fetched on
// first use), "-" means none.
func (r *rig) send(method, path string, body any, authz string) answer {
	r.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, r.srv.URL+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch authz {
	case "":
		req.Header.Set("Authorization", "Bearer "+r.bearer())
	case "-":
	default:
		req.Header.Set("Authorization", authz)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&a.body)
	}
	return a
}

func (r *rig) get(path string) answer { return r.send(http.MethodGet, path, nil, "") }

func (r *rig) bearer() string {
	r.t.Helper()
	if r.token == "" {
		c := r.sb.Credentials()
		a := r.send(http.MethodPost, "/oauth/tokens", map[string]any{
			"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"], "scope": "read write",
		}, "-")
		if a.status != http.StatusOK {
			r.t.Fatalf("token: %d %s", a.status, a.raw)
		}
		r.token = a.str("access_token")
	}
	return r.token
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func (r *rig) expect(a answer, status int) {
	r.t.Helper()
	if a.status != status {
		r.t.Fatalf("status %d, want %d; body %s", a.status, status, a.raw)
	}
}
