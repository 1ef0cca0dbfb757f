package audit

import (
	"time"
)

// Record is one audit entry. Every field is metadata: ids, names, rules,
// codes and numbers, never a customer value.
type Record struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Expert    string    `json:"expert,omitempty"`
	Client    string    `json:"client,omitempty"`
	Inquiry   string    `json:"inquiry,omitempty"`
	Operation string    `json:"operation,omitempty"`
	Action    string    `json:"action,omitempty"`
	Resource  string    `json:"resource,omitempty"`
	// Route names non-operation endpoints ("inquiries", "filter").
	Route string `json:"route,omitempty"`
	// Records are the ids of the records returned or written; lookup values
	// that are PII appear only as cxgate hashes.
	Records []string `json:"records,omitempty"`
	// Lookup is each lookup key with how its value is shown ("hashed",
	// "clear" for non-PII ids), never the value itself unless non-PII.
	Lookup []Lookup `json:"lookup,omitempty"`
	// Fields are the fields returned, with the rule applied to each.
	Fields []Field `json:"fields,omitempty"`
	// Inputs are the fields written by an update, with their input kind.
	Inputs   []Field  `json:"inputs,omitempty"`
	Decision []Reason `json:"decision,omitempty"`
	// Stage is "write_intent" for the record an update writes before it
	// reaches the client's system (its Outcome is "pending"); the record
	// of the outcome follows with the same request id. Empty otherwise.
	Stage string `json:"stage,omitempty"`
	// Outcome is "ok" or a problem code (forbidden, tokenizer_unavailable...).
	Outcome   string  `json:"outcome"`
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	Tokens    int     `json:"tokens_minted,omitempty"`
	Findings  int     `json:"findings,omitempty"`
	Prev      string  `json:"prev"`
}

// Lookup is one lookup criterion as the audit log shows it.
type Lookup struct {
	Key   string `json:"key"`
	Value string `json:"value"` // the value for non-PII keys, a cxgate hash or "[withheld]" for PII
}

// Field is one field path with its rule (or input kind).
type Field struct {
	Path string `json:"path"`
	Rule string `json:"rule"`
}

// Reason is one step of the decision, with where its rule lives.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Where   string `json:"where,omitempty"` // scope file:line
}
