package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/pipeline"
	"github.com/cxgate/cxgate/internal/logging"
	"github.com/cxgate/cxgate/scopes"
)

// Verifier turns a bearer assertion into a principal (authn.Verifier).
type Verifier interface {
	Verify(ctx context.Context, raw string) (authn.Principal, error)
}

// ReadyCheck is one readiness condition (Vault reachable and unsealed, ...).
// A failing check makes /readyz answer 503, unless it is Advisory: an open
// circuit breaker of one CRM is reported ("degraded") but does not take
// the replica out of the load balancer, since every replica shares that
// CRM and marking them all unready would cut off every other client too.
type ReadyCheck struct {
	Name     string
	Check    func(ctx context.Context) error
	Advisory bool
}

// Unauthenticated requests audited per source address: a steady 5 per
// second with bursts of 50, far above what a misconfigured client sends.
const (
	unauthPerSecond = 5
	unauthBurst     = 50
)

// Options configure a Server.
type Options struct {
	Logger         *slog.Logger
	Metrics        *Metrics
	Verifier       Verifier
	Pipeline       *pipeline.Pipeline
	TrustedProxies []netip.Prefix
	MaxBody        int64   // bytes; default 1 MiB
	PerExpert      float64 // requests per second per expert; 0 = unlimited
	PerClient      float64 // requests per second per client; 0 = unlimited
	// RequestTimeout bounds the handling of one /v1 request (default 30s).
	RequestTimeout time.Duration
	IdempotencyTTL time.Duration // default 24h
	Ready          []ReadyCheck
	Version        string
	Now            func() time.Time
}

// Server is the gateway's http.Handler. Its policy (scope set and derived
// filters) can be swapped while it serves (SIGHUP).
type Server struct {
	opts      Options
	policy    atomic.Pointer[pipeline.Policy]
	handler   http.Handler
	perExpert *limiterSet
	perClient *limiterSet
	// unauthBucket bounds audited refusals of unauthenticated requests per
	// source address.
	unauthBucket *limiterSet
	idem         *idempotency
	log          *slog.Logger
	// paths matches the routes' paths whatever the method, so that a
	// known path with the wrong method is told apart from an unknown one.
	paths *http.ServeMux
}

// New builds a server serving pol.
func New(opts Options, pol *pipeline.Policy) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.IdempotencyTTL <= 0 {
		opts.IdempotencyTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	s := &Server{
		opts:         opts,
		perExpert:    newLimiterSet(opts.PerExpert, 0, opts.Now),
		perClient:    newLimiterSet(opts.PerClient, 0, opts.Now),
		unauthBucket: newLimiterSet(unauthPerSecond, unauthBurst, opts.Now),
		idem:         newIdempotency(opts.IdempotencyTTL, 100_000, opts.Now),
		log:          opts.Logger,
	}
	s.policy.Store(pol)
	mux := http.NewServeMux()
	mux.Handle("GET /v1/clients/{client}/inquiries", s.v1(s.listInquiries))
	mux.Handle("POST /v1/clients/{client}/inquiries/{inquiry}/operations/{operation}", s.v1(s.runOperation))
	mux.Handle("POST /v1/clients/{client}/filter", s.v1(s.filterText))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.Handle("GET /openapi.json", openAPIHandler(opts.Version))
	mux.HandleFunc("/", s.notFound)
	s.paths = pathsOnly(openAPIRoutes)
	s.handler = withBasics(opts.Logger, opts.MaxBody, routeOf, canonicalOnly(mux))
	return s
}

// routeOf names a request by its route pattern, never its raw path (which
// could hold anything a caller typed).
func routeOf(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return "unmatched"
	}
	return r.Pattern
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// SetPolicy swaps the scope set in force; requests in flight finish with the old one.
func (s *Server) SetPolicy(p *pipeline.Policy) { s.policy.Store(p) }

// Policy returns the policy in force.
func (s *Server) Policy() *pipeline.Policy { return s.policy.Load() }

// reqInfo is what a /v1 handler gets after authentication and limits.
type reqInfo struct {
	id     string
	who    scopes.Principal
	policy *pipeline.Policy
	client string
}

// v1 wraps an API handler: authentication, rate limits, a deadline, and
// the mapping of errors to problems. Requests refused here are audited too.
func (s *Server) v1(h func(w http.ResponseWriter, r *http.Request, in reqInfo) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := logging.RequestID(r.Context())
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		labels := [3]string{"unknown", "", ""}
		err := func() error {
			raw, err := authn.BearerToken(r)
			if err != nil {
				detail := "an expert assertion is required: Authorization: Bearer <JWT>"
				if r.Header.Get("Authorization") != "" {
					detail = "the Authorization header does not hold a well-formed Bearer assertion"
				}
				return s.unauthenticated(r, id, detail)
			}
			p, err := s.opts.Verifier.Verify(ctx, raw)
			if err != nil {
				detail := "the expert assertion is not valid"
				var ae *authn.Error
				if errors.As(err, &ae) {
					detail = "the expert assertion is not valid: " + ae.Reason
				}
				return s.unauthenticated(r, id, detail)
			}
			pol := s.policy.Load()
			in := reqInfo{id: id, policy: pol, client: r.PathValue("client"), who: scopes.Principal{
				Subject: p.Subject, Tier: p.Tier, MFA: p.MFA, Country: p.Country, Clients: p.Clients,
				IP: authn.ClientIP(r, s.opts.TrustedProxies),
			}}
			if c, ok := pol.Set.Client(in.client); ok {
				labels[0] = c.ID
				if q, ok := c.Inquiry(r.PathValue("inquiry")); ok {
					labels[1] = q.ID
					if o, ok := q.Operation(r.PathValue("operation")); ok {
						labels[2] = o.ID
					}
				}
			}
			if ok, wait := s.perExpert.allow(p.Subject); !ok {
				return s.limited(id, p.Subject, wait, "this expert")
			}
			if ok, wait := s.perClient.allow(labels[0]); !ok {
				return s.limited(id, p.Subject, wait, "this client")
			}
			return h(w, r, in)
		}()
		outcome := "ok"
		if err != nil {
			pr := s.problem(err)
			pr.RequestID = id
			outcome = pr.Code
			if pr.Status >= 500 {
				s.log.ErrorContext(ctx, "request failed", "code", pr.Code, "err", pr.Err)
			} else {
				s.log.DebugContext(ctx, "request refused", "code", pr.Code, "err", pr.Err)
			}
			if pr.Code == CodeAuditUnavailable {
				s.opts.Metrics.AuditFailed()
			}
			WriteProblem(w, pr)
		}
		s.opts.Metrics.ObserveRequest(labels[0], labels[1], labels[2], outcome, time.Since(start).Seconds())
	})
}

// unauthenticated refuses a request without a valid assertion. Such
// refusals are audited, but only up to a rate per source address: beyond
// it a flood of forged requests is answered 429 and counted in metrics
// without growing the audit log.
func (s *Server) unauthenticated(r *http.Request, id, detail string) error {
	ip := authn.ClientIP(r, s.opts.TrustedProxies)
	if ok, wait := s.unauthBucket.allow(ip.String()); !ok {
		s.opts.Metrics.UnauthenticatedDropped()
		p := NewProblem(CodeRateLimited, "too many requests without a valid expert assertion from this address")
		p.RetryAfter = wait
		return p
	}
	return s.opts.Pipeline.Reject(id, "", "v1", CodeUnauthenticated, detail)
}

func (s *Server) limited(id, expert string, wait time.Duration, who string) error {
	err := s.opts.Pipeline.Reject(id, expert, "v1", CodeRateLimited, "too many requests for "+who)
	var pe *pipeline.Error
	if errors.As(err, &pe) && pe.Code == CodeRateLimited {
		pe.RetryAfter = wait
	}
	return err
}

// problem maps any error to a problem.
func (s *Server) problem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	pe := pipeline.AsError(err)
	pr := NewProblem(pe.Code, pe.Detail)
	pr.RetryAfter = pe.RetryAfter
	pr.Err = pe.Err
	for _, e := range pe.Params {
		pr.Params = append(pr.Params, ParamError{Name: e.Name, Message: e.Message})
	}
	return pr
}

func (s *Server) listInquiries(w http.ResponseWriter, r *http.Request, in reqInfo) error {
	list, err := s.opts.Pipeline.Inquiries(r.Context(), in.id, in.policy, in.who, in.client)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

type operationBody struct {
	Params map[string]json.RawMessage `json:"params"`
	Input  map[string]any             `json:"input"`
}

// refuse audits a request refused before it reached the pipeline (a body
// that does not decode, a bad or conflicting Idempotency-Key): every
// outcome of a /v1 request is recorded. It returns the problem to answer,
// or audit_unavailable when even the refusal could not be recorded.
func (s *Server) refuse(in reqInfo, route string, err error) error {
	p := AsProblem(err)
	if aerr := s.opts.Pipeline.Reject(in.id, in.who.Subject, route, p.Code, p.Detail); pipeline.AsError(aerr).Code == CodeAuditUnavailable {
		return aerr
	}
	return p
}

func (s *Server) runOperation(w http.ResponseWriter, r *http.Request, in reqInfo) error {
	body, err := readBody(r)
	if err != nil {
		return s.refuse(in, "operation", err)
	}
	var req operationBody
	if err := decodeStrict(body, &req); err != nil {
		return s.refuse(in, "operation", err)
	}
	target := scopes.Target{Client: in.client, Inquiry: r.PathValue("inquiry"), Operation: r.PathValue("operation")}
	run := func() (int, []byte, error) {
		resp, err := s.opts.Pipeline.Run(r.Context(), pipeline.Request{
			RequestID: in.id, Policy: in.policy, Principal: in.who, Target: target,
			Params: req.Params, Input: req.Input, IdempotencyKey: r.Header.Get("Idempotency-Key"),
		})
		if err != nil {
			return 0, nil, err
		}
		out, err := json.Marshal(map[string]any{"data": resp.Data, "request_id": in.id})
		if err != nil {
			return 0, nil, fmt.Errorf("encode answer: %w", err)
		}
		return http.StatusOK, out, nil
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		status, out, err := run()
		if err != nil {
			return err
		}
		writeRaw(w, status, out)
		return nil
	}
	if len(key) > 128 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return s.refuse(in, "operation", NewProblem(CodeInvalidParams, "Idempotency-Key must be 1-128 printable ASCII characters"))
	}
	sum := sha256.Sum256(body)
	scope := strings.Join([]string{in.who.Subject, target.Client, target.Inquiry, target.Operation, key}, "\x00")
	replay, finish, err := s.idem.begin(r.Context(), scope, hex.EncodeToString(sum[:]))
	if err != nil {
		if errors.Is(err, errIdemConflict) {
			return s.refuse(in, "operation", NewProblem(CodeIdempotencyConflict, "this Idempotency-Key was used for a different request"))
		}
		if r.Context().Err() != nil {
			// The first request with this key is still running and this one's
			// time is up: say so (audited), rather than an unexplained 500.
			return s.refuse(in, "operation", NewProblem(CodeIdempotencyConflict, "a request with this Idempotency-Key is still in progress; retry after it has finished"))
		}
		return err
	}
	if replay != nil {
		// A replay answers again what was written once: it is an access
		// too, so it is audited (and withheld if it cannot be).
		code := ""
		if replay.status != http.StatusOK {
			var stored Problem
			_ = json.Unmarshal(replay.body, &stored)
			code = stored.Code
		}
		if err := s.opts.Pipeline.Replayed(in.id, in.who.Subject, target.Client, target.Inquiry, target.Operation, code); err != nil {
			return err
		}
		w.Header().Set("Idempotent-Replayed", "true")
		for k, v := range replay.header {
			w.Header().Set(k, v)
		}
		writeRaw(w, replay.status, replay.body)
		return nil
	}
	// A panic below (withBasics answers it 500 internal) would leave the key
	// claimed for good, its retries waiting for an attempt that never ends.
	// Whether it wrote is unknown: settle on that problem rather than risk
	// writing twice.
	settle, settled := finish, false
	finish = func(status int, body []byte, header map[string]string, stable bool) {
		settled = true
		settle(status, body, header, stable)
	}
	// storeProblem keeps pr as the key's answer, replayed on retries.
	storeProblem := func(pr *Problem) {
		pr.RequestID = in.id
		b, _ := json.Marshal(pr)
		finish(pr.Status, b, map[string]string{"Content-Type": "application/problem+json"}, true)
	}
	defer func() {
		if !settled {
			storeProblem(NewProblem(CodeInternal, ""))
		}
	}()
	status, out, err := run()
	if err != nil {
		pe := pipeline.AsError(err)
		if !pe.Written {
			// Nothing reached the client's system: a retry may run for real.
			finish(0, nil, nil, false)
			return err
		}
		// The write happened but the answer could not be made: replay this
		// problem on retries rather than write twice.
		pr := s.problem(err)
		storeProblem(pr)
		return pr
	}
	finish(status, out, nil, true)
	writeRaw(w, status, out)
	return nil
}

type filterBody struct {
	Text *string `json:"text"`
	Mode string  `json:"mode"`
}

func (s *Server) filterText(w http.ResponseWriter, r *http.Request, in reqInfo) error {
	body, err := readBody(r)
	if err != nil {
		return s.refuse(in, "filter", err)
	}
	var req filterBody
	if err := decodeStrict(body, &req); err != nil {
		return s.refuse(in, "filter", err)
	}
	if req.Text == nil {
		return s.refuse(in, "filter", NewProblem(CodeInvalidParams, "text is required"))
	}
	res, err := s.opts.Pipeline.Filter(r.Context(), pipeline.FilterRequest{
		RequestID: in.id, Policy: in.policy, Principal: in.who, Client: in.client, Text: *req.Text, Mode: req.Mode,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"text": res.Text, "findings": nonNil(res.Findings), "request_id": in.id})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// readBody reads a JSON body within the size limit.
func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, NewProblem(CodeUnsupportedMedia, "send application/json")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, NewProblem(CodePayloadTooLarge, fmt.Sprintf("the body may be at most %d bytes", mbe.Limit))
		}
		return nil, NewProblem(CodeInvalidParams, "the body could not be read")
	}
	return body, nil
}

// maxDepth bounds JSON nesting in request bodies.
const maxDepth = 32

// decodeStrict decodes one JSON object with no unknown fields, no trailing
// data and bounded nesting.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return NewProblem(CodeInvalidParams, "the body must be a JSON object")
	}
	if depth(body) > maxDepth {
		return NewProblem(CodeInvalidParams, fmt.Sprintf("the body nests deeper than %d levels", maxDepth))
	}
	// encoding/json would turn invalid bytes into U+FFFD and go on, so a
	// value could differ from what was sent, and text could slip past the
	// content filter. JSON between systems is UTF-8 (RFC 8259 section 8.1).
	if !utf8.Valid(body) {
		return NewProblem(CodeInvalidParams, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return NewProblem(CodeInvalidParams, "the body is not valid JSON for this endpoint: "+jsonProblem(err))
	}
	if dec.More() {
		return NewProblem(CodeInvalidParams, "the body holds data after its JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return NewProblem(CodeInvalidParams, "the body holds data after its JSON object")
	}
	return nil
}

// jsonProblem describes a decode error without echoing the body's values.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s has the wrong type", te.Field)
		}
		return "a value has the wrong type"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if len(name) > 66 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "an unknown member"
		}
		return "unknown member " + name
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	}
	return "malformed"
}

// depth is the deepest nesting of arrays and objects in a JSON text,
// counted without decoding it.
func depth(b []byte) int {
	d, max := 0, 0
	inStr, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			d++
			if d > max {
				max = d
			}
		case c == '}' || c == ']':
			d--
		}
	}
	return max
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, NewProblem(CodeInternal, ""))
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_, _ = w.Write([]byte("\n"))
}

// pathsOnly maps each route's path to a 405 handler naming the methods it
// takes (the catch-all "/" route would otherwise answer them 404).
func pathsOnly(routes []string) *http.ServeMux {
	methods := map[string][]string{}
	var order []string
	for _, rt := range routes {
		m, path, _ := strings.Cut(rt, " ")
		if _, ok := methods[path]; !ok {
			order = append(order, path)
		}
		methods[path] = append(methods[path], m)
		if m == http.MethodGet {
			methods[path] = append(methods[path], http.MethodHead)
		}
	}
	mux := http.NewServeMux()
	for _, path := range order {
		allow := strings.Join(methods[path], ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			p := NewProblem(CodeMethodNotAllowed, "this endpoint takes "+allow)
			p.RequestID = logging.RequestID(r.Context())
			WriteProblem(w, p)
		})
	}
	return mux
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.paths.Handler(r); pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	p := NewProblem(CodeNotFound, "no such endpoint; see /openapi.json")
	p.RequestID = logging.RequestID(r.Context())
	WriteProblem(w, p)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok, degraded := true, false
	if s.policy.Load() == nil {
		checks["scopes"], ok = "not loaded", false
	} else {
		checks["scopes"] = "ok"
	}
	for _, c := range s.opts.Ready {
		if err := c.Check(ctx); err != nil {
			checks[c.Name] = err.Error()
			if c.Advisory {
				degraded = true
			} else {
				ok = false
			}
		} else {
			checks[c.Name] = "ok"
		}
	}
	switch {
	case !ok:
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "checks": checks})
	case degraded:
		writeJSON(w, http.StatusOK, map[string]any{"status": "degraded", "checks": checks})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": checks})
	}
}
