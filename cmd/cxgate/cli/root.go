package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/internal/logging"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0
	ExitProblems = 1 // problems found, exposure grows, a check failed
	ExitUsage    = 2 // bad usage, unreadable input, I/O error
)

// Env is what commands read and write instead of globals.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string

	// Logger is set before any command runs, from --log-level/--log-format.
	Logger *slog.Logger
}

// exitError carries an exit code. With a nil err nothing more is printed
// (the command already reported, e.g. diagnostics).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// problems ends a command with exit 1; err may be nil when already reported.
func problems(err error) error { return &exitError{code: ExitProblems, err: err} }

// usageErr ends a command with exit 2 (bad usage, unreadable file, I/O).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// Execute runs cxgate with args and returns the exit code.
func Execute(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	root := newRoot(&env)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(env.Stderr, "cxgate: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintf(env.Stderr, "cxgate: %v\n", err)
	return ExitUsage
}

func newRoot(env *Env) *cobra.Command {
	var level, format string
	root := &cobra.Command{
		Use:           "cxgate",
		Short:         "The PII-minimising gateway between expert platforms and client CRMs",
		Long:          "cxgate mediates every expert's access to client systems: scopes decide what each inquiry may see,\nVault tokenizes personal data, the content filter scrubs free text, and every access is audited.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logging.New(env.Stderr, logging.Options{Level: level, Format: format})
			if err != nil {
				return usageErr(err)
			}
			env.Logger = log
			return nil
		},
	}
	root.PersistentFlags().StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&format, "log-format", "text", "log format: text or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(
		newScopesCmd(env),
		newVaultCmd(env),
		newConnectorsCmd(env),
		newFilterCmd(env),
		newAuditCmd(env),
		newServeCmd(env),
		newDevCmd(env),
	)
	return root
}
