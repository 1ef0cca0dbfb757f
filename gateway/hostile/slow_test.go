package hostile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cxgate/cxgate/gateway/config"
)

// Server timeouts of the slow-client gateway: short, so the tests end
// quickly. The assertions never measure them: each only waits, with a
// generous deadline, for the server to close the connection.
var slowLimits = config.Limits{
	MaxBody:      1 << 20,
	ReadTimeout:  time.Second,
	WriteTimeout: 2 * time.Second,
	IdleTimeout:  2 * time.Second,
}

// closeDeadline bounds how long a test waits for the server to close a
// connection its timeouts should have ended (several times the timeout:
// a deadline, not a latency bound).
const closeDeadline = 20 * time.Second

// connWatch records, by client address, when the server closed a
// connection (http.Server.ConnState).
type connWatch struct {
	mu     sync.Mutex
	closed map[string]chan struct{}
}

func (w *connWatch) ch(addr string) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.closed[addr]
	if !ok {
		c = make(chan struct{})
		w.closed[addr] = c
	}
	return c
}

func (w *connWatch) state(c net.Conn, s http.ConnState) {
	if s == http.StateClosed || s == http.StateHijacked {
		close(w.ch(c.RemoteAddr().String()))
	}
}

// waitClosed fails unless the server closes conn's connection in time.
func (w *connWatch) waitClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	select {
	case <-w.ch(conn.LocalAddr().String()):
	case <-time.After(closeDeadline):
		t.Fatalf("the server still holds the connection after %s", closeDeadline)
	}
}

// TestSlowClients: clients that send headers slowly (slowloris), send a
// body slowly, or never read the answer. The server's read and write
// timeouts close each connection by themselves; nothing reaches a sandbox,
// nothing protected is answered, and no goroutine is left behind.
func TestSlowClients(t *testing.T) {
	// A gateway of its own, with short timeouts and a connection watch.
	watch := &connWatch{closed: map[string]chan struct{}{}}
	g, err := start(slowLimits, watch.state)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	x := g.expert(t, "tier1-basic")

	// The baseline: one honest request has run, so lazily started
	// goroutines (connection pools, the audit sink's writer) exist.
	if a := g.send(t, op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001"}}`).as(x)); a.status != 200 {
		t.Fatalf("control: %d %s", a.status, a.body)
	}
	g.client.CloseIdleConnections()
	baseline := settledGoroutines()
	upstream := g.upstream()

	dial := func(t *testing.T) net.Conn {
		conn, err := net.DialTimeout("tcp", g.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("slowloris headers", func(t *testing.T) {
		conn := dial(t)
		fmt.Fprintf(conn, "GET /v1/clients/acme-retail/inquiries HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n", g.addr, x.Token)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := fmt.Fprintf(conn, "X-Slow-%d: %d\r\n", i, i); err != nil {
					return
				}
			}
		}()
		watch.waitClosed(t, conn)
		a := readAfterClose(t, conn)
		if a != nil {
			t.Logf("answered %d before closing", a.StatusCode)
		}
		if a != nil && a.StatusCode < 400 {
			t.Errorf("a request that never finished its headers was answered %d", a.StatusCode)
		}
	})

	t.Run("slow body", func(t *testing.T) {
		conn := dial(t)
		body := `{"text":"call maya.okafor@example.com","mode":"tokenize"}`
		fmt.Fprintf(conn, "POST /v1/clients/acme-retail/filter HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			g.addr, x.Token, len(body)+1000)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i := 0; i < len(body); i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := conn.Write([]byte{body[i]}); err != nil {
					return
				}
			}
		}()
		watch.waitClosed(t, conn)
		if a := readAfterClose(t, conn); a != nil {
			b, _ := io.ReadAll(a.Body)
			t.Logf("answered %d before closing: %.200s", a.StatusCode, b)
			if a.StatusCode != http.StatusBadRequest && a.StatusCode != http.StatusRequestTimeout {
				t.Errorf("a body that never arrived was answered %d: %.200s", a.StatusCode, b)
			}
			g.noLeak(t, b)
		}
	})

	t.Run("slow body after a complete one", func(t *testing.T) {
		// Keep-alive: a first request in full, then a second whose body
		// trickles. The read timeout applies per request.
		conn := dial(t)
		first := `{"text":"hello"}`
		fmt.Fprintf(conn, "POST /v1/clients/acme-retail/filter HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			g.addr, x.Token, len(first), first)
		br := bufio.NewReader(conn)
		a, err := http.ReadResponse(br, nil)
		if err != nil || a.StatusCode != 200 {
			t.Fatalf("first request: %v %v", a, err)
		}
		_, _ = io.Copy(io.Discard, a.Body)
		fmt.Fprintf(conn, "POST /v1/clients/acme-retail/filter HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", g.addr, x.Token)
		watch.waitClosed(t, conn)
	})

	t.Run("client never reads", func(t *testing.T) {
		// Pipelined requests whose answers (16 KiB each, 16 MiB in all)
		// are far more than the socket buffers hold: the server's writes
		// block until the write timeout ends the connection.
		conn := dial(t)
		var reqs bytes.Buffer
		for range 1000 {
			fmt.Fprintf(&reqs, "GET /openapi.json HTTP/1.1\r\nHost: %s\r\n\r\n", g.addr)
		}
		go func() { _, _ = conn.Write(reqs.Bytes()) }()
		watch.waitClosed(t, conn)
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial(t)
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", g.addr)
		a, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || a.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", a, err)
		}
		watch.waitClosed(t, conn)
	})

	if n := g.upstream(); n != upstream {
		t.Errorf("%d request(s) reached a sandbox", n-upstream)
	}
	g.client.CloseIdleConnections()
	deadline := time.Now().Add(closeDeadline)
	for {
		n := settledGoroutines()
		if n <= baseline {
			break
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("%d goroutines after the slow clients, %d before:\n%s", n, baseline, b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settledGoroutines counts goroutines after letting finished ones exit.
func settledGoroutines() int {
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	return runtime.NumGoroutine()
}

// readAfterClose reads what the server sent before it closed the
// connection: an answer, or nil when it closed without one.
func readAfterClose(t *testing.T, conn net.Conn) *http.Response {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	a, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		return a
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection is still open: %v", err)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after close: %v", err)
	}
	return nil
}
