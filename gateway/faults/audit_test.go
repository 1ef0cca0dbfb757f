package faults

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/dev"
)

// switchAuditor fails every write while fail is set, and otherwise passes
// records to an in-memory log.
type switchAuditor struct {
	fail atomic.Bool
	mem  audit.Memory
}

func (s *switchAuditor) Write(rec *audit.Record) error {
	if s.fail.Load() {
		return fmt.Errorf("%w: injected by the fault suite", audit.ErrUnwritable)
	}
	return s.mem.Write(rec)
}

// withheldCalls are what every scenario sends while the audit log cannot
// be written: each call of the suite, plus requests the gateway would
// refuse (they are audited too).
func withheldCalls(f *fixture) []call {
	var out []call
	for _, c := range f.calls() {
		out = append(out, c)
	}
	return append(out,
		// refused by the scope (tier too low): audited, so withheld too.
		call{name: "acme.tier_too_low", expert: "tier1-basic", method: http.MethodPost,
			path: "/v1/clients/acme-retail/inquiries/address_change/operations/get_shipping_address",
			body: `{"params":{"order_number":"#1001"}}`},
		// invalid params: audited.
		call{name: "acme.invalid_params", expert: "tier1-basic", method: http.MethodPost,
			path: "/v1/clients/acme-retail/inquiries/order_status/operations/get_order",
			body: `{"params":{"order_number":"not a number"}}`},
	)
}

// expectAudit sends every withheld call and wants code for each.
func expectAudit(t *testing.T, f *fixture, code string) {
	t.Helper()
	for _, c := range withheldCalls(f) {
		want := code
		if want == "ok" {
			switch c.name {
			case "acme.tier_too_low":
				want = "tier_too_low"
			case "acme.invalid_params":
				want = "invalid_params"
			}
		}
		if r := f.do(c); r.code() != want {
			t.Errorf("%s: got %v, want %s", c.name, r, want)
		}
	}
}

// TestAuditFails: the auditor refuses every record. Every request, even
// one that was otherwise fine (or would be refused anyway), answers 503
// audit_unavailable and carries no data; when the auditor works again the
// same gateway answers again. A write operation reaches the CRM before its
// record is written (see README.md: the record follows the call).
func TestAuditFails(t *testing.T) {
	checkGoroutines(t)
	a := &switchAuditor{}
	f := startSystem(t, dev.Options{Auditor: a})
	expectAudit(t, f, "ok")
	before := len(a.mem.Records())

	a.fail.Store(true)
	expectAudit(t, f, "audit_unavailable")
	if n := len(a.mem.Records()); n != before {
		t.Errorf("records %d -> %d while the auditor failed", before, n)
	}

	// A write while the audit log fails.
	f.clearCalls(zendeskConn)
	w := call{name: "globex.add_private_comment", expert: "tier1-basic", method: http.MethodPost,
		path: "/v1/clients/globex-saas/inquiries/ticket_status/operations/add_private_comment",
		body: `{"params":{"id":4101},"input":{"comment":{"body":"Refund approved.","public":false},"status":"pending"}}`}
	if r := f.do(w); r.code() != "audit_unavailable" {
		t.Errorf("write: got %v, want audit_unavailable", r)
	}
	puts := 0
	for _, r := range f.env.Sandboxes.Zendesk.Requests() {
		if r.Method == http.MethodPut {
			puts++
		}
	}
	// The write records its intent first; that record fails, so the
	// write is never made.
	if puts != 0 {
		t.Errorf("a write whose audit record failed reached Zendesk %d time(s), want 0", puts)
	}

	// An unauthenticated request is audited too.
	bad := call{name: "unauthenticated", expert: "tier1-basic", method: http.MethodGet, path: "/v1/clients/acme-retail/inquiries"}
	x, _ := f.env.Expert("tier1-basic")
	x.Token += "x"
	if r := f.doAs(bad, x.Token); r.code() != "audit_unavailable" {
		t.Errorf("unauthenticated: got %v, want audit_unavailable", r)
	}

	a.fail.Store(false)
	expectAudit(t, f, "ok")
	if err := verifyChain(a.mem.Bytes()); err != nil {
		t.Error(err)
	}
}

func verifyChain(b []byte) error {
	s, err := audit.Verify(bytes.NewReader(b), nil)
	if err != nil {
		return fmt.Errorf("the audit chain is broken: %w", err)
	}
	if s.Records == 0 {
		return errors.New("the audit log is empty")
	}
	return nil
}

// TestAuditFullDevice: the audit file is on a full device (/dev/full):
// every write fails with ENOSPC, and every request answers
// audit_unavailable with no data.
func TestAuditFullDevice(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	checkGoroutines(t)
	sink, err := audit.OpenFile(audit.FileOptions{Path: "/dev/full", Fsync: audit.FsyncAlways})
	if err != nil {
		t.Fatalf("open /dev/full as the audit file: %v", err)
	}
	t.Cleanup(func() { _ = sink.Close() }) // its final sync fails on /dev/full
	f := startSystem(t, dev.Options{Auditor: sink})
	expectAudit(t, f, "audit_unavailable")
}

// TestAuditDirectoryReadOnly: the audit folder and file become read-only
// while the gateway runs. The sink holds the file open, so permissions
// checked at open time do not stop it: it keeps writing, and requests
// keep working (a file that cannot be written is TestAuditFileLimit).
func TestAuditDirectoryReadOnly(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	f := startSystem(t, dev.Options{AuditDir: dir})
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	expectAudit(t, f, "ok")
	before := fileSize(t, f.env.AuditPath)
	if err := os.Chmod(f.env.AuditPath, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	expectAudit(t, f, "ok")
	if after := fileSize(t, f.env.AuditPath); after <= before {
		t.Errorf("the audit file did not grow (%d -> %d bytes)", before, after)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
