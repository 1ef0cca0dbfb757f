package filter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrBadLine marks a JSONL input line that is not a {"id":..,"text":".."}
// object. Errors wrapping it never quote the line (it may hold PII).
var ErrBadLine = errors.New("invalid input line")

// LineError is the failure of one JSONL line; Line counts from 1.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Apply filters one text: Filter.Mask, or a closure over Filter.Tokenize.
type Apply func(ctx context.Context, text string) (Result, error)

type jsonlIn struct {
	ID   json.RawMessage `json:"id"`
	Text *string         `json:"text"`
}

type jsonlOut struct {
	ID       json.RawMessage `json:"id"`
	Text     string          `json:"text"`
	Findings []Finding       `json:"findings"`
}

// StreamJSONL reads one {"id":..,"text":".."} object per line from in and
// writes one {"id":..,"text":"<filtered>","findings":[..]} line per input
// line to out, in the same order. The id is echoed exactly as given (a
// string or a number). Blank lines are skipped. A line longer than maxLine
// bytes fails with ErrTooLarge; malformed JSON, a missing text or an id that
// is not a string or number fails with ErrBadLine; both come as *LineError.
// Processing stops at the first failing line: lines before it have been
// written (each is complete and filtered), nothing after it is.
func StreamJSONL(ctx context.Context, in io.Reader, out io.Writer, maxLine int, apply Apply) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var buf []byte
	for line := 1; ; line++ {
		if err := ctx.Err(); err != nil {
			_ = w.Flush()
			return err
		}
		buf = buf[:0]
		tooLong := false
		var rerr error
		for {
			chunk, isPrefix, err := r.ReadLine()
			if err != nil {
				rerr = err
				break
			}
			if len(buf)+len(chunk) > maxLine {
				tooLong = true
			} else {
				buf = append(buf, chunk...)
			}
			if !isPrefix {
				break
			}
		}
		if rerr == io.EOF && len(buf) == 0 && !tooLong {
			return w.Flush()
		}
		if rerr != nil && rerr != io.EOF {
			_ = w.Flush()
			return fmt.Errorf("read line %d: %w", line, rerr)
		}
		if tooLong {
			_ = w.Flush()
			return &LineError{Line: line, Err: fmt.Errorf("%w: longer than %d bytes", ErrTooLarge, maxLine)}
		}
		if len(bytes.TrimSpace(buf)) == 0 {
			if rerr == io.EOF {
				return w.Flush()
			}
			continue
		}
		var msg jsonlIn
		dec := json.NewDecoder(bytes.NewReader(buf))
		if err := dec.Decode(&msg); err != nil {
			_ = w.Flush()
			return &LineError{Line: line, Err: fmt.Errorf("%w: not a JSON object with \"id\" and \"text\" (%s)", ErrBadLine, jsonProblem(err))}
		}
		if dec.More() {
			_ = w.Flush()
			return &LineError{Line: line, Err: fmt.Errorf("%w: more than one JSON value on the line", ErrBadLine)}
		}
		if msg.Text == nil {
			_ = w.Flush()
			return &LineError{Line: line, Err: fmt.Errorf("%w: missing \"text\"", ErrBadLine)}
		}
		if !validID(msg.ID) {
			_ = w.Flush()
			return &LineError{Line: line, Err: fmt.Errorf("%w: \"id\" must be a string or a number", ErrBadLine)}
		}
		res, err := apply(ctx, *msg.Text)
		if err != nil {
			_ = w.Flush()
			return &LineError{Line: line, Err: err}
		}
		if res.Findings == nil {
			res.Findings = []Finding{}
		}
		if err := enc.Encode(jsonlOut{ID: msg.ID, Text: res.Text, Findings: res.Findings}); err != nil {
			return fmt.Errorf("write line %d: %w", line, err)
		}
		if rerr == io.EOF {
			return w.Flush()
		}
	}
}

func validID(id json.RawMessage) bool {
	id = bytes.TrimSpace(id)
	if len(id) == 0 {
		return false
	}
	switch c := id[0]; {
	case c == '"':
		return true
	case c == '-' || c >= '0' && c <= '9':
		return true
	}
	return false
}

// jsonProblem describes a decoding error without echoing input text.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of line"
	}
	return "cannot decode"
}
