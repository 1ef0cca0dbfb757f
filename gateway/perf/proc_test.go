package perf

import (
	"testing"
)

func TestParseStatm(t *testing.T) {
	cases := []struct {
		name, in string
		want     int64
		ok       bool
	}{
		{"typical", "186171 6863 3140 1203 0 52330 0\n", 6863, true},
		{"two fields", "10 7", 7, true},
		{"one field", "10\n", 0, false},
		{"empty", "", 0, false},
		{"not a number", "10 x 3", 0, false},
		{"negative", "10 -3 3", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatm(c.in)
			if (err == nil) != c.ok || got != c.want {
				t.Errorf("parseStatm(%q) = %d, %v", c.in, got, err)
			}
		})
	}
}
