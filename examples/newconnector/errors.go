package newconnector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// codeRe: only a well-formed vendor error code may enter our messages;
// the vendor's message text never does (it can quote values).
var codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// apiErr maps a Hearth error response to exactly one kind.
func apiErr(op string, resp *resty.Response) error {
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(resp.Body(), &body)
	label := fmt.Sprintf("HTTP %d", resp.StatusCode())
	if codeRe.MatchString(body.Error.Code) {
		label += " " + body.Error.Code
	}
	switch resp.StatusCode() {
	case http.StatusTooManyRequests:
		return fmt.Errorf("hearth %s: %w", op, &connectors.RateLimitError{RetryAfter: connectors.RetryAfterOf(resp, time.Now()), Detail: label})
	}
	return fmt.Errorf("hearth %s: %s: %w", op, label, connectors.KindForStatus(resp.StatusCode()))
}
