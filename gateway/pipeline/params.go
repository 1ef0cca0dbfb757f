package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
)

// maxParamLen bounds a param's text: lookup values are ids, emails, numbers.
const maxParamLen = 512

// maxInputLen bounds a written text value (a comment, a note, an address line).
const maxInputLen = 64 << 10

// lookup is one validated param: its criterion text, or a token to swap.
type lookup struct {
	name  string
	value string // the value as text (for tokens: filled in by detokenize)
	token string // the token text for token params
	typ   pii.Type
	pii   bool // the value is PII (a token param or a param with pii:)
}

// checkParams validates params against the operation: declared names only,
// types, required, pattern and enum. Tokens are parsed and their PII type
// checked here; they are swapped later, just before the connector call.
func checkParams(op *scopes.Operation, raw map[string]json.RawMessage) ([]lookup, []ParamError) {
	var errs []ParamError
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := op.Param(name); !ok {
			errs = append(errs, ParamError{Name: safeName(name), Message: "is not a param of this operation"})
		}
	}
	var out []lookup
	for _, p := range op.Params {
		v, present := raw[p.Name]
		if !present || string(v) == "null" {
			if p.Required {
				errs = append(errs, ParamError{Name: p.Name, Message: "is required"})
			}
			continue
		}
		l, msg := checkParam(p, v)
		if msg != "" {
			errs = append(errs, ParamError{Name: p.Name, Message: msg})
			continue
		}
		out = append(out, l)
	}
	if len(errs) == 0 && len(out) == 0 {
		errs = append(errs, ParamError{Name: "params", Message: "at least one lookup param is needed"})
	}
	return out, errs
}

func checkParam(p *scopes.Param, v json.RawMessage) (lookup, string) {
	l := lookup{name: p.Name, typ: p.PII, pii: p.PII != ""}
	var text string
	switch p.Type {
	case scopes.ParamInteger:
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return l, "must be an integer"
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || i < 0 {
			f, ferr := n.Float64()
			if ferr != nil || f != math.Trunc(f) || f < 0 || f > 1<<53 {
				return l, "must be a non-negative integer"
			}
			i = int64(f)
		}
		text = strconv.FormatInt(i, 10)
	case scopes.ParamBoolean:
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return l, "must be true or false"
		}
		text = strconv.FormatBool(b)
	case scopes.ParamString, scopes.ParamToken:
		if err := json.Unmarshal(v, &text); err != nil {
			return l, "must be a string"
		}
	default:
		return l, "has a type this gateway does not know"
	}
	if !utf8.ValidString(text) {
		return l, "is not valid UTF-8"
	}
	if len(text) > maxParamLen && p.Type != scopes.ParamToken {
		return l, fmt.Sprintf("is longer than %d bytes", maxParamLen)
	}
	if strings.ContainsFunc(text, isControl) {
		return l, "contains control characters"
	}
	if p.Type == scopes.ParamToken {
		tok, err := pii.ParseToken(text)
		if err != nil || tok.Kind != pii.KindToken {
			return l, "must be a cxgate token (cxt_...)"
		}
		if tok.Type != p.PII {
			return l, fmt.Sprintf("must be a token of type %s", p.PII)
		}
		l.token, l.pii = text, true
		return l, ""
	}
	if text == "" {
		return l, "must not be empty"
	}
	if p.Pattern != nil && !p.Pattern.MatchString(text) {
		return l, "does not match the pattern the scope requires"
	}
	if len(p.Enum) > 0 && !containsString(p.Enum, text) {
		return l, "is not one of the allowed values: " + strings.Join(p.Enum, ", ")
	}
	l.value = text
	return l, ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// safeName keeps an unknown param name fit for a message: printable, short.
func safeName(s string) string {
	if len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
		return "(unprintable name)"
	}
	return s
}

// write is one validated input: the value to write, or a token to swap.
type write struct {
	in    *scopes.Input
	value any
	token string
}

// checkInputs validates an update's input: declared paths only (as flat
// "a.b" keys or nested objects), each by its kind.
func checkInputs(op *scopes.Operation, raw map[string]any) ([]write, []ParamError) {
	flat := map[string]any{}
	var errs []ParamError
	flatten("", raw, flat, &errs)
	paths := make([]string, 0, len(flat))
	for p := range flat {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []write
	for _, path := range paths {
		v := flat[path]
		in, ok := op.Input(path)
		if !ok {
			errs = append(errs, ParamError{Name: "input." + safeName(path), Message: "is not an input of this operation"})
			continue
		}
		w := write{in: in}
		name := "input." + path
		switch in.Kind {
		case scopes.InputText:
			s, ok := v.(string)
			if !ok {
				errs = append(errs, ParamError{Name: name, Message: "must be text"})
				continue
			}
			if len(s) > maxInputLen || !utf8.ValidString(s) {
				errs = append(errs, ParamError{Name: name, Message: fmt.Sprintf("must be valid UTF-8 of at most %d bytes", maxInputLen)})
				continue
			}
			w.value = s
		case scopes.InputToken:
			s, ok := v.(string)
			tok, err := pii.ParseToken(s)
			if !ok || err != nil || tok.Kind != pii.KindToken {
				errs = append(errs, ParamError{Name: name, Message: "must be a cxgate token (cxt_...)"})
				continue
			}
			if in.PII != "" && tok.Type != in.PII {
				errs = append(errs, ParamError{Name: name, Message: fmt.Sprintf("must be a token of type %s", in.PII)})
				continue
			}
			w.token = s
		case scopes.InputEnum:
			if !enumHas(in.Enum, v) {
				errs = append(errs, ParamError{Name: name, Message: "is not one of the allowed values: " + enumText(in.Enum)})
				continue
			}
			w.value = v
		default:
			errs = append(errs, ParamError{Name: name, Message: "has an input kind this gateway does not know"})
			continue
		}
		out = append(out, w)
	}
	if len(errs) == 0 && len(out) == 0 {
		errs = append(errs, ParamError{Name: "input", Message: "an update needs at least one input"})
	}
	return out, errs
}

func flatten(prefix string, m map[string]any, out map[string]any, errs *[]ParamError) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out, errs)
			continue
		}
		if _, dup := out[key]; dup {
			*errs = append(*errs, ParamError{Name: "input." + safeName(key), Message: "is given twice"})
			continue
		}
		out[key] = v
	}
}

func enumHas(enum []any, v any) bool {
	for _, e := range enum {
		if e == v {
			return true
		}
	}
	return false
}

func enumText(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = fmt.Sprint(e)
	}
	return strings.Join(parts, ", ")
}

// detokenizeMessage explains a token that could not be swapped, without
// saying anything about its content.
func detokenizeMessage(err error) string {
	switch {
	case errors.Is(err, pii.ErrExpired):
		return "token expired by the client's retention"
	default:
		return "token is not valid for this client"
	}
}
