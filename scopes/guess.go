package scopes

import (
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// DefaultMask is what a bare `mask` means for a field of PII type t.
func DefaultMask(t pii.Type) MaskOption {
	switch t {
	case pii.Card, pii.Account, pii.IBAN:
		return MaskLast4
	case pii.Phone:
		return MaskLast2
	case pii.Email:
		return MaskEmail
	case pii.Person:
		return MaskFirst1
	}
	return MaskFull
}

// guessPII guesses a PII type from a field or param name ("email",
// "MobilePhone", "shipping_address.zip"). It is a hint for messages and
// lint only: the loader never applies a guessed type silently.
func guessPII(name string) pii.Type {
	n := strings.ToLower(strings.ReplaceAll(name, "[]", ""))
	parent := ""
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		parent = n[:i]
		if j := strings.LastIndexByte(parent, '.'); j >= 0 {
			parent = parent[j+1:]
		}
		n = n[i+1:]
	}
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(n, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("email", "e_mail", "mail_address"):
		return pii.Email
	case has("phone", "mobile", "msisdn", "fax"):
		return pii.Phone
	case has("iban"):
		return pii.IBAN
	case has("ssn", "social_security"):
		return pii.SSN
	case has("nino", "national_insurance"):
		return pii.NINO
	case has("card_number", "cardnumber") || n == "card" || n == "pan":
		return pii.Card
	case has("postcode", "postal_code", "postalcode", "zip"):
		return pii.Postcode
	case has("ip_address", "ipaddress", "remote_ip", "client_ip") || n == "ip":
		return pii.IP
	case has("address", "street"):
		return pii.Address
	case has("birth", "dob"):
		return pii.DOB
	case has("sort_code", "routing_number", "bank_account"):
		return pii.Account
	case has("password", "secret", "api_key", "apikey"):
		return pii.Secret
	case has("first_name", "firstname", "last_name", "lastname", "full_name", "fullname", "middle_name", "given_name", "family_name", "surname", "suppliedname"):
		return pii.Person
	case n == "name" && personParent(parent):
		// A bare top-level "name" is often a record's title (a Shopify
		// order name, an account name); only people's names are flagged.
		return pii.Person
	}
	return ""
}

func personParent(p string) bool {
	switch p {
	case "customer", "contact", "user", "requester", "assignee", "shipping_address", "billing_address",
		"default_address", "recipient", "person", "owner", "submitter", "author":
		return true
	}
	return false
}
