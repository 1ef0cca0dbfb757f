package connectors

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckBaseURL checks a connection's base_url: the root of an https host
// (no credentials, path, query or fragment), or plain http on a loopback
// host for the sandboxes. It returns the normalised scheme://host, or a
// message for a Problem on base_url; example shows the vendor's form
// ("https://acme.myshopify.com").
func CheckBaseURL(raw, example string) (string, string) {
	if strings.TrimSpace(raw) == "" {
		return "", "required, e.g. " + example
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "must be an absolute URL such as " + example
	}
	switch {
	case u.User != nil:
		return "", "must not carry credentials; use credentials:"
	case u.RawQuery != "" || u.Fragment != "":
		return "", "must not have a query or fragment"
	case u.Path != "" && u.Path != "/":
		return "", "must be the host's root (no path): cxgate adds the API path itself"
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", "must use https (plain http is allowed only for a loopback sandbox)"
		}
	default:
		return "", "must use https"
	}
	return u.Scheme + "://" + u.Host, ""
}

// ConfigError joins a connection's configuration problems into one error
// of kind ErrInvalid, for a Factory's Open.
func ConfigError(typ, name string, probs []Problem) error {
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Key + ": " + p.Message
	}
	return fmt.Errorf("%s connection %q: %s: %w", typ, name, strings.Join(msgs, "; "), ErrInvalid)
}
