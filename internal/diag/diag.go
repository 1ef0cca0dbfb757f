package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Severity says whether a diagnostic blocks (Error) or only advises (Warning).
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText makes Severity JSON-able as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Position is a place in a file; Line and Col are 1-based. A zero Line means
// the whole file.
type Position struct {
	File string `json:"file"`
	Line int    `json:"row"`
	Col  int    `json:"col"`
}

// String is FILE:LINE:COL (FILE alone when there is no line).
func (p Position) String() string {
	if p.Line <= 0 {
		return p.File
	}
	col := p.Col
	if col <= 0 {
		col = 1
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, col)
}

// FileLine is FILE:LINE, the short form decisions and explain output use.
func (p Position) FileLine() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// IsZero reports whether the position is unset.
func (p Position) IsZero() bool { return p == Position{} }

// Less orders positions by file, line, column.
func (p Position) Less(q Position) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	Position
	Severity Severity
	Code     string
	Message  string
	// Related are the other positions a problem is about (the first
	// definition of a duplicate, the other side of a conflict). The message
	// names them too, so the one-line text form is complete on its own.
	Related []Position
}

// String is the one-line form: FILE:LINE:COL: error: MESSAGE [code].
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Position.String())
	b.WriteString(": ")
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Code != "" {
		b.WriteString(" [")
		b.WriteString(d.Code)
		b.WriteString("]")
	}
	return b.String()
}

type jsonDiag struct {
	Code     string     `json:"code"`
	Severity Severity   `json:"severity"`
	Location Position   `json:"location"`
	Message  string     `json:"message"`
	Related  []Position `json:"related,omitempty"`
}

// MarshalJSON writes {code, severity, location:{file,row,col}, message, related}.
func (d Diagnostic) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonDiag{Code: d.Code, Severity: d.Severity, Location: d.Position, Message: d.Message, Related: d.Related})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Diagnostic) UnmarshalJSON(b []byte) error {
	var j jsonDiag
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Diagnostic{Position: j.Location, Severity: j.Severity, Code: j.Code, Message: j.Message, Related: j.Related}
	return nil
}

// List collects diagnostics. The zero value is ready to use.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error at pos.
func (l *List) Errorf(pos Position, code, format string, args ...any) {
	l.Add(Diagnostic{Position: pos, Severity: Error, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning at pos.
func (l *List) Warnf(pos Position, code, format string, args ...any) {
	l.Add(Diagnostic{Position: pos, Severity: Warning, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Related appends an error at pos about another position too; the message
// gets " (other at OTHER)" style wording from the caller.
func (l *List) Related(pos Position, other Position, code, format string, args ...any) {
	l.Add(Diagnostic{Position: pos, Severity: Error, Code: code, Message: fmt.Sprintf(format, args...), Related: []Position{other}})
}

// Append adds every diagnostic of m.
func (l *List) Append(m List) { *l = append(*l, m...) }

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (l List) Count() (errors, warnings int) {
	for _, d := range l {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders by file, line, column, code, then message, and drops exact
// duplicates (two checks reaching the same conclusion say it once).
func (l *List) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Position != b.Position {
			return a.Position.Less(b.Position)
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d.Position == s[i-1].Position && d.Code == s[i-1].Code && d.Message == s[i-1].Message && d.Severity == s[i-1].Severity {
			continue
		}
		out = append(out, d)
	}
	*l = out
}

// Error makes a List usable as an error: every line, newline separated.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// WriteText writes one line per diagnostic.
func (l List) WriteText(w io.Writer) error {
	for _, d := range l {
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the list as a JSON array (never null).
func (l List) WriteJSON(w io.Writer) error {
	if l == nil {
		l = List{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l)
}
