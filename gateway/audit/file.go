package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Fsync says when the file sink flushes to stable storage.
type Fsync string

const (
	// FsyncAlways: a Write returns only after its record is on disk.
	// Concurrent writers share one fsync (group commit).
	FsyncAlways Fsync = "always"
	// FsyncInterval: records are written at once and flushed every second;
	// a crash of the machine (not of the process) may lose the last second.
	FsyncInterval Fsync = "interval"
	// FsyncNever leaves flushing to the operating system.
	FsyncNever Fsync = "never"
)

// ParseFsync reads a mode name ("" = always).
func ParseFsync(s string) (Fsync, error) {
	switch Fsync(s) {
	case "":
		return FsyncAlways, nil
	case FsyncAlways, FsyncInterval, FsyncNever:
		return Fsync(s), nil
	}
	return "", fmt.Errorf("unknown fsync mode %q (want always, interval or never)", s)
}

// ErrUnwritable: the audit record could not be written; the caller must
// withhold its response.
var ErrUnwritable = errors.New("audit log unwritable")

// FileOptions configure OpenFile.
type FileOptions struct {
	Path  string
	Fsync Fsync
	// Key, when set, makes the chain an HMAC-SHA256 chain; verify needs it.
	Key []byte
	// WriteTimeout bounds how long Write waits for its record to be stored
	// (default 5s); past it Write fails and the response is withheld.
	WriteTimeout time.Duration
	Now          func() time.Time
}

// FileSink appends sealed records to a JSONL file. Safe for concurrent use.
type FileSink struct {
	opts  FileOptions
	c     chain
	f     *os.File
	queue chan *pending
	done  chan struct{}
	wg    sync.WaitGroup

	// owned by the writer goroutine
	seq    uint64
	prev   string
	offset int64

	dirty atomic.Bool // written since the last flush (FsyncInterval)

	closeOnce sync.Once
	closeErr  error
}

type pending struct {
	rec *Record
	err chan error
}

// OpenFile opens (or creates) the log and resumes its chain from the last
// record, whose hash it checks. A file ending in a partial record is
// refused: run `cxgate audit verify` and move the file aside.
func OpenFile(opts FileOptions) (*FileSink, error) {
	if opts.Fsync == "" {
		opts.Fsync = FsyncAlways
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f, err := os.OpenFile(opts.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	s := &FileSink{opts: opts, c: chain{key: opts.Key}, f: f, queue: make(chan *pending, 1024), done: make(chan struct{})}
	if err := s.resume(); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", opts.Path, err)
	}
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// resume reads the last line to continue the chain.
func (s *FileSink) resume() error {
	size, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	s.offset = size
	if size == 0 {
		return nil
	}
	n := min(size, int64(maxLine))
	buf := make([]byte, n)
	if _, err := s.f.ReadAt(buf, size-n); err != nil {
		return err
	}
	if buf[len(buf)-1] != '\n' {
		return errors.New("the file ends in a partial record; run `cxgate audit verify` and move the file aside before starting")
	}
	buf = buf[:len(buf)-1]
	start := bytes.LastIndexByte(buf, '\n') + 1
	if start == 0 && n < size {
		return errors.New("the last record is longer than any audit record")
	}
	rec, sum, err := s.c.open(buf[start:])
	if err != nil {
		return fmt.Errorf("the last record does not verify (%v); run `cxgate audit verify`", err)
	}
	s.seq, s.prev = rec.Seq, sum
	return nil
}

// Write seals and appends rec, setting its Seq, Prev and (if zero) Time.
// It does not take a context on purpose: the audit record of a request is
// written even when the client has gone away.
func (s *FileSink) Write(rec *Record) error {
	if rec.Time.IsZero() {
		rec.Time = s.opts.Now().UTC()
	}
	p := &pending{rec: rec, err: make(chan error, 1)}
	t := time.NewTimer(s.opts.WriteTimeout)
	defer t.Stop()
	select {
	case s.queue <- p:
	case <-s.done:
		return fmt.Errorf("%w: sink closed", ErrUnwritable)
	case <-t.C:
		return fmt.Errorf("%w: timed out waiting for the writer", ErrUnwritable)
	}
	select {
	case err := <-p.err:
		return err
	case <-t.C:
		return fmt.Errorf("%w: timed out writing the record", ErrUnwritable)
	}
}

// run is the single writer: it drains what is queued, appends it, flushes
// once per batch (FsyncAlways) and acknowledges each writer.
func (s *FileSink) run() {
	defer s.wg.Done()
	if s.opts.Fsync == FsyncInterval {
		// The flush runs beside the writer, never in its way: a slow disk
		// delays durability by a tick, not every request behind it.
		s.wg.Add(1)
		go s.flushEvery(time.Second)
	}
	for {
		select {
		case p := <-s.queue:
			batch := []*pending{p}
			for len(batch) < 256 {
				select {
				case q := <-s.queue:
					batch = append(batch, q)
					continue
				default:
				}
				break
			}
			s.writeBatch(batch)
		case <-s.done:
			for {
				select {
				case p := <-s.queue:
					s.writeBatch([]*pending{p})
				default:
					return
				}
			}
		}
	}
}

// flushEvery syncs the file to stable storage on a ticker until Close.
func (s *FileSink) flushEvery(d time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if s.dirty.Swap(false) {
				if s.f.Sync() != nil {
					s.dirty.Store(true)
				}
			}
		case <-s.done:
			return
		}
	}
}

func (s *FileSink) writeBatch(batch []*pending) {
	var buf bytes.Buffer
	seq, prev := s.seq, s.prev
	ok := make([]*pending, 0, len(batch))
	for _, p := range batch {
		p.rec.Seq, p.rec.Prev = seq+1, prev
		line, sum, err := s.c.seal(p.rec)
		if err != nil {
			p.err <- fmt.Errorf("%w: %v", ErrUnwritable, err)
			continue
		}
		buf.Write(line)
		seq, prev = seq+1, sum
		ok = append(ok, p)
	}
	err := s.appendBytes(buf.Bytes())
	if err == nil && s.opts.Fsync == FsyncAlways {
		err = s.f.Sync()
	}
	if err != nil {
		// Roll back to the last good end so the chain stays whole.
		_ = s.f.Truncate(s.offset)
		for _, p := range ok {
			p.err <- fmt.Errorf("%w: %v", ErrUnwritable, err)
		}
		return
	}
	s.offset += int64(buf.Len())
	s.seq, s.prev = seq, prev
	if s.opts.Fsync == FsyncInterval {
		s.dirty.Store(true)
	}
	for _, p := range ok {
		p.err <- nil
	}
}

func (s *FileSink) appendBytes(b []byte) error {
	n, err := s.f.WriteAt(b, s.offset)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// Close flushes queued records and closes the file. It is idempotent.
func (s *FileSink) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.wg.Wait()
		if err := s.f.Sync(); err != nil {
			s.closeErr = err
		}
		if err := s.f.Close(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// Memory keeps records in memory, chained the same way; for tests of callers.
type Memory struct {
	mu    sync.Mutex
	c     chain
	lines [][]byte
	recs  []Record
	prev  string
	Fail  error // when set, Write returns it (to test fail-closed callers)
}

// Write seals rec like the file sink does.
func (m *Memory) Write(rec *Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return fmt.Errorf("%w: %v", ErrUnwritable, m.Fail)
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now().UTC()
	}
	rec.Seq, rec.Prev = uint64(len(m.recs))+1, m.prev
	line, sum, err := m.c.seal(rec)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnwritable, err)
	}
	m.lines = append(m.lines, line)
	m.recs = append(m.recs, *rec)
	m.prev = sum
	return nil
}

// Records returns copies of the records written so far.
func (m *Memory) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs...)
}

// Bytes returns the log as the file sink would have written it.
func (m *Memory) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Join(m.lines, nil)
}

// ReadKeyFile reads a chain key file: its bytes without trailing
// whitespace, at least 16 of them. The key never appears in errors.
func ReadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key file: %w", err)
	}
	b = bytes.TrimRight(b, " \t\r\n")
	if len(b) < 16 {
		return nil, fmt.Errorf("audit key file %s: the key must be at least 16 bytes", path)
	}
	return b, nil
}
