package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// protector applies an operation's field rules to the leaves projection
// finds. Local rules (keep, mask, redact, scrub) apply at once; tokenize and
// hash leaves are gathered, each distinct (type, value) once, and filled in
// by one batched call each.
type protector struct {
	op     *scopes.Operation
	filter *filter.Filter

	tok, hash batch
	findings  map[pii.Type]int
	withheld  int
}

type batch struct {
	items  []pii.Item
	index  map[pii.Item]int
	leaves [][]*fieldpath.Leaf
}

func (b *batch) add(it pii.Item, l *fieldpath.Leaf) {
	if b.index == nil {
		b.index = map[pii.Item]int{}
	}
	i, ok := b.index[it]
	if !ok {
		i = len(b.items)
		b.index[it] = i
		b.items = append(b.items, it)
		b.leaves = append(b.leaves, nil)
	}
	b.leaves[i] = append(b.leaves[i], l)
}

func (b *batch) fill(out []string) {
	for i, v := range out {
		for _, l := range b.leaves[i] {
			l.Set(v)
		}
	}
}

// visit is the projection callback.
func (pr *protector) visit(l *fieldpath.Leaf) {
	if l.Value == nil {
		return // absence carries no value to protect
	}
	f := pr.op.Fields[l.Index]
	switch f.Rule {
	case scopes.Keep:
	case scopes.Mask:
		l.Set(scopes.MaskValue(f.Mask, l.Value))
	case scopes.Redact:
		l.Set(scopes.Redacted)
	case scopes.Tokenize:
		pr.tok.add(pii.Item{Type: f.PII, Value: scalarText(l.Value)}, l)
	case scopes.Hash:
		pr.hash.add(pii.Item{Type: f.PII, Value: scalarText(l.Value)}, l)
	case scopes.Scrub:
		res, err := pr.filter.Mask(scalarText(l.Value))
		if err != nil {
			// Too large or otherwise unfilterable: withhold this value.
			l.Set(nil)
			pr.withheld++
			return
		}
		for _, fd := range res.Findings {
			if pr.findings == nil {
				pr.findings = map[pii.Type]int{}
			}
			pr.findings[fd.Type]++
		}
		l.Set(res.Text)
	default:
		l.Set(nil) // a rule this build does not know: never pass the value
		pr.withheld++
	}
}

// scalarText is the text form of a JSON scalar.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// vaultCalls runs the tokenize and hash batches, concurrently, one round
// trip each, and fills the leaves. Any failure fails the whole answer.
func (p *Pipeline) vaultCalls(ctx context.Context, client string, pr *protector) (int, error) {
	var wg sync.WaitGroup
	var tokErr, hashErr error
	var toks, hashes []string
	// A panic in a tokenizer goroutine would end the process; it is caught
	// there and raised again here, on the request's goroutine, where Run
	// audits it and the HTTP layer answers 500.
	var panicked [2]any
	catch := func(i int) {
		if v := recover(); v != nil {
			panicked[i] = fmt.Sprintf("%v\n[tokenizer goroutine]\n%s", v, debug.Stack())
		}
	}
	if len(pr.tok.items) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer catch(0)
			toks, tokErr = p.tokenize(ctx, client, pr.tok.items)
		}()
	}
	if len(pr.hash.items) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer catch(1)
			hashes, hashErr = p.timed(ctx, "hmac", func(ctx context.Context) ([]string, error) {
				return p.Tokenizer.HMAC(ctx, client, pr.hash.items)
			})
		}()
	}
	wg.Wait()
	for _, v := range panicked {
		if v != nil {
			panic(v)
		}
	}
	if err := errors.Join(tokErr, hashErr); err != nil {
		return 0, tokenizerError(err)
	}
	if len(toks) != len(pr.tok.items) || len(hashes) != len(pr.hash.items) {
		return 0, fail(CodeInternal, "", errors.New("tokenizer answered a different number of items"))
	}
	pr.tok.fill(toks)
	pr.hash.fill(hashes)
	return len(toks), nil
}

// tokenize is the one place the pipeline mints tokens (answers and the
// filter endpoint): bounded by the tokenizer timeout, timed, and counted
// by PII type.
func (p *Pipeline) tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	out, err := p.timed(ctx, "tokenize", func(ctx context.Context) ([]string, error) {
		return p.Tokenizer.Tokenize(ctx, client, items)
	})
	if err != nil {
		return nil, err
	}
	counts := map[pii.Type]int{}
	for _, it := range items {
		counts[it.Type]++
	}
	for t, n := range counts {
		p.observer().AddTokens(client, string(t), n)
	}
	return out, nil
}

func (p *Pipeline) timed(ctx context.Context, op string, call func(context.Context) ([]string, error)) ([]string, error) {
	if p.TokenizerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.TokenizerTimeout)
		defer cancel()
	}
	start := time.Now()
	out, err := call(ctx)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		if errors.Is(err, pii.ErrUnavailable) {
			outcome = "unavailable"
		}
	}
	p.observer().ObserveTokenizer(op, outcome, time.Since(start).Seconds())
	return out, err
}

// tokenizerError maps a tokenizer failure on the response path. Whatever
// it was, the answer is withheld.
func tokenizerError(err error) *Error {
	if errors.Is(err, pii.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return fail(CodeTokenizerUnavailable, "personal data in the answer could not be protected, so nothing is returned", err)
	}
	return fail(CodeInternal, "personal data in the answer could not be protected, so nothing is returned", err)
}
