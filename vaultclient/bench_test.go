package vaultclient

import (
	"context"
	"fmt"
	"testing"

	"github.com/cxgate/cxgate/pii"
)

// The benchmarks run against the real dev server over loopback (shared
// with the tests, on the same cores). Each size runs three ways in the same
// run: N single-item calls (the baseline a naive caller would pay), one
// batch call, and the local tokenizer. The items/s metric compares them.
//
//	go test ./vaultclient -run '^$' -bench . -benchtime 2s

var benchSizes = []int{1, 10, 100, 1000}

func benchItems(n int) []pii.Item {
	items := make([]pii.Item, n)
	for i := range items {
		items[i] = pii.Item{Type: pii.Email, Value: fmt.Sprintf("customer%04d@example.com", i)}
	}
	return items
}

// prepared runs the benchmarked operation on items[lo:hi].
type prepared func(lo, hi int) error

func benchTokenizers(b *testing.B, prepare func(tk tokenizer, client string, items []pii.Item) (prepared, error)) {
	f := sharedFixture(b)
	client := unique("bench")
	f.initKeys(b, client)
	vault := f.client(b)
	local, err := NewLocalRandom()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range benchSizes {
		items := benchItems(n)
		run := func(name string, tk tokenizer, batch bool) {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				call, err := prepare(tk, client, items)
				if err != nil {
					b.Fatal(err)
				}
				once := func() error {
					if batch {
						return call(0, n)
					}
					for i := 0; i < n; i++ {
						if err := call(i, i+1); err != nil {
							return err
						}
					}
					return nil
				}
				if err := once(); err != nil { // warm the key cache and the connection
					b.Fatal(err)
				}
				for b.Loop() {
					if err := once(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
			})
		}
		run("vault-single", vault, false)
		run("vault-batch", vault, true)
		run("local-batch", local, true)
	}
}

func BenchmarkTokenize(b *testing.B) {
	benchTokenizers(b, func(tk tokenizer, client string, items []pii.Item) (prepared, error) {
		return func(lo, hi int) error {
			_, err := tk.Tokenize(context.Background(), client, items[lo:hi])
			return err
		}, nil
	})
}

func BenchmarkHMAC(b *testing.B) {
	benchTokenizers(b, func(tk tokenizer, client string, items []pii.Item) (prepared, error) {
		return func(lo, hi int) error {
			_, err := tk.HMAC(context.Background(), client, items[lo:hi])
			return err
		}, nil
	})
}

func BenchmarkDetokenize(b *testing.B) {
	benchTokenizers(b, func(tk tokenizer, client string, items []pii.Item) (prepared, error) {
		toks, err := tk.Tokenize(context.Background(), client, items)
		if err != nil {
			return nil, err
		}
		return func(lo, hi int) error {
			_, err := tk.Detokenize(context.Background(), client, toks[lo:hi])
			return err
		}, nil
	})
}
