package zendesk

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// Zendesk error bodies come as {"error":"RecordNotFound","description":..},
// {"error":"Couldn't authenticate you"}, {"errors":[{"code":..,"title":..}]},
// RecordInvalid with "details", OAuth's {"error":"invalid_client",..} or
// plain text. Error messages name the operation, the status and at most an
// identifier-like code from the body; never the description, a detail
// text or anything else the body says (it may echo customer data).

// codeRE is what a vendor error code looks like; anything else (a
// sentence, a value) is not repeated.
var codeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,39}$`)

type errorBody struct {
	Error   json.RawMessage          `json:"error"`
	Errors  []struct{ Code string }  `json:"errors"`
	Details map[string][]errorDetail `json:"details"`
}

type errorDetail struct {
	Error string `json:"error"`
}

// parseErrorBody returns the identifier-like code of an error body and, for
// RecordInvalid, "field: Code" pairs (field names and codes only). A body
// that is not JSON (text/plain 429s) gives nothing.
func parseErrorBody(resp *resty.Response) (code string, details []string) {
	ct := resp.Header().Get("Content-Type")
	body := resp.Body()
	if len(body) == 0 || (ct != "" && !strings.Contains(ct, "json")) {
		return "", nil
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", nil
	}
	var s string
	if json.Unmarshal(eb.Error, &s) == nil && codeRE.MatchString(s) {
		code = s
	}
	if code == "" && len(eb.Errors) > 0 && codeRE.MatchString(eb.Errors[0].Code) {
		code = eb.Errors[0].Code
	}
	for k, ds := range eb.Details {
		if !codeRE.MatchString(k) {
			continue
		}
		for _, d := range ds {
			if codeRE.MatchString(d.Error) {
				details = append(details, k+": "+d.Error)
			}
		}
	}
	sort.Strings(details)
	return code, details
}

// apiError maps a non-2xx API response to one error kind.
func (c *Connector) apiError(op string, resp *resty.Response) error {
	status := resp.StatusCode()
	code, details := parseErrorBody(resp)
	label := fmt.Sprintf("%d", status)
	if code != "" {
		label += " " + code
	}
	if len(details) > 0 {
		label += " (" + strings.Join(details, ", ") + ")"
	}
	switch {
	case status == http.StatusTooManyRequests:
		wait := connectors.RetryAfterOf(resp, c.now())
		if wait <= 0 {
			// Zendesk always sends Retry-After; if it did not, the
			// per-minute window is the longest we could need to wait.
			wait = time.Minute
		}
		c.budget.pause(c.now(), wait)
		return &connectors.RateLimitError{RetryAfter: wait, Detail: "zendesk " + op + ": 429"}
	case status == http.StatusNotFound && code == "InvalidEndpoint":
		// Not a missing record: the URL is wrong (base_url?).
		return fmt.Errorf("zendesk %s: %s: endpoint not found (check base_url): %w", op, label, connectors.ErrUpstream)
	case status == http.StatusConflict:
		return fmt.Errorf("zendesk %s: %s: the record changed concurrently: %w", op, label, connectors.ErrUnavailable)
	}
	return fmt.Errorf("zendesk %s: %s: %w", op, label, connectors.KindForStatus(status))
}

// tokenError maps a non-2xx answer of the token endpoint. Rejected client
// credentials or grants are ErrUnauthorized, so the token cache asks the
// secret source once for fresh credentials; a refused scope or grant type
// is a configuration problem fresh credentials cannot fix.
func (c *Connector) tokenError(resp *resty.Response) error {
	status := resp.StatusCode()
	code, _ := parseErrorBody(resp)
	label := fmt.Sprintf("%d", status)
	if code != "" {
		label += " " + code
	}
	switch {
	case status == http.StatusTooManyRequests:
		wait := connectors.RetryAfterOf(resp, c.now())
		if wait <= 0 {
			wait = time.Minute
		}
		return &connectors.RateLimitError{RetryAfter: wait, Detail: "zendesk token endpoint: 429"}
	case code == "invalid_scope" || code == "unsupported_grant_type":
		return fmt.Errorf("zendesk token endpoint: %s (check the OAuth client's kind and options.scope): %w", label, connectors.ErrForbidden)
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("zendesk token endpoint: %s: %w", label, connectors.ErrUnauthorized)
	}
	return fmt.Errorf("zendesk token endpoint: %s: %w", label, connectors.KindForStatus(status))
}
