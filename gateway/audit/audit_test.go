package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample(i int) *Record {
	return &Record{
		RequestID: fmt.Sprintf("req-%d", i), Expert: "exp-1", Client: "acme-retail",
		Inquiry: "order_status", Operation: "get_order", Action: "read", Resource: "order",
		Fields:   []Field{{Path: "email", Rule: "tokenize"}, {Path: "name", Rule: "keep"}},
		Decision: []Reason{{Code: "allowed", Where: "examples/scopes/acme.yaml:12"}},
		Outcome:  "ok", Status: 200, LatencyMS: 1.5,
	}
}

func writeLog(t *testing.T, n int, key []byte) (string, *FileSink) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := OpenFile(FileOptions{Path: path, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := s.Write(sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	return path, s
}

func TestChainVerifies(t *testing.T) {
	for _, key := range [][]byte{nil, []byte("0123456789abcdef0123456789abcdef")} {
		path, s := writeLog(t, 5, key)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		sum, err := Verify(bytes.NewReader(data), key)
		if err != nil || sum.Records != 5 || sum.LastSeq != 5 {
			t.Fatalf("Verify = %+v, %v", sum, err)
		}
		if key != nil {
			if _, err := Verify(bytes.NewReader(data), []byte("another key of the same length!!")); err == nil {
				t.Fatal("a keyed chain verified with the wrong key")
			}
		}
	}
}

func TestTamperingIsFound(t *testing.T) {
	path, s := writeLog(t, 5, nil)
	s.Close()
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	lines[len(lines)-1] += "\n"
	join := func(ls []string) string { return strings.Join(ls, "") }
	swap := append([]string(nil), lines...)
	swap[1], swap[2] = swap[2], swap[1]
	cases := []struct {
		name     string
		log      string
		wantLine int
	}{
		{"edited field", join(lines[:2]) + strings.Replace(lines[2], `"outcome":"ok"`, `"outcome":"no"`, 1) + join(lines[3:]), 3},
		{"deleted record", join(lines[:2]) + join(lines[3:]), 3},
		{"reordered", join(swap), 2},
		{"inserted copy", join(lines[:3]) + lines[1] + join(lines[3:]), 4},
		{"garbage line", join(lines[:1]) + "{}\n" + join(lines[1:]), 2},
		{"hash removed", join(lines[:4]) + strings.Replace(lines[4], `,"hash":"`, `,"hesh":"`, 1), 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(strings.NewReader(c.log), nil)
			var be *BrokenError
			if !errors.As(err, &be) || be.Line != c.wantLine {
				t.Fatalf("Verify = %v, want broken at line %d", err, c.wantLine)
			}
		})
	}
}

func TestResumeContinuesChain(t *testing.T) {
	path, s := writeLog(t, 3, nil)
	s.Close()
	s2, err := OpenFile(FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Write(sample(9)); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	data, _ := os.ReadFile(path)
	if sum, err := Verify(bytes.NewReader(data), nil); err != nil || sum.Records != 4 {
		t.Fatalf("after resume: %+v, %v", sum, err)
	}
}

func TestPartialTailRefused(t *testing.T) {
	path, s := writeLog(t, 2, nil)
	s.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":3,"time":`)
	f.Close()
	if _, err := OpenFile(FileOptions{Path: path}); err == nil || !strings.Contains(err.Error(), "partial record") {
		t.Fatalf("OpenFile on a partial tail = %v", err)
	}
}

func TestConcurrentWritersKeepOneChain(t *testing.T) {
	path, s := writeLog(t, 0, nil)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := s.Write(sample(w*100 + i)); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	s.Close()
	data, _ := os.ReadFile(path)
	if sum, err := Verify(bytes.NewReader(data), nil); err != nil || sum.Records != 800 {
		t.Fatalf("Verify = %+v, %v", sum, err)
	}
}

func TestUnwritableFailsClosed(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	s, err := OpenFile(FileOptions{Path: "/dev/full", WriteTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(sample(1)); !errors.Is(err, ErrUnwritable) {
		t.Fatalf("Write to a full device = %v, want ErrUnwritable", err)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	_, s := writeLog(t, 1, nil)
	s.Close()
	if err := s.Write(sample(2)); !errors.Is(err, ErrUnwritable) {
		t.Fatalf("Write after Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestMemoryMatchesFileFormat(t *testing.T) {
	var m Memory
	for i := 0; i < 3; i++ {
		if err := m.Write(sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	if sum, err := Verify(bytes.NewReader(m.Bytes()), nil); err != nil || sum.Records != 3 {
		t.Fatalf("Verify(memory) = %+v, %v", sum, err)
	}
	m.Fail = errors.New("disk gone")
	if err := m.Write(sample(4)); !errors.Is(err, ErrUnwritable) {
		t.Fatalf("failing Memory.Write = %v", err)
	}
}

func BenchmarkFileSink(b *testing.B) {
	for _, mode := range []Fsync{FsyncNever, FsyncInterval, FsyncAlways} {
		b.Run(string(mode), func(b *testing.B) {
			s, err := OpenFile(FileOptions{Path: filepath.Join(b.TempDir(), "a.jsonl"), Fsync: mode})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			// Many concurrent requests, as in the gateway: FsyncAlways then
			// shares one fsync among the records of a batch.
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Write(sample(1)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
