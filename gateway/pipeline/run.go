package pipeline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
)

// Pipeline runs expert requests. Its fields are set once at start; it is
// safe for concurrent use.
type Pipeline struct {
	Tokenizer   Tokenizer
	Connections Connections
	Audit       Auditor
	Observer    Observer // nil: none
	Logger      *slog.Logger
	// TokenizerTimeout bounds each tokenizer round trip (0: the caller's
	// deadline only). Past it the answer is withheld (tokenizer_unavailable).
	TokenizerTimeout time.Duration
	// AuditKey, when set, lets the audit log show PII lookup values as a
	// keyed hash (h:...) so an investigator can correlate them; without it
	// they show as [withheld].
	AuditKey []byte
	Now      func() time.Time
}

// Request is one operation call, decoded by the HTTP layer.
type Request struct {
	RequestID      string
	Policy         *Policy
	Principal      scopes.Principal
	Target         scopes.Target
	Params         map[string]json.RawMessage
	Input          map[string]any
	IdempotencyKey string
}

// Response is the protected answer: one record (read, update) or a list (search).
type Response struct {
	Data any
}

func (p *Pipeline) observer() Observer {
	if p.Observer == nil {
		return noopObserver{}
	}
	return p.Observer
}

func (p *Pipeline) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Pipeline) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Run executes one operation. The returned error is an *Error. An audit
// record is written in every outcome; if it cannot be written, whatever
// the outcome was is replaced by audit_unavailable and nothing is answered.
func (p *Pipeline) Run(ctx context.Context, req Request) (resp Response, err error) {
	start := p.now()
	rec := &audit.Record{
		RequestID: req.RequestID, Expert: req.Principal.Subject,
		Client: req.Target.Client, Inquiry: req.Target.Inquiry, Operation: req.Target.Operation,
	}
	var wrote bool
	defer func() {
		if v := recover(); v != nil {
			// The HTTP layer answers a panic with 500 internal; the audit
			// record says so too (never "ok"), then the panic goes on.
			_ = p.finish(rec, start, fail(CodeInternal, "", errors.New("panic")))
			panic(v)
		}
		if e := p.finish(rec, start, err); e != nil {
			resp, err = Response{}, e
		}
		if err != nil && wrote {
			e := AsError(err)
			e.Written = true
			err = e
		}
	}()

	d := req.Policy.Set.Decide(req.Principal, req.Target)
	if !d.Allowed {
		// Names the expert sent that the scopes do not know stay out of
		// the audit log and the answer (they are free text, and could be
		// anything the caller typed): the record keeps the known ones and
		// the reasons say "of that name".
		_, known := req.Policy.Set.Client(req.Target.Client)
		switch {
		case d.Client == nil && !known:
			rec.Client, rec.Inquiry, rec.Operation = "", "", ""
		case d.Client == nil:
			rec.Inquiry, rec.Operation = "", ""
		case d.Inquiry == nil:
			rec.Inquiry, rec.Operation = "", ""
		case d.Code == CodeNotFound:
			rec.Operation = ""
		}
		rs := withoutUnknownNames(d)
		rec.Decision = reasons(rs)
		return Response{}, &Error{Code: d.Code, Detail: denialDetail(rs)}
	}
	rec.Decision = reasons(d.Reasons)
	op := d.Operation
	rec.Action, rec.Resource = string(op.Action), op.Resource

	lookups, perrs := checkParams(op, req.Params)
	var writes []write
	if op.Action == scopes.Update {
		var ierrs []ParamError
		writes, ierrs = checkInputs(op, req.Input)
		perrs = append(perrs, ierrs...)
	} else if len(req.Input) > 0 {
		perrs = append(perrs, ParamError{Name: "input", Message: "only update operations take input"})
	}
	if len(perrs) > 0 {
		return Response{}, invalid(perrs)
	}
	rec.Lookup = p.auditLookups(lookups)
	for _, w := range writes {
		rec.Inputs = append(rec.Inputs, audit.Field{Path: w.in.Path.String(), Rule: string(w.in.Kind)})
	}

	conn, ok := p.Connections.Connector(d.Client.Connection)
	if !ok {
		return Response{}, fail(CodeUpstreamUnavailable, "the client's system is not connected", fmt.Errorf("connection %q is not open", d.Client.Connection))
	}

	// Text the expert writes goes through the client's content filter.
	f := req.Policy.Filter(d.Client.ID)
	for i := range writes {
		if writes[i].in.Kind != scopes.InputText {
			continue
		}
		res, ferr := f.Mask(writes[i].value.(string))
		if ferr != nil {
			return Response{}, invalid([]ParamError{{Name: "input." + writes[i].in.Path.String(), Message: "text could not be filtered (too large?)"}})
		}
		writes[i].value = res.Text
	}

	// Swap tokens for real values just before the connector call: one
	// batched call for every token param and input.
	if err := p.detokenize(ctx, d.Client.ID, lookups, writes); err != nil {
		return Response{}, err
	}

	match := make([]connectors.Criterion, len(lookups))
	for i, l := range lookups {
		match[i] = connectors.Criterion{Key: l.name, Value: l.value}
	}
	q := connectors.Query{Resource: op.Resource, Match: match, Fields: op.Paths(), Limit: op.Limit}
	callStart := time.Now()
	var records []connectors.Record
	var single bool
	switch op.Action {
	case scopes.Read:
		r, cerr := conn.Read(ctx, q)
		err, records, single = cerr, []connectors.Record{r}, true
	case scopes.Search:
		records, err = conn.Search(ctx, q)
	case scopes.Update:
		set := make([]connectors.Assignment, len(writes))
		for i, w := range writes {
			set[i] = connectors.Assignment{Field: w.in.Path, Value: w.value}
		}
		// A write is recorded before it happens: if even that record
		// cannot be written, nothing is written to the client's system.
		// The record of the outcome follows as for every request.
		intent := *rec
		intent.Outcome, intent.Status, intent.Stage = "pending", 0, "write_intent"
		if werr := p.Audit.Write(&intent); werr != nil {
			p.log().Error("audit write failed before a write; nothing written", "request", rec.RequestID, "err", werr)
			return Response{}, &Error{Code: CodeAuditUnavailable, Detail: "the write could not be recorded, so it was not made", Err: werr}
		}
		r, cerr := conn.Update(ctx, connectors.Update{Resource: op.Resource, Match: match, Set: set, Fields: op.Paths(), IdempotencyKey: req.IdempotencyKey})
		err, records, single = cerr, []connectors.Record{r}, true
		wrote = cerr == nil
	default:
		return Response{}, fail(CodeInternal, "", fmt.Errorf("action %q", op.Action))
	}
	// The real values are no longer needed.
	for i := range lookups {
		if lookups[i].token != "" {
			lookups[i].value = ""
		}
	}
	p.log().DebugContext(ctx, "connector call", "connection", d.Client.Connection, "resource", op.Resource,
		"action", string(op.Action), "records", len(records), "kind", string(connectors.KindOf(err)),
		"ms", time.Since(callStart).Milliseconds())
	if err != nil {
		hp := connectors.ProblemFor(err)
		return Response{}, &Error{Code: hp.Code, Detail: connectorDetail(hp.Code), RetryAfter: hp.RetryAfter, Err: err}
	}

	pr := &protector{op: op, filter: f}
	idKey := keptID(op)
	out := make([]any, len(records))
	for i, r := range records {
		rec.Records = appendID(rec.Records, r, idKey)
		out[i] = op.Tree().Project(r, pr.visit)
	}
	minted, err := p.vaultCalls(ctx, d.Client.ID, pr)
	if err != nil {
		return Response{}, err
	}
	rec.Tokens = minted
	if pr.withheld > 0 {
		// Counts only: the values themselves never reach a log.
		p.log().WarnContext(ctx, "field values withheld: protection could not run on them (for example scrub text over the filter's limit)",
			"request", rec.RequestID, "client", d.Client.ID, "resource", op.Resource, "withheld", pr.withheld)
	}
	for t, n := range pr.findings {
		rec.Findings += n
		p.observer().AddFindings(d.Client.ID, string(t), n)
	}
	for _, fd := range op.Fields {
		rec.Fields = append(rec.Fields, audit.Field{Path: fd.Path.String(), Rule: string(fd.Rule)})
	}
	if single {
		return Response{Data: out[0]}, nil
	}
	return Response{Data: out}, nil
}

// detokenize swaps every token param and token input for its value, in one
// call. A token of another client or PII type, or tampered, or expired,
// is an invalid param naming which; a tokenizer that cannot run
// withholds the request.
func (p *Pipeline) detokenize(ctx context.Context, client string, lookups []lookup, writes []write) error {
	var toks []string
	type slot struct {
		name string
		typ  pii.Type
		set  func(string)
	}
	var slots []slot
	for i := range lookups {
		if lookups[i].token != "" {
			l := &lookups[i]
			toks = append(toks, l.token)
			slots = append(slots, slot{l.name, l.typ, func(v string) { l.value = v }})
		}
	}
	for i := range writes {
		if writes[i].token != "" {
			w := &writes[i]
			tok, _ := pii.ParseToken(w.token)
			toks = append(toks, w.token)
			slots = append(slots, slot{"input." + w.in.Path.String(), tok.Type, func(v string) { w.value = v }})
		}
	}
	if len(toks) == 0 {
		return nil
	}
	var items []pii.Item
	_, err := p.timed(ctx, "detokenize", func(ctx context.Context) ([]string, error) {
		var derr error
		items, derr = p.Tokenizer.Detokenize(ctx, client, toks)
		return nil, derr
	})
	var be *pii.BatchError
	if errors.As(err, &be) {
		var perrs []ParamError
		for _, it := range be.Items {
			if it.Index >= 0 && it.Index < len(slots) {
				perrs = append(perrs, ParamError{Name: slots[it.Index].name, Message: detokenizeMessage(it.Err)})
			}
		}
		if len(perrs) == 0 {
			return fail(CodeInternal, "", err)
		}
		return invalid(perrs)
	}
	if err != nil {
		if errors.Is(err, pii.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			return fail(CodeTokenizerUnavailable, "tokens could not be checked, so nothing was asked of the client's system", err)
		}
		if errors.Is(err, pii.ErrInvalidToken) || errors.Is(err, pii.ErrExpired) {
			return invalid([]ParamError{{Name: slots[0].name, Message: detokenizeMessage(err)}})
		}
		return fail(CodeInternal, "", err)
	}
	if len(items) != len(slots) {
		return fail(CodeInternal, "", errors.New("tokenizer answered a different number of items"))
	}
	for i, it := range items {
		if it.Type != slots[i].typ {
			return invalid([]ParamError{{Name: slots[i].name, Message: detokenizeMessage(pii.ErrInvalidToken)}})
		}
		slots[i].set(it.Value)
	}
	return nil
}

// finish completes and writes the audit record. It returns a replacement
// error when the record could not be written.
func (p *Pipeline) finish(rec *audit.Record, start time.Time, err error) *Error {
	rec.LatencyMS = float64(p.now().Sub(start).Microseconds()) / 1000
	rec.Outcome, rec.Status = "ok", 200
	if err != nil {
		e := AsError(err)
		rec.Outcome, rec.Status = e.Code, StatusOf(e.Code)
	}
	if werr := p.Audit.Write(rec); werr != nil {
		p.log().Error("audit write failed; answer withheld", "request", rec.RequestID, "err", werr)
		return fail(CodeAuditUnavailable, "the access could not be recorded, so nothing is answered", werr)
	}
	return nil
}

// StatusOf is the HTTP status of a pipeline code.
func StatusOf(code string) int {
	switch code {
	case CodeForbidden, "mfa_required", "tier_too_low", "location_denied":
		return 403
	case CodeNotFound:
		return 404
	case CodeInvalidParams:
		return 400
	case CodeRateLimited:
		return 429
	case CodeUpstreamUnavailable, CodeTokenizerUnavailable, CodeAuditUnavailable:
		return 503
	case CodeUpstreamError:
		return 502
	case "unauthenticated":
		return 401
	// Refusals the HTTP layer makes before the pipeline (it audits them
	// through Reject).
	case "payload_too_large":
		return 413
	case "unsupported_media_type":
		return 415
	case "idempotency_conflict":
		return 409
	case "method_not_allowed":
		return 405
	}
	return 500
}

func connectorDetail(code string) string {
	switch code {
	case CodeNotFound:
		return "no matching record"
	case CodeInvalidParams:
		return "the client's system refused the request as invalid"
	case CodeRateLimited:
		return "the client's system is rate limiting; retry later"
	case CodeUpstreamUnavailable:
		return "the client's system is unavailable or too slow; retry later"
	}
	return "the client's system could not answer"
}

// withoutUnknownNames rewrites the message of a check that failed on a
// name the scopes do not know (client, inquiry, operation), which would
// otherwise quote the caller's text.
func withoutUnknownNames(d scopes.Decision) []scopes.Reason {
	rs := append([]scopes.Reason(nil), d.Reasons...)
	for i := range rs {
		if rs[i].Passed {
			continue
		}
		switch {
		case rs[i].Check == scopes.CheckClient:
			// The same words whether the client exists or not (as on the
			// list and filter routes), so a refusal does not reveal which
			// clients are served here.
			rs[i].Message = "no client of that name is served here for this expert"
		case rs[i].Check == scopes.CheckInquiry && d.Client != nil:
			rs[i].Message = "client " + d.Client.ID + " has no inquiry of that name"
		case rs[i].Check == scopes.CheckOperation && d.Inquiry != nil:
			rs[i].Message = "inquiry " + d.Inquiry.ID + " has no operation of that name"
		}
	}
	return rs
}

// denialDetail joins the failed checks' messages (as Decision.Err does).
func denialDetail(rs []scopes.Reason) string {
	var msgs []string
	for _, r := range rs {
		if !r.Passed {
			msgs = append(msgs, r.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

func reasons(rs []scopes.Reason) []audit.Reason {
	out := make([]audit.Reason, 0, len(rs))
	for _, r := range rs {
		code := string(r.Check)
		if !r.Passed {
			code = r.Code
		}
		ar := audit.Reason{Code: code, Message: r.Message}
		if !r.Pos.IsZero() {
			ar.Where = fmt.Sprintf("%s:%d", r.Pos.File, r.Pos.Line)
		}
		out = append(out, ar)
	}
	return out
}

// auditLookups shows non-PII lookup values (order numbers, ids) as they
// are and PII values only as a keyed hash, or not at all.
func (p *Pipeline) auditLookups(ls []lookup) []audit.Lookup {
	out := make([]audit.Lookup, 0, len(ls))
	for _, l := range ls {
		v := l.value
		if l.pii {
			v = "[withheld]"
			if len(p.AuditKey) > 0 {
				src := l.value
				if l.token != "" {
					src = l.token
				}
				m := hmac.New(sha256.New, p.AuditKey)
				m.Write([]byte(string(l.typ) + "\x00" + src))
				v = "h:" + hex.EncodeToString(m.Sum(nil))[:24]
			}
		}
		out = append(out, audit.Lookup{Key: l.name, Value: v})
	}
	return out
}

// keptID names the record id field ("id" or "Id") when the scope returns
// it in clear; "" otherwise. The audit log never holds more of a record
// than its scope showed the expert, so an id under any other rule stays out.
func keptID(op *scopes.Operation) string {
	for _, k := range []string{"id", "Id"} {
		if f, ok := op.Field(k); ok && f.Rule == scopes.Keep {
			return k
		}
	}
	return ""
}

// appendID records a returned record's id (the field keptID named).
func appendID(ids []string, r connectors.Record, key string) []string {
	if key == "" {
		return ids
	}
	switch v := r[key].(type) {
	case string:
		if v != "" && len(v) <= 128 {
			return append(ids, v)
		}
	case float64:
		return append(ids, scalarText(v))
	case json.Number:
		return append(ids, v.String())
	}
	return ids
}
