package scopes

import (
	"strconv"
	"strings"
	"unicode"
)

// Redacted is what the redact rule puts in place of a value.
const Redacted = "[REDACTED]"

// maskFill stands for hidden characters. It has a fixed length, so a
// masked value never tells how long the original was.
const maskFill = "****"

// MaskString applies a mask option to a value. It never reveals more than
// the option says, and never the whole value: when revealing the option's
// characters would show as much as it hides (short values), everything is
// hidden. It works on runes, so multi-byte text is never cut mid-character;
// separators (spaces, dashes, dots) are not counted as revealed
// characters. An unknown option hides everything.
func MaskString(opt MaskOption, v string) string {
	switch opt {
	case MaskLast4:
		return maskLast(v, 4)
	case MaskLast2:
		return maskLast(v, 2)
	case MaskFirst1:
		return maskFirst(v, 1)
	case MaskEmail:
		return maskEmail(v)
	}
	return maskFill
}

// MaskValue masks a JSON-like value: strings and numbers through
// MaskString, true/false fully, null stays null (absence is not a secret
// the mask can keep). Lists and objects are hidden whole.
func MaskValue(opt MaskOption, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return MaskString(opt, x)
	case float64:
		return MaskString(opt, strconv.FormatFloat(x, 'f', -1, 64))
	case int:
		return MaskString(opt, strconv.Itoa(x))
	case int64:
		return MaskString(opt, strconv.FormatInt(x, 10))
	case interface{ String() string }: // json.Number
		return MaskString(opt, x.String())
	}
	return maskFill
}

// significant lists the positions of the runes that carry information:
// letters and digits.
func significant(r []rune) []int {
	var idx []int
	for i, c := range r {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			idx = append(idx, i)
		}
	}
	return idx
}

func maskLast(v string, n int) string {
	r := []rune(strings.TrimSpace(v))
	idx := significant(r)
	if len(idx) < 2*n {
		return maskFill
	}
	tail := make([]rune, 0, n)
	for _, i := range idx[len(idx)-n:] {
		tail = append(tail, r[i])
	}
	return maskFill + string(tail)
}

func maskFirst(v string, n int) string {
	r := []rune(strings.TrimSpace(v))
	idx := significant(r)
	if len(idx) < 2*n {
		return maskFill
	}
	head := make([]rune, 0, n)
	for _, i := range idx[:n] {
		head = append(head, r[i])
	}
	return string(head) + maskFill
}

// maskEmail keeps the first character of the local part and the domain:
// "jane.doe@example.com" -> "j****@example.com". Anything that is not a
// single-@ address is hidden whole.
func maskEmail(v string) string {
	v = strings.TrimSpace(v)
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || strings.Count(v, "@") != 1 || strings.ContainsAny(v, " \t\r\n") {
		return maskFill
	}
	local, domain := []rune(v[:at]), v[at+1:]
	if len(local) < 2 {
		return maskFill + "@" + domain
	}
	return string(local[0]) + maskFill + "@" + domain
}
