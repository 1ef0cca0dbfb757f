package vaulttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/vault/api"
)

// Options configure NewServer. The zero value is fine.
type Options struct {
	// Binary is the server binary; "" finds or builds it (see Binary).
	Binary string
	// Listen is host:port to listen on; "" picks a free loopback port. The
	// dev server also binds port+1 for its cluster listener.
	Listen string
	// RootToken is the dev root token; "" generates a random one.
	RootToken string
	// Progress receives notes about a slow first build; nil discards them.
	Progress io.Writer
}

// Server is a running Vault dev server.
type Server struct {
	// Addr is the server's address for VAULT_ADDR (http://127.0.0.1:PORT).
	Addr string
	// RootToken is the dev server's root token.
	RootToken string

	bin    string
	listen string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *outputLog
}

// NewServer starts a dev server and waits until /v1/sys/health answers. Stop
// it with Stop; tests use Start or Main, which do that in cleanup.
func NewServer(ctx context.Context, o Options) (*Server, error) {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(ctx, o.Progress); err != nil {
			return nil, err
		}
	}
	tok := o.RootToken
	if tok == "" {
		tok = "root-" + randomHex(12)
	}
	s := &Server{RootToken: tok, bin: bin}
	tries := 1
	if o.Listen == "" {
		tries = 4 // another process may take the free port before Vault binds it
	}
	var err error
	for i := 0; i < tries; i++ {
		listen := o.Listen
		if listen == "" {
			port, perr := freePortPair()
			if perr != nil {
				return nil, perr
			}
			listen = "127.0.0.1:" + strconv.Itoa(port)
		}
		s.listen = listen
		s.Addr = "http://" + listen
		if err = s.launch(ctx); err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// launch starts the process on s.listen and waits for it to be healthy.
func (s *Server) launch(ctx context.Context) error {
	out := &outputLog{}
	cmd := exec.Command(s.bin, "server", "-dev",
		"-dev-root-token-id="+s.RootToken,
		"-dev-listen-address="+s.listen,
		"-dev-no-store-token")
	cmd.Env = serverEnv()
	cmd.Stdout = out
	cmd.Stderr = out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the Vault dev server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		if out.unsealKey() != "" && healthy(ctx, hc, s.Addr) {
			return nil
		}
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("the Vault dev server on %s exited during start:\n%s", s.listen, out.tail(3000))
		case <-ctx.Done():
			_ = s.Stop()
			return fmt.Errorf("the Vault dev server on %s did not become healthy: %w\n%s", s.listen, ctx.Err(), out.tail(3000))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func healthy(ctx context.Context, hc *http.Client, addr string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/v1/sys/health", nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop kills the server's process group and waits for it to exit. The
// address stops answering at once (connection refused). Stop is idempotent.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	// The negative pid signals the whole group, so nothing is left behind.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping the Vault dev server: %w", err)
	}
	<-exited
	return nil
}

// Restart stops the server and starts a fresh one on the same address with
// the same root token. Dev storage is in memory: mounts, keys, policies and
// other tokens are gone, so the caller sets them up again.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.launch(ctx)
}

// Pause stops the server process (SIGSTOP) without closing its socket:
// connections are accepted by the kernel but never answered, which is how a
// slow or hung Vault looks to a client. It returns once the process is
// stopped. Resume continues it.
func (s *Server) Pause() error {
	if err := s.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	return waitStopped(cmd.Process.Pid)
}

// Resume continues a paused server.
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("the Vault dev server is not running")
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Output returns the end of the server's log, for failure messages.
func (s *Server) Output() string {
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	if out == nil {
		return ""
	}
	return out.tail(8000)
}

// Client returns a Vault API client authenticated with the root token. It
// ignores VAULT_TOKEN and VAULT_ADDR from the environment.
func (s *Server) Client() (*api.Client, error) {
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, conf.Error
	}
	conf.Address = s.Addr
	conf.MaxRetries = 0
	c, err := api.NewClient(conf)
	if err != nil {
		return nil, err
	}
	c.SetToken(s.RootToken)
	return c, nil
}

// Write writes data at path with the root token.
func (s *Server) Write(ctx context.Context, path string, data map[string]any) (*api.Secret, error) {
	c, err := s.Client()
	if err != nil {
		return nil, err
	}
	return c.Logical().WriteWithContext(ctx, path, data)
}

// Read reads path with the root token.
func (s *Server) Read(ctx context.Context, path string) (*api.Secret, error) {
	c, err := s.Client()
	if err != nil {
		return nil, err
	}
	return c.Logical().ReadWithContext(ctx, path)
}

// Seal seals the server: every request but a few sys/ paths gets 503.
func (s *Server) Seal(ctx context.Context) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	return c.Sys().SealWithContext(ctx)
}

// Unseal unseals the server with the key the dev server printed at start.
func (s *Server) Unseal(ctx context.Context) error {
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	if out == nil || out.unsealKey() == "" {
		return errors.New("no unseal key known for the Vault dev server")
	}
	c, err := s.Client()
	if err != nil {
		return err
	}
	st, err := c.Sys().UnsealWithContext(ctx, out.unsealKey())
	if err != nil {
		return err
	}
	if st.Sealed {
		return errors.New("the Vault dev server is still sealed after unseal")
	}
	return nil
}

// EnableTransit mounts the transit secrets engine at mount.
func (s *Server) EnableTransit(ctx context.Context, mount string) error {
	return s.mount(ctx, mount, &api.MountInput{Type: "transit"})
}

// EnableKV2 mounts a KV version 2 engine at mount. The dev server already
// has one at secret/; asking for it again is not an error.
func (s *Server) EnableKV2(ctx context.Context, mount string) error {
	return s.mount(ctx, mount, &api.MountInput{Type: "kv", Options: map[string]string{"version": "2"}})
}

func (s *Server) mount(ctx context.Context, mount string, in *api.MountInput) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	mounts, err := c.Sys().ListMountsWithContext(ctx)
	if err != nil {
		return err
	}
	if m, ok := mounts[strings.Trim(mount, "/")+"/"]; ok {
		if m.Type != in.Type {
			return fmt.Errorf("mount %s exists with type %s", mount, m.Type)
		}
		return nil
	}
	return c.Sys().MountWithContext(ctx, mount, in)
}

// EnableAuth enables an auth method (approle, kubernetes, ...) at path.
func (s *Server) EnableAuth(ctx context.Context, path, kind string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	auths, err := c.Sys().ListAuthWithContext(ctx)
	if err != nil {
		return err
	}
	if a, ok := auths[strings.Trim(path, "/")+"/"]; ok {
		if a.Type != kind {
			return fmt.Errorf("auth path %s exists with type %s", path, a.Type)
		}
		return nil
	}
	return c.Sys().EnableAuthWithOptionsWithContext(ctx, path, &api.EnableAuthOptions{Type: kind})
}

// WritePolicy stores an ACL policy.
func (s *Server) WritePolicy(ctx context.Context, name, hcl string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	return c.Sys().PutPolicyWithContext(ctx, name, hcl)
}

// AppRole creates (or updates) role name under the approle auth mount with
// the given role parameters (token_policies, token_ttl, ...), and returns its
// role_id and a fresh secret_id.
func (s *Server) AppRole(ctx context.Context, mount, name string, params map[string]any) (roleID, secretID string, err error) {
	if err := s.EnableAuth(ctx, mount, "approle"); err != nil {
		return "", "", err
	}
	base := "auth/" + strings.Trim(mount, "/") + "/role/" + name
	if _, err := s.Write(ctx, base, params); err != nil {
		return "", "", err
	}
	r, err := s.Read(ctx, base+"/role-id")
	if err != nil {
		return "", "", err
	}
	if r == nil || r.Data["role_id"] == nil {
		return "", "", errors.New("no role_id returned")
	}
	sec, err := s.Write(ctx, base+"/secret-id", nil)
	if err != nil {
		return "", "", err
	}
	if sec == nil || sec.Data["secret_id"] == nil {
		return "", "", errors.New("no secret_id returned")
	}
	return fmt.Sprint(r.Data["role_id"]), fmt.Sprint(sec.Data["secret_id"]), nil
}

// freePortPair finds a loopback port p with p+1 also free (the dev server's
// cluster listener takes p+1).
func freePortPair() (int, error) {
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
		_ = l.Close()
		if err != nil {
			continue
		}
		_ = l2.Close()
		return port, nil
	}
	return 0, errors.New("no free loopback port pair found")
}

// serverEnv is the environment without VAULT_* variables, so a developer's
// VAULT_ADDR or VAULT_TOKEN cannot leak into the dev server.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VAULT_") {
			env = append(env, kv)
		}
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// outputLog keeps the end of the server's output and picks out the unseal
// key the dev server prints at start.
type outputLog struct {
	mu   sync.Mutex
	buf  []byte
	line []byte
	key  string
}

const outputKeep = 64 << 10

func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if len(o.buf) > outputKeep {
		o.buf = append([]byte(nil), o.buf[len(o.buf)-outputKeep/2:]...)
	}
	if o.key == "" {
		o.line = append(o.line, p...)
		for {
			i := bytes.IndexByte(o.line, '\n')
			if i < 0 {
				break
			}
			l := strings.TrimSpace(string(o.line[:i]))
			o.line = o.line[i+1:]
			if k, ok := strings.CutPrefix(l, "Unseal Key: "); ok {
				o.key = strings.TrimSpace(k)
				o.line = nil
				break
			}
		}
	}
	return len(p), nil
}

func (o *outputLog) unsealKey() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.key
}

func (o *outputLog) tail(n int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return tail(string(o.buf), n)
}
