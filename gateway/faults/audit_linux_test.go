//go:build linux

package faults

import (
	"os"
	"syscall"
	"testing"

	"github.com/cxgate/cxgate/gateway/dev"
)

// TestAuditFileLimit: the real audit file stops taking writes (the
// process's file size limit is lowered to its current size, so every
// append fails with EFBIG, as on a full disk) and later takes them again.
// While it fails every request answers audit_unavailable with no data and
// the file does not change; afterwards the same sink and gateway work
// again and the hash chain is whole (failed appends were rolled back).
//
// Go ignores SIGXFSZ, so the limit makes writes fail instead of killing
// the process. The limit is process-wide: the scenario is skipped when
// stdout or stderr is a regular file, which it would cut too.
func TestAuditFileLimit(t *testing.T) {
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if st, err := f.Stat(); err != nil || st.Mode().IsRegular() {
			t.Skip("stdout or stderr is a regular file: a file size limit would cut it too")
		}
	}
	checkGoroutines(t)
	f := startSystem(t, dev.Options{AuditDir: t.TempDir()})
	expectAudit(t, f, "ok")
	size := fileSize(t, f.env.AuditPath)

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := syscall.Rlimit{Cur: uint64(size), Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("cannot lower the file size limit: %v", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatalf("restoring the file size limit: %v", err)
			}
		}
	}
	defer restore()
	// Answers are only gathered while the limit holds; checks (and any
	// output) come after it is lifted.
	calls := withheldCalls(f)
	got := make([]result, len(calls))
	for i, c := range calls {
		got[i] = f.do(c)
	}
	during := fileSize(t, f.env.AuditPath)
	restore()

	for i, c := range calls {
		if got[i].code() != "audit_unavailable" {
			t.Errorf("%s: got %v, want audit_unavailable", c.name, got[i])
		}
	}
	if during != size {
		t.Errorf("the audit file changed from %d to %d bytes while it could not be written", size, during)
	}
	expectAudit(t, f, "ok")
	b, err := os.ReadFile(f.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyChain(b); err != nil {
		t.Error(err)
	}
}
