package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/cxgate/cxgate/connectors"
)

// Metrics are the gateway's Prometheus metrics, on a registry of their own
// (no globals). Label values are names taken from the loaded scopes and
// config (client, inquiry, operation, connection, resource, PII type) or
// fixed words (outcome codes): never request text, so a caller cannot put
// a value, or unbounded cardinality, into a label.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	upstream      *prometheus.HistogramVec
	breaker       *prometheus.GaugeVec
	tokenizer     *prometheus.HistogramVec
	tokens        *prometheus.CounterVec
	findings      *prometheus.CounterVec
	auditFailures prometheus.Counter
	unauthDropped prometheus.Counter
	reloads       *prometheus.CounterVec
}

var _ connectors.Metrics = (*Metrics)(nil)

// NewMetrics registers every metric on a fresh registry.
func NewMetrics() *Metrics {
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxgate_requests_total", Help: "Expert requests by client, inquiry, operation and outcome (ok or a problem code).",
		}, []string{"client", "inquiry", "operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxgate_request_duration_seconds", Help: "Time to answer expert requests.", Buckets: buckets,
		}, []string{"client", "inquiry", "operation"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxgate_connector_call_duration_seconds", Help: "Connector calls to client systems.", Buckets: buckets,
		}, []string{"connection", "resource", "action", "outcome"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cxgate_connector_breaker_state", Help: "Circuit breaker state per connection: 0 closed, 1 half-open, 2 open.",
		}, []string{"connection"}),
		tokenizer: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxgate_tokenizer_call_duration_seconds", Help: "Tokenizer (Vault transit or local) round trips.", Buckets: buckets,
		}, []string{"op", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxgate_tokens_minted_total", Help: "Tokens minted, by client and PII type.",
		}, []string{"client", "type"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxgate_filter_findings_total", Help: "PII found in free text by the content filter, by client and type.",
		}, []string{"client", "type"}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxgate_audit_write_failures_total", Help: "Audit records that could not be written (each withheld a response).",
		}),
		unauthDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxgate_unauthenticated_dropped_total", Help: "Unauthenticated requests refused (429) without an audit record, past the per-address rate.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxgate_reloads_total", Help: "SIGHUP reloads of scopes and keys, by result.",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.upstream, m.breaker, m.tokenizer, m.tokens, m.findings,
		m.auditFailures, m.unauthDropped, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest counts one expert request.
func (m *Metrics) ObserveRequest(client, inquiry, operation, outcome string, seconds float64) {
	m.requests.WithLabelValues(client, inquiry, operation, outcome).Inc()
	m.latency.WithLabelValues(client, inquiry, operation).Observe(seconds)
}

// ObserveCall implements connectors.Metrics.
func (m *Metrics) ObserveCall(connection, resource, action, outcome string, seconds float64) {
	m.upstream.WithLabelValues(connection, resource, action, outcome).Observe(seconds)
}

// SetBreakerState implements connectors.Metrics.
func (m *Metrics) SetBreakerState(connection, state string) {
	v := 0.0
	switch state {
	case "half-open":
		v = 1
	case "open":
		v = 2
	}
	m.breaker.WithLabelValues(connection).Set(v)
}

// ObserveTokenizer records one tokenizer round trip.
func (m *Metrics) ObserveTokenizer(op, outcome string, seconds float64) {
	m.tokenizer.WithLabelValues(op, outcome).Observe(seconds)
}

// AddTokens counts minted tokens.
func (m *Metrics) AddTokens(client, typ string, n int) {
	m.tokens.WithLabelValues(client, typ).Add(float64(n))
}

// AddFindings counts filter findings.
func (m *Metrics) AddFindings(client, typ string, n int) {
	m.findings.WithLabelValues(client, typ).Add(float64(n))
}

// AuditFailed counts a withheld response.
func (m *Metrics) AuditFailed() { m.auditFailures.Inc() }

// UnauthenticatedDropped counts a flood refusal.
func (m *Metrics) UnauthenticatedDropped() { m.unauthDropped.Inc() }

// Reloaded counts a reload.
func (m *Metrics) Reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
	} else {
		m.reloads.WithLabelValues("error").Inc()
	}
}
