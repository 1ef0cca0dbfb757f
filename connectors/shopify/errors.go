package shopify

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// Shopify's error bodies are never quoted in our errors: messages may
// repeat looked-up values. Only status codes and Shopify's machine codes
// (THROTTLED, ACCESS_DENIED, ...) are named.

// gqlErr is one entry of a GraphQL response's errors.
type gqlErr struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// throttleStatus is extensions.cost.throttleStatus.
type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// costExt is extensions.cost.
type costExt struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

// envelope is a GraphQL response.
type envelope struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlErr        `json:"errors"`
	Extensions struct {
		Cost *costExt `json:"cost"`
	} `json:"extensions"`
}

// throttleWait is the wait Shopify's documentation gives for a throttled
// query: ceil((requested - available) / restoreRate) seconds, at least one.
func throttleWait(c *costExt) time.Duration {
	if c == nil || c.ThrottleStatus.RestoreRate <= 0 {
		return time.Second
	}
	secs := math.Ceil((c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable) / c.ThrottleStatus.RestoreRate)
	if math.IsNaN(secs) || secs < 1 {
		secs = 1
	}
	if secs > 3600 {
		secs = 3600
	}
	return time.Duration(secs) * time.Second
}

var codeRE = regexp.MustCompile(`^[A-Za-z_]{1,40}$`)

// safeCode is a Shopify error code fit for an error message.
func safeCode(code string) string {
	if codeRE.MatchString(code) {
		return code
	}
	return "unnamed"
}

// graphQLError maps a GraphQL errors array to one kind. Any error fails
// the call (fail closed): partial data is never returned.
func graphQLError(op string, errs []gqlErr, cost *costExt) error {
	code := ""
	if len(errs) > 0 {
		code = errs[0].Extensions.Code
	}
	for _, e := range errs {
		if e.Extensions.Code == "THROTTLED" {
			return fmt.Errorf("%s: %w", op, &connectors.RateLimitError{RetryAfter: throttleWait(cost), Detail: "THROTTLED"})
		}
	}
	switch code {
	case "ACCESS_DENIED":
		return fmt.Errorf("%s: ACCESS_DENIED (the app lacks an access scope): %w", op, connectors.ErrForbidden)
	case "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE":
		return fmt.Errorf("%s: %s: %w", op, code, connectors.ErrUnavailable)
	case "MAX_COST_EXCEEDED":
		return fmt.Errorf("%s: MAX_COST_EXCEEDED (lower options.%s or %s): %w", op, OptLineItemsLimit, OptFulfillmentsLimit, connectors.ErrUpstream)
	}
	return fmt.Errorf("%s: GraphQL error %s (%d in all; does api_version serve every requested field?): %w",
		op, safeCode(code), len(errs), connectors.ErrUpstream)
}

// statusError maps a non-200 GraphQL endpoint answer to a kind.
func statusError(op string, resp *resty.Response, now time.Time) error {
	st := resp.StatusCode()
	switch st {
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: 401 (access token rejected): %w", op, connectors.ErrUnauthorized)
	case http.StatusPaymentRequired:
		return fmt.Errorf("%s: 402 (the shop is frozen): %w", op, connectors.ErrForbidden)
	case http.StatusForbidden:
		return fmt.Errorf("%s: 403 (missing access scope or merchant approval): %w", op, connectors.ErrForbidden)
	case http.StatusNotFound:
		return fmt.Errorf("%s: 404 (no Admin API here: check base_url and api_version): %w", op, connectors.ErrUpstream)
	case http.StatusLocked:
		return fmt.Errorf("%s: 423 (the shop is locked): %w", op, connectors.ErrForbidden)
	case http.StatusTooManyRequests:
		wait := connectors.RetryAfterOf(resp, now)
		if wait <= 0 {
			wait = time.Second
		}
		return fmt.Errorf("%s: %w", op, &connectors.RateLimitError{RetryAfter: wait, Detail: "429"})
	}
	if st >= 500 && connectors.RetryStatus(st) {
		return fmt.Errorf("%s: %d: %w", op, st, connectors.ErrUnavailable)
	}
	return fmt.Errorf("%s: unexpected status %d: %w", op, st, connectors.ErrUpstream)
}

// tokenError maps a token endpoint failure. Bad client credentials are
// ErrUnauthorized, so the token cache asks the secret source once for
// fresh ones (they may have been rotated).
func tokenError(resp *resty.Response, now time.Time) error {
	const op = "shopify token endpoint"
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(resp.Body(), &body)
	st := resp.StatusCode()
	switch {
	case body.Error == "app_not_installed":
		return fmt.Errorf("%s: app_not_installed (install the app on the shop): %w", op, connectors.ErrForbidden)
	case st == http.StatusBadRequest || st == http.StatusUnauthorized:
		code := "rejected"
		if body.Error != "" {
			code = safeCode(body.Error)
		}
		return fmt.Errorf("%s: %d %s: %w", op, st, code, connectors.ErrUnauthorized)
	case st == http.StatusForbidden:
		return fmt.Errorf("%s: 403: %w", op, connectors.ErrForbidden)
	}
	return statusError(op, resp, now)
}
