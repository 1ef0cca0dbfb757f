package vaulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

const (
	// Version is the Vault server release the tests run. Do not bump it:
	// releases after 1.14.8 are BSL, and 1.14.6 already carries BUSL files.
	Version = "1.14.1"

	// EnvBinary names a ready-made server binary to use instead of the cache.
	EnvBinary = "CXGATE_VAULT_BIN"

	selfPackage = "github.com/cxgate/cxgate/vaultclient/vaulttest"
	serverPkg   = "github.com/hashicorp/vault"
)

// BinaryPath is where the server binary is expected: $CXGATE_VAULT_BIN when
// set, else ${XDG_CACHE_HOME:-$HOME/.cache}/cxgate/vault-v<Version>/vault.
func BinaryPath() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locating the cache for the Vault binary: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "cxgate", "vault-v"+Version, "vault"), nil
}

// Binary returns the path of the server binary, building it first when it is
// missing. Notes about a build (it takes minutes) go to progress, which may
// be nil. Concurrent callers, in this process or others, build it once: they
// take an exclusive lock beside the binary, and the build writes a temporary
// file that is renamed into place only when complete.
func Binary(ctx context.Context, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	bin, err := BinaryPath()
	if err != nil {
		return "", err
	}
	if p := os.Getenv(EnvBinary); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	if executable(bin) == nil {
		return bin, nil
	}
	dir := filepath.Dir(bin)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the Vault binary cache: %w", err)
	}
	unlock, err := lock(ctx, filepath.Join(dir, ".build.lock"), progress)
	if err != nil {
		return "", err
	}
	defer unlock()
	if executable(bin) == nil { // another process built it while we waited
		return bin, nil
	}
	if err := build(ctx, bin, progress); err != nil {
		return "", err
	}
	return bin, nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// lock takes an exclusive flock on path, polling so that ctx can end the wait.
func lock(ctx context.Context, path string, progress io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the Vault build lock: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told {
			fmt.Fprintf(progress, "vaulttest: another process is building the Vault %s server; waiting for it\n", Version)
			told = true
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("waiting for the Vault build lock: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func build(ctx context.Context, bin string, progress io.Writer) error {
	src, err := moduleDir(ctx)
	if err != nil {
		return err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building the Vault server needs the go command: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(bin), "vault-*.partial")
	if err != nil {
		return fmt.Errorf("creating the Vault build output: %w", err)
	}
	_ = tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op after the rename

	fmt.Fprintf(progress, "vaulttest: building the Vault %s server into %s (first run only; about 5 minutes on 2 cores)\n", Version, bin)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, goBin, "build", "-buildvcs=false", "-trimpath", "-o", tmp.Name(), serverPkg)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting go build for the Vault server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("go build of the Vault server in %s: %w\n%s", src, err, tail(out.String(), 4000))
			}
			if err := os.Chmod(tmp.Name(), 0o755); err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), bin); err != nil {
				return fmt.Errorf("installing the Vault binary: %w", err)
			}
			fmt.Fprintf(progress, "vaulttest: built the Vault server in %s\n", time.Since(start).Round(time.Second))
			return nil
		case <-tick.C:
			fmt.Fprintf(progress, "vaulttest: still building the Vault server (%s so far)\n", time.Since(start).Round(time.Second))
		}
	}
}

// moduleDir finds ./vaultserver beside this source file, or through go list
// when the file path is not usable (a -trimpath build).
func moduleDir(ctx context.Context) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		d := filepath.Join(filepath.Dir(file), "vaultserver")
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", selfPackage).Output()
	if err != nil {
		return "", fmt.Errorf("locating the vaultserver module (run from inside the cxgate repository): %w", err)
	}
	d := filepath.Join(strings.TrimSpace(string(out)), "vaultserver")
	if _, err := os.Stat(filepath.Join(d, "go.mod")); err != nil {
		return "", fmt.Errorf("locating the vaultserver module: %w", err)
	}
	return d, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
