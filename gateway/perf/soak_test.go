package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/internal/logging"
)

// Soak parameters. The rate leaves the 2-core CI machine most of its time
// idle (docs/performance.md has the measurements behind it); the experts
// are many so per-expert limits see a realistic spread.
const (
	soakRate    = 200
	soakExperts = 200
	soakMain    = 60 * time.Second
	soakWarm    = 5 * time.Second
	// Goroutines the run may leave beyond those at the warm-up point: each
	// connector keeps up to 16 idle connections to its sandbox (three
	// goroutines each: the client's read and write loops and the
	// sandbox's server side) for 90 s, and a burst can leave more of them
	// open than the warm-up did. Anything per request would exceed this
	// within seconds; the strict check is the one after Close.
	goroutineSlack = 3*16*3 + 12
	// Bytes one write may legitimately keep: its entry in the gateway's
	// Idempotency-Key replay store, which holds it for a day by design
	// (bounded at 100,000 entries), and what the sandbox stores (a
	// Zendesk comment). Allowed on top of the growth bound.
	perWriteBytes = 4 << 10
)

// soakDurations: a minute (CI), about five seconds with -short, or
// CXGATE_SOAK=duration for longer local runs.
func soakDurations(t *testing.T) (warm, main time.Duration) {
	if v := os.Getenv("CXGATE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 2*time.Second {
			t.Fatalf("CXGATE_SOAK=%q: want a duration of at least 2s, e.g. 10m", v)
		}
		return min(max(d/12, time.Second), 30*time.Second), d
	}
	if testing.Short() {
		return time.Second, 4 * time.Second
	}
	return soakWarm, soakMain
}

// lineCounter counts log lines and those at level ERROR, and keeps the
// first few of those (the gateway's logs carry no request content).
type lineCounter struct {
	lines, errors atomic.Int64
	mu            sync.Mutex
	first         []string
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines.Add(int64(bytes.Count(p, []byte("\n"))))
	if bytes.Contains(p, []byte(`"level":"ERROR"`)) {
		c.errors.Add(1)
		c.mu.Lock()
		if len(c.first) < 5 {
			c.first = append(c.first, strings.TrimSpace(string(p)))
		}
		c.mu.Unlock()
	}
	return len(p), nil
}

// TestSoak drives the `cxgate dev` wiring, served over loopback as
// `cxgate dev` serves it, at a fixed rate from many experts, and checks
// that nothing degrades: every response has its expected status, no error
// is logged, goroutines come back, memory does not grow beyond a generous
// bound, and the audit chain verifies with one record per request.
// Latency is logged, never asserted.
func TestSoak(t *testing.T) {
	warm, main := soakDurations(t)
	rate := float64(soakRate)
	if v := os.Getenv("CXGATE_SOAK_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			t.Fatalf("CXGATE_SOAK_RATE=%q: want requests per second", v)
		}
		rate = r
	}
	g0 := runtime.NumGoroutine()

	logs := &lineCounter{}
	log, err := logging.New(logs, logging.Options{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, err := dev.Start(ctx, dev.Options{Logger: log, AuditDir: t.TempDir(), Limits: &config.Limits{
		PerExpert: 10, PerClient: 1000, MaxBody: config.DefaultMaxBody,
		ReadTimeout: config.DefaultReadTimeout, WriteTimeout: config.DefaultWriteTimeout, IdleTimeout: config.DefaultIdleTimeout,
	}})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = env.Close()
		}
	}()
	srv, err := app.HTTPServer(env.App.Config, env.Handler, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	srvCtx, stopServing := context.WithCancel(ctx)
	go func() { served <- app.Serve(srvCtx, srv, ln, 10*time.Second) }()
	base := "http://" + ln.Addr().String()

	// The sandbox Salesforce org counts calls against a daily allowance
	// (100,000); a long local soak would spend it, so the day restarts
	// every ten seconds.
	resetDone := make(chan struct{})
	go func() {
		defer close(resetDone)
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				env.Sandboxes.Salesforce.SetUsage(0)
			case <-srvCtx.Done():
				return
			}
		}
	}()

	mix, err := DevMix(ctx, env, MixOptions{Experts: soakExperts, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	client := NewClient(256)
	// Each progress line says how much processor time the process got
	// and how loaded the machine was: a shared machine's neighbours show
	// up there when latency jumps.
	const every = 10 * time.Second
	var lastCPU atomic.Int64
	progress := func(phase string) func(Interval) {
		return func(iv Interval) {
			p, _ := ReadProc(false)
			cpu := p.CPU - time.Duration(lastCPU.Swap(int64(p.CPU)))
			t.Logf("%s %6s: sent %d, errors %d, in flight %d, p50 %s p99 %s max %s, schedule lag %s; RSS %s, %d goroutines, CPU %.0f%% of a core, load %s",
				phase, iv.Since.Round(time.Second), iv.Sent, iv.Errors, iv.InFlight, fmtDur(iv.Latency.Quantile(0.5)),
				fmtDur(iv.Latency.Quantile(0.99)), fmtDur(iv.Latency.Max()), fmtDur(iv.MaxLag), MiB(p.RSS), p.Goroutines,
				100*cpu.Seconds()/every.Seconds(), loadAverage())
		}
	}
	run := func(phase string, d time.Duration) *Result {
		t.Helper()
		res, err := Run(ctx, Config{BaseURL: base, Rate: rate, Duration: d, Source: mix.Source(), Client: client,
			Progress: progress(phase), Every: every})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// quiesce forgets the requests the sandboxes recorded (test machinery,
	// up to a thousand per sandbox, that would count as growth until
	// full), closes the driver's idle connections and waits (for an event,
	// with a generous deadline) until the goroutine count is at most
	// limit, or, with limit < 0, until it has not changed for half a
	// second; it returns the snapshot it ended on.
	quiesce := func(limit int) Proc {
		env.Sandboxes.Salesforce.ClearRequests()
		env.Sandboxes.Zendesk.ClearRequests()
		env.Sandboxes.Shopify.ClearRequests()
		client.CloseIdleConnections()
		deadline := time.Now().Add(15 * time.Second)
		last, same := -1, 0
		for {
			p, _ := ReadProc(true) // RSS is 0 where /proc is missing; the rest is there
			if p.Goroutines == last {
				same++
			} else {
				last, same = p.Goroutines, 0
			}
			if limit >= 0 && p.Goroutines <= limit || limit < 0 && same >= 5 || time.Now().After(deadline) {
				return p
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	start := time.Now()
	pStart, err := ReadProc(true)
	if err != nil {
		t.Logf("resident memory is not checked here: %v", err)
	}
	lastCPU.Store(int64(pStart.CPU))
	warmRes := run("warm-up", warm)
	pWarm := quiesce(-1)
	heapProfile(t, "warm")
	mainRes := run("main", main)
	pEnd := quiesce(pWarm.Goroutines + goroutineSlack)
	heapProfile(t, "end")
	loadTime := time.Since(start)

	t.Logf("rate %.0f req/s from %d experts; warm-up %s, then %s", rate, soakExperts, warm, main)
	t.Logf("warm-up: %s", strings.TrimSpace(warmRes.String()))
	t.Logf("main run: %s", strings.TrimSpace(mainRes.String()))
	t.Logf("per request (main run):\n%s", mainRes.Table())
	t.Logf("RSS start %s, after warm-up %s, end %s; live heap %s, %s, %s (heap in use %s, %s, %s); goroutines %d, %d, %d; CPU %.1fs for %d requests (%.0f µs each); %d log lines",
		MiB(pStart.RSS), MiB(pWarm.RSS), MiB(pEnd.RSS),
		MiB(int64(pStart.HeapAlloc)), MiB(int64(pWarm.HeapAlloc)), MiB(int64(pEnd.HeapAlloc)),
		MiB(int64(pStart.HeapInuse)), MiB(int64(pWarm.HeapInuse)), MiB(int64(pEnd.HeapInuse)),
		pStart.Goroutines, pWarm.Goroutines, pEnd.Goroutines,
		(pEnd.CPU - pStart.CPU).Seconds(), warmRes.Sent+mainRes.Sent,
		float64((pEnd.CPU-pStart.CPU).Microseconds())/float64(max(1, warmRes.Sent+mainRes.Sent)), logs.lines.Load())

	for _, r := range []struct {
		name string
		res  *Result
		d    time.Duration
	}{{"warm-up", warmRes, warm}, {"main run", mainRes, main}} {
		if r.res.Errors() > 0 {
			t.Errorf("%s: %d requests did not get their expected status:\n%s", r.name, r.res.Errors(), r.res)
		}
		if want := int64(r.d.Seconds() * rate); r.res.Sent != want || r.res.Completed != want {
			t.Errorf("%s: sent %d, completed %d; the schedule holds %d", r.name, r.res.Sent, r.res.Completed, want)
		}
	}
	if n := logs.errors.Load(); n > 0 {
		t.Errorf("%d lines logged at level ERROR, the first:\n%s", n, strings.Join(logs.first, "\n"))
	}
	if pEnd.Goroutines > pWarm.Goroutines+goroutineSlack {
		t.Errorf("goroutines: %d after warm-up, %d at the end (more than %d over)\n%s",
			pWarm.Goroutines, pEnd.Goroutines, goroutineSlack, goroutineDump())
	}
	allow := writesIn(mix, mainRes.Sent) * perWriteBytes
	if limit := pWarm.RSS*3/2 + allow; pWarm.RSS > 0 && pEnd.RSS > limit {
		t.Errorf("resident memory grew from %s after warm-up to %s at the end (bound %s)", MiB(pWarm.RSS), MiB(pEnd.RSS), MiB(limit))
	}
	if limit := int64(pWarm.HeapAlloc)*3/2 + allow; int64(pEnd.HeapAlloc) > limit {
		t.Errorf("live heap after GC grew from %s after warm-up to %s at the end (bound %s)",
			MiB(int64(pWarm.HeapAlloc)), MiB(int64(pEnd.HeapAlloc)), MiB(limit))
	}

	// Stop serving (draining), close everything, then check the audit
	// file and that every goroutine the run started is gone.
	stopServing()
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("serve: %v", err)
	}
	<-resetDone
	auditPath := env.AuditPath
	if err := env.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	closed = true
	f, err := os.Open(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := audit.Verify(f, nil)
	if err != nil {
		t.Errorf("audit chain: %v", err)
	}
	// One outcome record per request, with the status the expert got, and
	// for each write one write-intent record before it (same request id).
	tally := tallyAudit(t, auditPath)
	sent := warmRes.Sent + mainRes.Sent
	writes := writesIn(mix, warmRes.Sent) + writesIn(mix, mainRes.Sent)
	if tally.outcomes != sent || tally.requests != sent {
		t.Errorf("audit file holds %d outcome records for %d request ids; %d requests were sent", tally.outcomes, tally.requests, sent)
	}
	if tally.intents != writes || tally.orphanIntents != 0 {
		t.Errorf("audit file holds %d write-intent records (%d without an outcome); %d writes were sent", tally.intents, tally.orphanIntents, writes)
	}
	if int64(sum.Records) != tally.outcomes+tally.intents {
		t.Errorf("audit.Verify counted %d records, the file %d", sum.Records, tally.outcomes+tally.intents)
	}
	for status, n := range tally.byStatus {
		if got := warmRes.ByStatus[status] + mainRes.ByStatus[status]; got != n {
			t.Errorf("audit file: %d outcomes with status %d; the experts got %d", n, status, got)
		}
	}
	client.CloseIdleConnections()
	pClosed := quiesce(g0 + 2)
	t.Logf("goroutines before start %d, after close %d; audit records %d (%d outcomes, %d write intents), chain verified; load phase %s",
		g0, pClosed.Goroutines, sum.Records, tally.outcomes, tally.intents, loadTime.Round(time.Millisecond))
	if pClosed.Goroutines > g0+2 {
		t.Errorf("goroutines: %d before the gateway started, %d after it closed\n%s", g0, pClosed.Goroutines, goroutineDump())
	}
}

// loadAverage is the machine's 1, 5 and 15 minute load ("" where unknown).
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// writesIn is how many writes the first n requests of a mix hold.
func writesIn(m *Mix, n int64) int64 {
	var writes int64
	counts := m.Counts(n)
	for _, o := range m.Ops() {
		if o.Request.Idempotent {
			writes += counts[o.Request.Name]
		}
	}
	return writes
}

// auditTally summarises an audit file.
type auditTally struct {
	outcomes, requests, intents, orphanIntents int64
	byStatus                                   map[int]int64
}

func tallyAudit(t *testing.T, path string) auditTally {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tl := auditTally{byStatus: map[int]int64{}}
	ids := map[string]bool{}
	intents := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var rec audit.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		if rec.Stage == "write_intent" {
			tl.intents++
			intents[rec.RequestID] = true
			continue
		}
		tl.outcomes++
		tl.byStatus[rec.Status]++
		ids[rec.RequestID] = true
	}
	tl.requests = int64(len(ids))
	for id := range intents {
		if !ids[id] {
			tl.orphanIntents++
		}
	}
	return tl
}

// heapProfile writes a heap profile to $CXGATE_SOAK_PROFILE/heap-NAME.pb.gz
// when that variable names a folder (compare two with
// go tool pprof -base heap-warm.pb.gz heap-end.pb.gz).
func heapProfile(t *testing.T, name string) {
	dir := os.Getenv("CXGATE_SOAK_PROFILE")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, "heap-"+name+".pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

// goroutineDump lists the live goroutines grouped by stack.
func goroutineDump() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}
