// Package testutil holds small helpers that several packages' tests share.
// It is imported by tests only.
package testutil

import (
	"bytes"
	"sync"
)

// SyncBuffer is a bytes.Buffer that loggers and handlers may write to from
// several goroutines while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
