// Command vault-dev starts the same Vault dev server the tests use, for a
// developer at a terminal: it builds the server binary if needed, mounts
// transit (and KV v2), prints VAULT_ADDR and VAULT_TOKEN, and stops the
// server on Ctrl-C. With -build-only it just makes sure the binary is built
// (CI runs that before `go test ./...` so the slow first build is visible).
//
//	go run ./vaultclient/vaulttest/cmd/vault-dev            # or: make vault-dev
//	go run ./vaultclient/vaulttest/cmd/vault-dev -build-only
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vault-dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	buildOnly := fs.Bool("build-only", false, "only make sure the server binary is built, then exit")
	listen := fs.String("listen", "127.0.0.1:8200", "address to listen on (the dev server also takes port+1)")
	token := fs.String("token", "", "root token (default: random)")
	transit := fs.String("transit", "transit", "mount path for the transit engine")
	kv := fs.String("kv", "secret", "mount path for the KV v2 engine")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	bin, err := vaulttest.Binary(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "vault-dev: %v\n", err)
		return 1
	}
	if *buildOnly {
		fmt.Fprintf(stderr, "vault-dev: Vault %s server ready at %s\n", vaulttest.Version, bin)
		return 0
	}
	srv, err := vaulttest.NewServer(ctx, vaulttest.Options{Binary: bin, Listen: *listen, RootToken: *token, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "vault-dev: %v\n", err)
		return 1
	}
	defer srv.Stop()
	if err := srv.EnableTransit(ctx, *transit); err != nil {
		fmt.Fprintf(stderr, "vault-dev: mounting transit: %v\n", err)
		return 1
	}
	if err := srv.EnableKV2(ctx, *kv); err != nil {
		fmt.Fprintf(stderr, "vault-dev: mounting kv: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "export VAULT_ADDR=%s\nexport VAULT_TOKEN=%s\n", srv.Addr, srv.RootToken)
	fmt.Fprintf(stderr, "vault-dev: Vault %s dev server on %s (in memory; transit at %s/, KV v2 at %s/). Ctrl-C stops it.\n",
		vaulttest.Version, srv.Addr, *transit, *kv)
	fmt.Fprintf(stderr, "vault-dev: next: cxgate vault init --config cxgate.yaml (with vault.auth {method: token, token_env: VAULT_TOKEN})\n")
	<-ctx.Done()
	fmt.Fprintln(stderr, "vault-dev: stopping")
	return 0
}
