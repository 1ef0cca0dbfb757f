package gateway

import (
	"net/http"
	"path"
	"strings"

	"github.com/cxgate/cxgate/internal/logging"
)

// canonicalOnly answers requests whose path is not in canonical form (a
// "." or ".." segment, an empty segment from "//"), decoded or as sent,
// with a not_found problem. http.ServeMux would redirect them to the
// cleaned path, and that path can name another client, inquiry or
// operation than the one in the request (/v1/clients/a/../b/...), with a
// 307 a client follows with its credentials and body. No route of the API
// has such a path, so nothing honest is refused.
func canonicalOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect && (!canonicalPath(r.URL.Path) || !canonicalPath(r.URL.EscapedPath())) {
			p := NewProblem(CodeNotFound, "no such endpoint; see /openapi.json")
			p.RequestID = logging.RequestID(r.Context())
			WriteProblem(w, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// canonicalPath reports whether p is absolute and already clean (a
// trailing slash is kept, as ServeMux keeps it).
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}
