package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// apiError is one element of Salesforce's REST error array.
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// defaultLimitWait is the RetryAfter of a REQUEST_LIMIT_EXCEEDED answer:
// Salesforce names no wait, and its allowance is a rolling 24 h window, so
// capacity returns gradually; half a minute keeps experts from hammering.
const defaultLimitWait = 30 * time.Second

// codeRe is what an error code may look like before it goes into an error
// message: the code is upstream text, so anything else is dropped.
var (
	codeRe      = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)
	oauthCodeRe = regexp.MustCompile(`^[a-z_]{1,64}$`)
)

func firstError(body []byte) apiError {
	var errs []apiError
	if json.Unmarshal(body, &errs) == nil && len(errs) > 0 {
		return errs[0]
	}
	var one apiError // a few endpoints answer with a bare object
	json.Unmarshal(body, &one)
	return one
}

// apiErr maps a REST error response to a kind. The message names the
// operation, the status and Salesforce's error code only: never the
// message text (it quotes queries and values).
func apiErr(op string, resp *resty.Response, now time.Time) error {
	status := resp.StatusCode()
	e := firstError(resp.Body())
	code := e.ErrorCode
	if !codeRe.MatchString(code) {
		code = ""
	}
	label := fmt.Sprintf("HTTP %d", status)
	if code != "" {
		label += " " + code
	}
	var kind error
	switch {
	case status == http.StatusUnauthorized:
		kind = connectors.ErrUnauthorized
		if strings.Contains(strings.ToLower(e.Message), "not valid for use with the rest api") {
			// Session security policy: a new token gets the same answer,
			// so say so and do not refresh.
			return connectors.NoRefresh(fmt.Errorf("salesforce %s: %s (session not valid for the REST API): %w", op, label, kind))
		}
	case status == http.StatusForbidden && code == "REQUEST_LIMIT_EXCEEDED",
		status == http.StatusTooManyRequests:
		wait := connectors.RetryAfterOf(resp, now)
		if wait <= 0 {
			wait = defaultLimitWait
		}
		return fmt.Errorf("salesforce %s: %w", op, &connectors.RateLimitError{RetryAfter: wait, Detail: label})
	case status == http.StatusForbidden:
		kind = connectors.ErrForbidden
	case status == http.StatusNotFound:
		kind = connectors.ErrNotFound
	case status == http.StatusBadRequest && code == "INVALID_QUERY_LOCATOR":
		kind = connectors.ErrUnavailable // the cursor expired mid-search; a new search works
	case status == http.StatusBadRequest && code == "MALFORMED_ID":
		kind = connectors.ErrNotFound // an id Salesforce cannot read names no record
	case status == http.StatusGone:
		kind = connectors.ErrUpstream
		label += " (API version retired: set a newer api_version)"
	case status == http.StatusMultipleChoices:
		kind = connectors.ErrUpstream
	default:
		kind = connectors.KindForStatus(status)
	}
	return fmt.Errorf("salesforce %s: %s: %w", op, label, kind)
}

// tokenErr maps an OAuth token endpoint error. invalid_client and
// invalid_grant mean the credentials (or the key, or the user's approval)
// are wrong: ErrUnauthorized, so the token cache asks once for fresh
// credentials.
func tokenErr(resp *resty.Response, now time.Time) error {
	status := resp.StatusCode()
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(resp.Body(), &e)
	code := e.Error
	if !oauthCodeRe.MatchString(code) {
		code = ""
	}
	label := fmt.Sprintf("HTTP %d", status)
	if code != "" {
		label += " " + code
	}
	switch {
	case code == "invalid_client" || code == "invalid_grant" || code == "invalid_client_id" || code == "unauthorized_client":
		return fmt.Errorf("salesforce token: %s: %w", label, connectors.ErrUnauthorized)
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("salesforce token: %w", &connectors.RateLimitError{RetryAfter: connectors.RetryAfterOf(resp, now), Detail: label})
	case status >= 500:
		return fmt.Errorf("salesforce token: %s: %w", label, connectors.ErrUnavailable)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("salesforce token: %s: %w", label, connectors.ErrUnauthorized)
	}
	return fmt.Errorf("salesforce token: %s: %w", label, connectors.ErrUpstream)
}
