package pii

import (
	"fmt"
	"strings"
)

// Type is a PII type. The zero value is not a valid type.
type Type string

// The PII types, one vocabulary everywhere.
const (
	Email    Type = "EMAIL"
	Phone    Type = "PHONE"
	Card     Type = "CARD"
	IBAN     Type = "IBAN"
	Account  Type = "ACCOUNT"
	SSN      Type = "SSN"
	NINO     Type = "NINO"
	IP       Type = "IP"
	Postcode Type = "POSTCODE"
	Address  Type = "ADDRESS"
	DOB      Type = "DOB"
	Person   Type = "PERSON"
	Secret   Type = "SECRET"
)

// Types lists every PII type in a fixed order.
var types = [...]Type{Email, Phone, Card, IBAN, Account, SSN, NINO, IP, Postcode, Address, DOB, Person, Secret}

// All returns every PII type in a fixed order (a fresh slice each call).
func All() []Type { s := types; return s[:] }

// Valid reports whether t is one of the PII types.
func (t Type) Valid() bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// Slug is the lower-case form used inside tokens ("email").
func (t Type) Slug() string { return strings.ToLower(string(t)) }

// Parse reads a PII type, case-insensitively ("email" and "EMAIL" both work).
func Parse(s string) (Type, error) {
	t := Type(strings.ToUpper(strings.TrimSpace(s)))
	if !t.Valid() {
		return "", fmt.Errorf("unknown PII type %q (want one of %s)", s, Names())
	}
	return t, nil
}

// Names is the list of types for messages: "EMAIL, PHONE, ...".
func Names() string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = string(t)
	}
	return strings.Join(parts, ", ")
}

// Item is one value of a known PII type, the unit a tokenizer works on.
// Its LogValue never shows the value.
type Item struct {
	Type  Type
	Value string
}
