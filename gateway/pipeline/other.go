package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
)

// InquiryList answers GET /v1/clients/{client}/inquiries.
type InquiryList struct {
	Client    string         `json:"client"`
	Inquiries []InquiryEntry `json:"inquiries"`
}

// InquiryEntry is one inquiry the expert may use now.
type InquiryEntry struct {
	ID          string           `json:"id"`
	Description string           `json:"description"`
	Operations  []OperationEntry `json:"operations"`
}

// OperationEntry describes an operation's params and input for the expert
// platform's forms.
type OperationEntry struct {
	ID     string                `json:"id"`
	Action string                `json:"action"`
	Params map[string]ParamEntry `json:"params"`
	Input  map[string]InputEntry `json:"input,omitempty"`
}

// ParamEntry describes one param.
type ParamEntry struct {
	Type     string   `json:"type"`
	Required bool     `json:"required,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	PII      string   `json:"pii,omitempty"`
	Enum     []string `json:"enum,omitempty"`
}

// InputEntry describes one writable input.
type InputEntry struct {
	Kind string `json:"kind"`
	PII  string `json:"pii,omitempty"`
	Enum []any  `json:"enum,omitempty"`
}

// Inquiries lists what the expert may use of a client now. It is built on
// Set.Visible, which asks Decide, so it never shows what would be refused.
func (p *Pipeline) Inquiries(ctx context.Context, requestID string, pol *Policy, who scopes.Principal, client string) (list InquiryList, err error) {
	start := p.now()
	rec := &audit.Record{RequestID: requestID, Expert: who.Subject, Route: "inquiries"}
	defer func() {
		if e := p.finish(rec, start, err); e != nil {
			list, err = InquiryList{}, e
		}
	}()
	c, ok := pol.Set.Client(client)
	if !ok || !slices.Contains(who.Clients, client) {
		return InquiryList{}, &Error{Code: CodeForbidden, Detail: "no client of that name is served here for this expert"}
	}
	rec.Client = c.ID
	list = InquiryList{Client: c.ID, Inquiries: []InquiryEntry{}}
	for _, v := range pol.Set.Visible(who, c.ID) {
		e := InquiryEntry{ID: v.Inquiry.ID, Description: v.Inquiry.Description}
		for _, o := range v.Operations {
			oe := OperationEntry{ID: o.ID, Action: string(o.Action), Params: map[string]ParamEntry{}}
			for _, pa := range o.Params {
				oe.Params[pa.Name] = ParamEntry{Type: string(pa.Type), Required: pa.Required, Pattern: pa.PatternText, PII: string(pa.PII), Enum: pa.Enum}
			}
			for _, in := range o.Inputs {
				if oe.Input == nil {
					oe.Input = map[string]InputEntry{}
				}
				oe.Input[in.Path.String()] = InputEntry{Kind: string(in.Kind), PII: string(in.PII), Enum: in.Enum}
			}
			e.Operations = append(e.Operations, oe)
		}
		list.Inquiries = append(list.Inquiries, e)
	}
	return list, nil
}

// FilterRequest is POST /v1/clients/{client}/filter.
type FilterRequest struct {
	RequestID string
	Policy    *Policy
	Principal scopes.Principal
	Client    string
	Text      string
	Mode      string // "mask" (default) or "tokenize"
}

// Filter runs the client's content filter on text a customer typed. In
// tokenize mode the PII becomes tokens the expert can pass to token params
// without ever seeing the values (the customer data exchange).
func (p *Pipeline) Filter(ctx context.Context, req FilterRequest) (res filter.Result, err error) {
	start := p.now()
	rec := &audit.Record{RequestID: req.RequestID, Expert: req.Principal.Subject, Route: "filter"}
	defer func() {
		if e := p.finish(rec, start, err); e != nil {
			res, err = filter.Result{}, e
		}
	}()
	c, ok := req.Policy.Set.Client(req.Client)
	if !ok || !slices.Contains(req.Principal.Clients, req.Client) {
		return filter.Result{}, &Error{Code: CodeForbidden, Detail: "no client of that name is served here for this expert"}
	}
	rec.Client = c.ID
	f := req.Policy.Filter(c.ID)
	switch req.Mode {
	case "", "mask":
		res, err = f.Mask(req.Text)
	case "tokenize":
		res, err = f.Tokenize(ctx, tokenizeOnly{p}, c.ID, req.Text)
	default:
		return filter.Result{}, invalid([]ParamError{{Name: "mode", Message: "must be mask or tokenize"}})
	}
	if err != nil {
		switch {
		case errors.Is(err, filter.ErrTooLarge):
			return filter.Result{}, invalid([]ParamError{{Name: "text", Message: "is larger than the filter accepts"}})
		case errors.Is(err, pii.ErrUnavailable):
			return filter.Result{}, fail(CodeTokenizerUnavailable, "the text could not be tokenized, so nothing is returned", err)
		}
		return filter.Result{}, fail(CodeInternal, "", fmt.Errorf("filter: %w", err))
	}
	counts := map[pii.Type]int{}
	for _, fd := range res.Findings {
		counts[fd.Type]++
	}
	for t, n := range counts {
		p.observer().AddFindings(c.ID, string(t), n)
	}
	rec.Findings = len(res.Findings)
	if req.Mode == "tokenize" {
		rec.Tokens = len(res.Findings)
	}
	return res, nil
}

// tokenizeOnly adapts the pipeline's tokenizer (with its timeout and
// metrics) to the filter's Tokenizer interface.
type tokenizeOnly struct{ p *Pipeline }

func (t tokenizeOnly) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	return t.p.tokenize(ctx, client, items)
}

// Reject records a request refused before it reached the pipeline
// (unauthenticated, rate limited, malformed) and returns the error to
// answer with (audit_unavailable if even that cannot be recorded).
func (p *Pipeline) Reject(requestID, expert, route, code, detail string) error {
	rec := &audit.Record{RequestID: requestID, Expert: expert, Route: route}
	err := &Error{Code: code, Detail: detail}
	if e := p.finish(rec, p.now(), err); e != nil {
		return e
	}
	return err
}

// Replayed records an answer replayed for a retried write (same
// Idempotency-Key): the expert sees the stored answer again, so the access
// is audited like any other. The error is audit_unavailable when it cannot
// be recorded; the replay is then withheld.
//
// code is "" for a stored success, else the stored problem's code.
func (p *Pipeline) Replayed(requestID, expert, client, inquiry, operation, code string) error {
	rec := &audit.Record{RequestID: requestID, Expert: expert, Client: client, Inquiry: inquiry,
		Operation: operation, Route: "operation", Stage: "idempotent_replay"}
	var err error
	if code != "" {
		err = &Error{Code: code}
	}
	if e := p.finish(rec, p.now(), err); e != nil {
		return e
	}
	return nil
}
