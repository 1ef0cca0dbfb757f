package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/config"
)

var discard = slog.New(slog.DiscardHandler)

// TestHTTPServerLimits: the server takes the configured timeouts, and
// headers keep a deadline even when the read timeout is off.
func TestHTTPServerLimits(t *testing.T) {
	cases := []struct {
		name       string
		limits     config.Limits
		wantHeader time.Duration
	}{
		{"defaults", config.Limits{ReadTimeout: config.DefaultReadTimeout, WriteTimeout: config.DefaultWriteTimeout, IdleTimeout: config.DefaultIdleTimeout}, config.DefaultReadTimeout},
		{"short read", config.Limits{ReadTimeout: 2 * time.Second}, 2 * time.Second},
		{"long read", config.Limits{ReadTimeout: time.Minute}, 10 * time.Second},
		{"no read timeout", config.Limits{}, 10 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, err := app.HTTPServer(&config.Config{Limits: c.limits}, http.NotFoundHandler(), discard)
			if err != nil {
				t.Fatal(err)
			}
			if srv.ReadHeaderTimeout != c.wantHeader || srv.ReadTimeout != c.limits.ReadTimeout ||
				srv.WriteTimeout != c.limits.WriteTimeout || srv.IdleTimeout != c.limits.IdleTimeout {
				t.Fatalf("timeouts %v %v %v %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
			}
			if srv.TLSConfig != nil {
				t.Fatal("TLS without a tls: section")
			}
		})
	}
}

// TestServeDrains: cancelling the context stops new work but lets the
// request in flight finish with its answer.
func TestServeDrains(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	})
	srv, err := app.HTTPServer(&config.Config{}, h, discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, srv, ln, time.Minute) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-started
	cancel()
	// Serve is draining: new connections are refused once the listener
	// closes, the one in flight is waited for.
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if got := <-answer; got != "done" {
		t.Fatalf("the request in flight got %q", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestMutualTLS: with tls.client_ca_file the gateway refuses clients
// without a certificate that CA signed, and serves those with one.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, "cxgate test CA", nil, nil, true)
	server, serverKey := newCert(t, "127.0.0.1", ca, caKey, false)
	client, clientKey := newCert(t, "expert-platform", ca, caKey, false)
	other, otherKey := newCert(t, "intruder", nil, nil, false)
	writePEM(t, filepath.Join(dir, "ca.crt"), "CERTIFICATE", ca.Raw)
	writePEM(t, filepath.Join(dir, "server.crt"), "CERTIFICATE", server.Raw)
	writeKey(t, filepath.Join(dir, "server.key"), serverKey)
	cfg := &config.Config{TLS: &config.TLS{CertFile: filepath.Join(dir, "server.crt"), KeyFile: filepath.Join(dir, "server.key"),
		ClientCAFile: filepath.Join(dir, "ca.crt")}}

	srv, err := app.HTTPServer(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}), discard)
	if err != nil {
		t.Fatal(err)
	}
	if srv.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert || srv.TLSConfig.MinVersion < tls.VersionTLS12 {
		t.Fatalf("TLS config %+v", srv.TLSConfig)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, srv, ln, 5*time.Second) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	get := func(cert *x509.Certificate, key *ecdsa.PrivateKey) (string, error) {
		tc := &tls.Config{RootCAs: roots}
		if cert != nil {
			tc.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + ln.Addr().String() + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if got, err := get(client, clientKey); err != nil || got != "expert-platform" {
		t.Fatalf("a client with a certificate from the CA: %q %v", got, err)
	}
	if _, err := get(nil, nil); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	if _, err := get(other, otherKey); err == nil {
		t.Fatal("a client with a certificate from another CA was served")
	}

	t.Run("bad files", func(t *testing.T) {
		for name, tc := range map[string]*config.TLS{
			"missing key":    {CertFile: cfg.TLS.CertFile, KeyFile: filepath.Join(dir, "none.key")},
			"CA not PEM":     {CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile, ClientCAFile: cfg.TLS.KeyFile + "x"},
			"CA holds a key": {CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile, ClientCAFile: cfg.TLS.KeyFile},
		} {
			if _, err := app.HTTPServer(&config.Config{TLS: tc}, http.NotFoundHandler(), discard); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
	})
}

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
	}
	if cn == "127.0.0.1" {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	write(t, path, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})))
}

func writeKey(t *testing.T, path string, key *ecdsa.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, path, "EC PRIVATE KEY", der)
}
