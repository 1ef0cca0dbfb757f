package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Each line is the record's JSON with one more member appended last:
//
//	{...,"prev":"<hex>","hash":"<hex>"}
//
// hash covers the exact bytes of the line up to (not including) the
// `,"hash":` member, with a closing brace: so verification needs no
// re-encoding and survives fields added by later versions.
const hashSuffixLen = len(`,"hash":"`) + 64 + len(`"}`)

// chain computes line hashes, keyed (HMAC-SHA256) or not (SHA-256).
type chain struct{ key []byte }

func (c chain) sum(payload []byte) string {
	var h hash.Hash
	if len(c.key) > 0 {
		h = hmac.New(sha256.New, c.key)
	} else {
		h = sha256.New()
	}
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// seal encodes rec (with rec.Prev set) as one line ending in "\n".
func (c chain) seal(rec *Record) ([]byte, string, error) {
	payload, err := json.Marshal(rec)
	if err != nil {
		return nil, "", fmt.Errorf("encode audit record: %w", err)
	}
	sum := c.sum(payload)
	line := make([]byte, 0, len(payload)+hashSuffixLen+1)
	line = append(line, payload[:len(payload)-1]...)
	line = append(line, `,"hash":"`...)
	line = append(line, sum...)
	line = append(line, "\"}\n"...)
	return line, sum, nil
}

// open checks one line and returns its record and hash.
func (c chain) open(line []byte) (Record, string, error) {
	var rec Record
	if len(line) < hashSuffixLen+2 || !bytes.HasSuffix(line, []byte(`"}`)) {
		return rec, "", errors.New("line is not a sealed audit record")
	}
	cut := len(line) - hashSuffixLen
	if !bytes.HasPrefix(line[cut:], []byte(`,"hash":"`)) {
		return rec, "", errors.New("line has no hash as its last member")
	}
	got := string(line[cut+len(`,"hash":"`) : len(line)-2])
	payload := append(append([]byte(nil), line[:cut]...), '}')
	if err := json.Unmarshal(payload, &rec); err != nil {
		return rec, "", errors.New("record is not valid JSON")
	}
	want := c.sum(payload)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return rec, "", errors.New("hash does not match the record's content")
	}
	return rec, got, nil
}

// BrokenError names the first record where the chain breaks.
type BrokenError struct {
	Line   int    // 1-based line number
	Seq    uint64 // the record's seq, when it could be read
	Reason string
}

func (e *BrokenError) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("line %d (record seq %d): %s", e.Line, e.Seq, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// Summary describes a verified log.
type Summary struct {
	Records  int
	LastSeq  uint64
	LastHash string
}

// maxLine bounds one record; real records are a few KiB.
const maxLine = 4 << 20

// Verify reads a log and checks every line's hash, the links between lines
// and the sequence numbers. The first problem is returned as *BrokenError.
// key must be the one the log was written with (nil for an unkeyed log).
func Verify(r io.Reader, key []byte) (Summary, error) {
	c := chain{key: key}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var s Summary
	line := 0
	for sc.Scan() {
		line++
		rec, sum, err := c.open(sc.Bytes())
		if err != nil {
			return s, &BrokenError{Line: line, Seq: rec.Seq, Reason: err.Error()}
		}
		if rec.Prev != s.LastHash {
			return s, &BrokenError{Line: line, Seq: rec.Seq, Reason: "prev does not match the hash of the record before it (a record was removed, inserted or reordered)"}
		}
		if rec.Seq != s.LastSeq+1 {
			return s, &BrokenError{Line: line, Seq: rec.Seq, Reason: fmt.Sprintf("seq %d follows seq %d", rec.Seq, s.LastSeq)}
		}
		s.Records++
		s.LastSeq, s.LastHash = rec.Seq, sum
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return s, &BrokenError{Line: line + 1, Reason: "line longer than any audit record"}
		}
		return s, fmt.Errorf("read audit log: %w", err)
	}
	return s, nil
}
