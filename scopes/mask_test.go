package scopes

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cxgate/cxgate/pii"
)

func TestMaskString(t *testing.T) {
	tests := []struct {
		name string
		opt  MaskOption
		in   string
		want string
	}{
		{"card last4", MaskLast4, "4111 1111 1111 1111", "****1111"},
		{"iban last4 skips spaces", MaskLast4, "GB82 WEST 1234 5698 7654 32", "****5432"},
		{"last4 of 8 digits", MaskLast4, "12345678", "****5678"},
		{"last4 of 7 digits hides all", MaskLast4, "1234567", "****"},
		{"last4 empty", MaskLast4, "", "****"},
		{"phone last2", MaskLast2, "+1 555-0100", "****00"},
		{"phone last2 short", MaskLast2, "123", "****"},
		{"first1 name", MaskFirst1, "Jane", "J****"},
		{"first1 unicode", MaskFirst1, "Ærøskøbing", "Æ****"},
		{"first1 one letter", MaskFirst1, "J", "****"},
		{"first1 skips leading punctuation", MaskFirst1, "  'Ohara", "O****"},
		{"email", MaskEmail, "jane.doe@example.com", "j****@example.com"},
		{"email unicode local", MaskEmail, "élodie@example.org", "é****@example.org"},
		{"email one-letter local", MaskEmail, "j@example.com", "****@example.com"},
		{"email two at signs", MaskEmail, "a@b@example.com", "****"},
		{"email without at", MaskEmail, "not an email", "****"},
		{"email with spaces", MaskEmail, "jane @example.com", "****"},
		{"full", MaskFull, "anything at all", "****"},
		{"unknown option", MaskOption("last9"), "123456789012", "****"},
		{"last4 multibyte digits", MaskLast4, "٠١٢٣٤٥٦٧٨٩", "****٦٧٨٩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaskString(tt.opt, tt.in)
			if got != tt.want {
				t.Errorf("MaskString(%s, %q) = %q, want %q", tt.opt, tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8 out: %q", got)
			}
			if tt.in != "" && strings.TrimSpace(tt.in) == got {
				t.Errorf("mask revealed the whole value")
			}
		})
	}
}

// TestMaskNeverRevealsMore checks, over many inputs, that a mask shows at
// most its option's characters and never the length of the value.
func TestMaskNeverRevealsMore(t *testing.T) {
	inputs := []string{"", "a", "ab", "abcd", "abcdefgh", "4111111111111111", "+44 7700 900123", "x@y", "日本語テキスト", "\xff\xfe bad utf8 1234", "jane.doe@example.com"}
	limits := map[MaskOption]int{MaskLast4: 4, MaskLast2: 2, MaskFirst1: 1, MaskFull: 0}
	for opt, n := range limits {
		for _, in := range inputs {
			out := MaskString(opt, in)
			shown := utf8.RuneCountInString(strings.ReplaceAll(out, "*", ""))
			if shown > n {
				t.Errorf("%s(%q) = %q shows %d characters, more than %d", opt, in, out, shown, n)
			}
			if !utf8.ValidString(out) {
				t.Errorf("%s(%q) = %q is not valid UTF-8", opt, in, out)
			}
		}
	}
}

func TestMaskValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil stays nil", nil, nil},
		{"float", 4111111111111111.0, "****1111"},
		{"json number", json.Number("12345678"), "****5678"},
		{"bool hidden", true, "****"},
		{"object hidden", map[string]any{"a": "b"}, "****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskValue(MaskLast4, tt.in); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDefaultMask(t *testing.T) {
	want := map[pii.Type]MaskOption{pii.Card: MaskLast4, pii.Account: MaskLast4, pii.IBAN: MaskLast4, pii.Phone: MaskLast2,
		pii.Email: MaskEmail, pii.Person: MaskFirst1, pii.Address: MaskFull, pii.SSN: MaskFull, "": MaskFull}
	for typ, opt := range want {
		if got := DefaultMask(typ); got != opt {
			t.Errorf("DefaultMask(%q) = %s, want %s", typ, got, opt)
		}
	}
}
