package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/connectors/builtin"
	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/config"
)

// version is stamped into /openapi.json; release builds may set it with -ldflags.
var version = "dev"

func newServeCmd(env *Env) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the production gateway",
		Long: "serve loads the gateway config and the scope files it names, opens Vault, the connections\n" +
			"and the audit log, and serves the expert API. It refuses to start on any config or scope error.\n" +
			"SIGHUP reloads the scope files and identity keys (a bad reload keeps the running set and logs why);\n" +
			"SIGINT/SIGTERM drain in-flight requests and stop.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return usageErr(errors.New("--config is required"))
			}
			reg, err := builtin.Registry()
			if err != nil {
				return usageErr(err)
			}
			cfg, diags, err := config.Load(cfgPath, reg)
			if err != nil {
				return usageErr(err)
			}
			for _, d := range diags {
				fmt.Fprintln(env.Stdout, d.String())
			}
			if cfg == nil {
				return problems(fmt.Errorf("%s has problems; nothing started", cfgPath))
			}
			ctx := cmd.Context()
			a, err := app.Build(ctx, app.Options{Config: cfg, Registry: reg, Logger: env.Logger, Getenv: env.Getenv, Version: version})
			if err != nil {
				if lines := app.DiagLines(err); lines != "" {
					fmt.Fprint(env.Stdout, lines)
				}
				return problems(fmt.Errorf("not started: %w", err))
			}
			defer a.Close()
			srv, err := app.HTTPServer(cfg, a.Server, env.Logger)
			if err != nil {
				return problems(err)
			}
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return usageErr(fmt.Errorf("listen: %w", err))
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			done := make(chan struct{})
			defer close(done) // the reload loop ends with the server
			go func() {
				for {
					select {
					case <-done:
						return
					case <-hup:
					}
					if err := a.Reload(); err != nil {
						env.Logger.Error("reload failed; the running scopes and keys stay in force", "err", err)
						if lines := app.DiagLines(err); lines != "" {
							env.Logger.Error("scope problems", "diagnostics", lines)
						}
						continue
					}
					env.Logger.Info("reloaded scopes and identity keys")
				}
			}()
			env.Logger.Info("cxgate serving", "addr", ln.Addr().String(), "tls", cfg.TLS != nil, "connections", len(cfg.Connections))
			if err := app.Serve(ctx, srv, ln, 20*time.Second); err != nil {
				return problems(err)
			}
			env.Logger.Info("cxgate stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "gateway config file (see examples/cxgate.yaml)")
	return cmd
}
