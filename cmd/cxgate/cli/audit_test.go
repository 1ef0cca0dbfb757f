package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/gateway/audit"
)

// auditCLI executes the CLI in-process and returns exit code, stdout and stderr.
func auditCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	s, err := audit.OpenFile(audit.FileOptions{Path: path, Fsync: audit.FsyncNever})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := s.Write(&audit.Record{RequestID: "r", Client: "acme-retail", Outcome: "ok", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	if code, out, _ := auditCLI(t, "", "audit", "verify", path); code != 0 || !strings.Contains(out, "ok, 3 records") {
		t.Fatalf("verify intact log: exit %d, %q", code, out)
	}
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(data, []byte(`"status":200`), []byte(`"status":201`), 1), 0o600)
	if code, out, _ := auditCLI(t, "", "audit", "verify", path); code != 1 || !strings.Contains(out, "line 1 (record seq 1)") {
		t.Fatalf("verify tampered log: exit %d, %q", code, out)
	}
	if code, _, errOut := auditCLI(t, "", "audit", "verify", filepath.Join(dir, "missing.jsonl")); code != 2 || !strings.Contains(errOut, "missing.jsonl") {
		t.Fatalf("verify missing file: exit %d, %q", code, errOut)
	}
	if code, _, _ := auditCLI(t, "", "audit", "verify"); code != 2 {
		t.Fatalf("verify without a file: exit %d", code)
	}
}
