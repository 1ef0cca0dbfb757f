package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/vaultclient"
)

// newFilterCmd is `cxgate filter`: the content filter on stdin.
func newFilterCmd(env *Env) *cobra.Command {
	var (
		mode     string
		jsonl    bool
		regions  []string
		allow    []string
		types    []string
		client   string
		keyFile  string
		maxInput int
	)
	cmd := &cobra.Command{
		Use:   "filter",
		Short: "Find and protect PII in text on stdin",
		Long: `Reads text on stdin and writes it with personal data masked ("[EMAIL]") or tokenized.

Plain mode reads all of stdin as one text and writes the filtered text.
With --jsonl each input line is {"id":..,"text":".."} and each output line is
{"id":..,"text":"<filtered>","findings":[{"type":"EMAIL","start":N,"end":M}]},
in the same order; offsets are Unicode code points into the input text, end
exclusive. A bad line stops the run with exit 2 naming the line; the lines
before it have already been written, each complete and filtered.

--mode tokenize uses the local development tokenizer: tokens are bound to
--client and to the key in --key-file (without it a random key is used and
the tokens mean nothing after this run).`,
		Example: `  echo 'mail me: sarah@example.com' | cxgate filter
  cxgate filter --jsonl --regions US,GB --allow 'ACME-[0-9]{8}' < messages.jsonl
  cxgate filter --mode tokenize --client acme-retail --key-file dev.key < note.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := filter.Config{PhoneRegions: regions, MaxInput: maxInput}
			for _, a := range allow {
				re, err := regexp.Compile(a)
				if err != nil {
					return usageErr(fmt.Errorf("--allow %q: %w", a, err))
				}
				cfg.Allow = append(cfg.Allow, re)
			}
			for _, t := range types {
				pt, err := pii.Parse(t)
				if err != nil {
					return usageErr(fmt.Errorf("--types: %w", err))
				}
				cfg.Types = append(cfg.Types, pt)
			}
			f, err := filter.New(cfg)
			if err != nil {
				return usageErr(err)
			}
			max := maxInput
			if max == 0 {
				max = filter.DefaultMaxInput
			}
			apply, err := filterApply(env, f, mode, client, keyFile)
			if err != nil {
				return usageErr(err)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if jsonl {
				err := filter.StreamJSONL(ctx, env.Stdin, env.Stdout, max, apply)
				return filterExit(err)
			}
			text, err := io.ReadAll(io.LimitReader(env.Stdin, int64(max)+1))
			if err != nil {
				return usageErr(fmt.Errorf("read stdin: %w", err))
			}
			if len(text) > max {
				return usageErr(fmt.Errorf("stdin is larger than %d bytes (raise --max-input or split the input)", max))
			}
			res, err := apply(ctx, string(text))
			if err != nil {
				return filterExit(err)
			}
			if _, err := io.WriteString(env.Stdout, res.Text); err != nil {
				return usageErr(err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&mode, "mode", "mask", "mask (placeholders such as [EMAIL]) or tokenize (cxgate tokens)")
	fl.BoolVar(&jsonl, "jsonl", false, `read {"id","text"} lines, write {"id","text","findings"} lines`)
	fl.StringSliceVar(&regions, "regions", nil, "phone regions for national formats, ISO 3166-1 alpha-2 (default US,GB,DE,FR,IN,BR)")
	fl.StringArrayVar(&allow, "allow", nil, "a regular expression (RE2) for the client's own ids; matches are never PII (repeatable)")
	fl.StringSliceVar(&types, "types", nil, "only these PII types (default all)")
	fl.StringVar(&client, "client", "", "client the tokens are minted for (tokenize mode)")
	fl.StringVar(&keyFile, "key-file", "", "local tokenizer key file: 32 bytes raw, base64 or hex (tokenize mode)")
	fl.IntVar(&maxInput, "max-input", filter.DefaultMaxInput, "largest input in bytes (per line with --jsonl)")
	return cmd
}

// filterApply picks Mask or Tokenize for the chosen mode.
func filterApply(env *Env, f *filter.Filter, mode, client, keyFile string) (filter.Apply, error) {
	switch mode {
	case "mask":
		if client != "" || keyFile != "" {
			return nil, errors.New("--client and --key-file apply to --mode tokenize only")
		}
		return func(_ context.Context, text string) (filter.Result, error) { return f.Mask(text) }, nil
	case "tokenize":
		if strings.TrimSpace(client) == "" {
			return nil, errors.New("--mode tokenize needs --client (tokens are bound to a client)")
		}
		var tok *vaultclient.Local
		if keyFile != "" {
			key, err := vaultclient.ReadLocalKey(keyFile)
			if err != nil {
				return nil, fmt.Errorf("--key-file: %w", err)
			}
			if tok, err = vaultclient.NewLocal(key); err != nil {
				return nil, fmt.Errorf("--key-file: %w", err)
			}
		} else {
			var err error
			if tok, err = vaultclient.NewLocalRandom(); err != nil {
				return nil, err
			}
			env.Logger.Warn("no --key-file: tokens are minted under a random key and cannot be detokenized after this run")
		}
		return func(ctx context.Context, text string) (filter.Result, error) {
			return f.Tokenize(ctx, tok, client, text)
		}, nil
	}
	return nil, fmt.Errorf("--mode %q: want mask or tokenize", mode)
}

// filterExit maps filter errors to exit codes: bad or oversized input is a
// usage error (2); a tokenizer failure is a problem (1), and no text was
// written for the failing input.
func filterExit(err error) error {
	if err == nil {
		return nil
	}
	var le *filter.LineError
	if errors.As(err, &le) {
		err = fmt.Errorf("stdin:%d: %w", le.Line, le.Err)
	}
	if errors.Is(err, filter.ErrTooLarge) || errors.Is(err, filter.ErrBadLine) {
		return usageErr(err)
	}
	if errors.Is(err, context.Canceled) {
		return usageErr(err)
	}
	return problems(err)
}
