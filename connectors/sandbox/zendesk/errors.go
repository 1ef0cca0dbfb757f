package zendesk

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Zendesk's error bodies (reference §2.2, §2.4). The shapes and, where the
// reference pins them, the words are Zendesk's; comments mark invented
// wording.

type errDetail struct {
	Description string `json:"description"`
	Error       string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sandbox: cannot render response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]any{"error": code}
	if description != "" {
		body["description"] = description
	}
	writeJSON(w, status, body)
}

// errUnauthenticated is Zendesk's 401. Basic-auth failures carry the
// browser challenge Zendesk sends.
func errUnauthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Web Password"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Couldn't authenticate you"})
}

// errForbidden: the wording is the reference's (marked unverified there).
func errForbidden(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, "Forbidden",
		"You do not have access to this page. Please contact the account owner of this help desk for further help.")
}

func errRecordNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "RecordNotFound", "Not found")
}

func errInvalidEndpoint(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "InvalidEndpoint", "Not found")
}

func errRecordInvalid(w http.ResponseWriter, details map[string][]errDetail) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error":       "RecordInvalid",
		"description": "Record validation errors",
		"details":     details,
	})
}

// errBadRequest is used for unreadable JSON bodies and bad parameters
// (invented wording, Zendesk's error/description shape).
func errBadRequest(w http.ResponseWriter, description string) {
	writeError(w, http.StatusBadRequest, "InvalidParameter", description)
}

// errSearch is the Search API's own error shape ("invalid", "unavailable").
func errSearch(w http.ResponseWriter, status int, kind, description string) {
	writeError(w, status, kind, description)
}

// errRateLimited is the 429 Zendesk sends when the per-minute allowance is
// spent: Retry-After in whole seconds, and either a JSON body or the
// text/plain one some endpoints send.
func errRateLimited(w http.ResponseWriter, retryAfter time.Duration, textPlain bool) {
	secs := int((retryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	if textPlain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("Number of allowed API requests per minute exceeded\n"))
		return
	}
	writeError(w, http.StatusTooManyRequests, "APIRateLimitExceeded", "Number of allowed API requests per minute exceeded")
}

// errUnavailable is the server-error fault: 503 with Zendesk's search-style
// body on search endpoints and a generic one elsewhere (invented wording).
func errUnavailable(w http.ResponseWriter, search bool) {
	if search {
		errSearch(w, http.StatusServiceUnavailable, "unavailable",
			"Sorry, we could not complete your search query. Please try again in a moment.")
		return
	}
	writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The server is temporarily unable to handle the request.")
}

// OAuth token endpoint errors (RFC 6749 §5.2 shape, which Zendesk's token
// endpoint uses).
func errOAuth(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}
