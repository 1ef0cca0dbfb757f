package gateway

import "testing"

func TestCanonicalPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/v1/clients/acme-retail/inquiries":  true,
		"/":                                  true,
		"/v1/clients/acme-retail/inquiries/": true, // kept: no route has it, so it is a plain 404
		"/v1/clients/../inquiries":           false,
		"/v1/clients/a/../b/inquiries":       false,
		"/v1/clients/./inquiries":            false,
		"/v1/clients//inquiries":             false,
		"//v1/clients":                       false,
		"/v1/clients/..":                     false,
		"v1/clients":                         false,
		"":                                   false,
		"*":                                  false,
		"/v1/clients/%2e%2e/inquiries":       true, // escaped form: the decoded one is checked too
	} {
		if got := canonicalPath(p); got != want {
			t.Errorf("canonicalPath(%q) = %t, want %t", p, got, want)
		}
	}
}
