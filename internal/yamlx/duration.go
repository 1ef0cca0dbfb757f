package yamlx

import (
	"errors"
	"math"
	"time"
)

// Day and Week are the calendar units scope files use for retention.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// DurationPattern is the JSON Schema pattern of a duration.
const DurationPattern = `^([0-9]+(ms|s|m|h|d|w))+$`

// ParseDuration reads durations such as "10s", "30d", "2w", "1h30m": one or
// more whole numbers, each followed by a unit ms, s, m, h, d (24 hours) or w
// (7 days). Fractions and signs are not accepted: reviewers should not have
// to compute what "1.5d" means.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	i := 0
	for i < len(s) {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0, errors.New("expected a whole number followed by a unit (ms, s, m, h, d or w), for example 30d or 10s")
		}
		var n int64
		for _, c := range s[start:i] {
			if n > (math.MaxInt64-9)/10 {
				return 0, errors.New("duration is too long")
			}
			n = n*10 + int64(c-'0')
		}
		ustart := i
		for i < len(s) && (s[i] < '0' || s[i] > '9') {
			i++
		}
		var unit time.Duration
		switch s[ustart:i] {
		case "ms":
			unit = time.Millisecond
		case "s":
			unit = time.Second
		case "m":
			unit = time.Minute
		case "h":
			unit = time.Hour
		case "d":
			unit = Day
		case "w":
			unit = Week
		case "":
			return 0, errors.New("missing unit: add ms, s, m, h, d or w (for example 30d)")
		default:
			return 0, errors.New("unknown unit " + quote(s[ustart:i]) + ": use ms, s, m, h, d or w")
		}
		if n > int64(math.MaxInt64/unit) {
			return 0, errors.New("duration is too long")
		}
		part := time.Duration(n) * unit
		if total > math.MaxInt64-part {
			return 0, errors.New("duration is too long")
		}
		total += part
	}
	return total, nil
}

// FormatDuration writes d in the largest unit that divides it ("30d",
// "2w", "90s"), or a sum of units ("1d12h"), the inverse of ParseDuration
// for display.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	type unit struct {
		s string
		d time.Duration
	}
	units := []unit{{"w", Week}, {"d", Day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
	for _, u := range units[:4] {
		if d%u.d == 0 {
			return itoa(int64(d/u.d)) + u.s
		}
	}
	out := ""
	rest := d
	for _, u := range units[1:] {
		if rest >= u.d {
			n := rest / u.d
			out += itoa(int64(n)) + u.s
			rest -= n * u.d
		}
	}
	if rest > 0 {
		return d.String()
	}
	return out
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
