package zendesk

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Zendesk's search syntax (reference §2.5) has no escape character: a
// value such as `x type:user`, `-status:closed`, `*`, `requester:*`,
// `order_by:...` or an unbalanced quote changes what a query means. So
// queries are built here, from fixed keywords, and only from values that
// passed a check of their own kind:
//
//   - ids must be decimal integers and are used as such;
//   - email values must look like an email address (no whitespace, no
//     quotes, no colon, no backslash, no parentheses...), and are then put
//     in double quotes with any quote or control character removed (a
//     second line of defence that valid emails never need);
//   - the type: keyword is always ours;
//   - every result is checked for its result_type and post-filtered
//     against the requested key by the caller.

// quoted returns v in double quotes with double quotes and control
// characters removed, so it cannot end the phrase early.
func quoted(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		if r == '"' || unicode.IsControl(r) || r == utf8.RuneError {
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// emailLocalSpecials are the characters besides letters and digits an
// unquoted email local part may hold (RFC 5322 atext, plus the dot).
const emailLocalSpecials = "!#$%&'*+-/=?^_`{|}~."

// validEmail reports whether v can be an email address in the form a
// Zendesk identity takes: local@domain with an unquoted local part and a
// dotted domain. Anything else cannot be an email, so it is rejected before
// it gets near a query. Internationalised addresses (letters beyond ASCII)
// are accepted.
func validEmail(v string) bool {
	if len(v) > 254 || !utf8.ValidString(v) || strings.Count(v, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(v, "@")
	if local == "" || len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(emailLocalSpecials, r)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(domain) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
				return false
			}
		}
	}
	return true
}

// parseID reads a Zendesk id: a positive decimal integer that fits in 64
// bits. It returns the canonical text ("0042" becomes "42").
func parseID(v string) (string, bool) {
	if v == "" || len(v) > 20 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return "", false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}

// userEmailQuery is the /users/search query for one email address:
// email:"<email>". The caller has checked validEmail.
func userEmailQuery(email string) string { return "email:" + quoted(email) }

// ticketsByRequesterQuery is the /search query for the tickets one user
// requested: type:ticket requester:<id>. The id is canonical digits.
func ticketsByRequesterQuery(userID string) string {
	return "type:ticket requester:" + userID
}
