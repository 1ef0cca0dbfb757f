package scopes

import (
	"github.com/cxgate/cxgate/internal/yamlx"
	"github.com/cxgate/cxgate/pii"
)

// The scope file format, declared once: Load checks files against it,
// Schema renders it as JSON Schema and docs/scopes.md describes it.

// Rule names, by increasing exposure (scrub sits beside mask).
const (
	Redact   Rule = "redact"
	Hash     Rule = "hash"
	Tokenize Rule = "tokenize"
	Mask     Rule = "mask"
	Scrub    Rule = "scrub"
	Keep     Rule = "keep"
)

var ruleNames = []string{string(Keep), string(Mask), string(Tokenize), string(Hash), string(Redact), string(Scrub)}

// Mask options.
const (
	MaskLast4  MaskOption = "last4"
	MaskLast2  MaskOption = "last2"
	MaskFirst1 MaskOption = "first1"
	MaskEmail  MaskOption = "email"
	MaskFull   MaskOption = "full"
)

var maskNames = []string{string(MaskLast4), string(MaskLast2), string(MaskFirst1), string(MaskEmail), string(MaskFull)}

// Actions.
const (
	Read   Action = "read"
	Search Action = "search"
	Update Action = "update"
)

var actionNames = []string{string(Read), string(Search), string(Update)}

// Param types.
const (
	ParamString  ParamType = "string"
	ParamInteger ParamType = "integer"
	ParamBoolean ParamType = "boolean"
	ParamToken   ParamType = "token"
)

var paramTypeNames = []string{string(ParamString), string(ParamInteger), string(ParamBoolean), string(ParamToken)}

// Input kinds.
const (
	InputText  InputKind = "text"
	InputToken InputKind = "token"
	InputEnum  InputKind = "enum"
)

// Diagnostic codes of the loader's semantic checks (structural codes come
// from yamlx). docs/scopes.md lists them all.
const (
	CodeVersion           = "unsupported-version"
	CodeConflictingRules  = "conflicting-rules"
	CodeDuplicateInquiry  = "duplicate-inquiry"
	CodeClientConflict    = "client-conflict"
	CodeDuplicateFilter   = "duplicate-filter"
	CodeNeedsPIIType      = "needs-pii-type"
	CodeParamMismatch     = "param-mismatch"
	CodeNeedsKey          = "needs-key"
	CodeActionMismatch    = "action-mismatch"
	CodeUnknownConnection = "unknown-connection"
	CodeUnknownResource   = "unknown-resource"
	CodeUnknownField      = "unknown-field"
	CodeNotWritable       = "not-writable"
	CodeUnsupportedAction = "unsupported-action"
	CodeUnknownParam      = "unknown-param"
	CodeBadRetention      = "bad-retention"
	CodeReadError         = "read-error"
)

func piiNames() []string {
	all := pii.All()
	out := make([]string, len(all))
	for i, t := range all {
		out[i] = string(t)
	}
	return out
}

func str(doc string) *yamlx.Spec { return &yamlx.Spec{Kind: yamlx.KindString, Doc: doc} }

func piiEnum(doc string) *yamlx.Spec {
	return &yamlx.Spec{Kind: yamlx.KindString, Doc: doc, Enum: piiNames(), EnumNoun: "PII type", EnumCode: "unknown-pii-type"}
}

// fileSpec builds the spec of a scope file. It is a function, not a
// global, so no package state exists; callers build it once per load.
func fileSpec() *yamlx.Spec {
	clientID := yamlx.ID("client id", '-')
	connID := yamlx.ID("connection name", '-')
	inquiryID := yamlx.ID("inquiry id", '_')
	opID := yamlx.ID("operation id", '_')
	resourceID := yamlx.ID("resource name", '_')
	paramID := yamlx.ID("param name", '_')

	access := &yamlx.Spec{Kind: yamlx.KindMap, Def: "access", Doc: "Who may use the inquiry; every condition must hold.", Keys: []yamlx.Key{
		{Name: "min_tier", Spec: &yamlx.Spec{Kind: yamlx.KindInt, Min: yamlx.Num(0), Max: yamlx.Num(1000)}, Doc: "Lowest expert tier allowed (default 0: any tier)."},
		{Name: "mfa", Spec: &yamlx.Spec{Kind: yamlx.KindBool}, Doc: "Require a second factor in the expert's assertion (default false)."},
		{Name: "countries", Spec: &yamlx.Spec{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.Country}}, Doc: "ISO 3166-1 alpha-2 countries the expert must be in."},
		{Name: "networks", Spec: &yamlx.Spec{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.CIDR}}, Doc: "IPv4/IPv6 networks (CIDR) the expert's address must be in."},
	}}

	param := &yamlx.Spec{Kind: yamlx.KindMap, Def: "param", Doc: "A lookup param: named after a lookup key of the resource.", Keys: []yamlx.Key{
		{Name: "type", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Enum: paramTypeNames, EnumNoun: "param type"}, Doc: "string, integer, boolean, or token (a cxgate token, detokenized before the call)."},
		{Name: "required", Spec: &yamlx.Spec{Kind: yamlx.KindBool}, Doc: "The expert must send it (default false)."},
		{Name: "pattern", Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.Regexp}, Doc: "A regular expression (RE2) the whole value must match (string params)."},
		{Name: "pii", Spec: piiEnum(""), Doc: "The PII type of the value (required for token params: only tokens of this type are accepted)."},
		{Name: "enum", Spec: &yamlx.Spec{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindOneOf, Expect: "a string or a whole number", Alts: []*yamlx.Spec{{Kind: yamlx.KindString, NonEmpty: true}, {Kind: yamlx.KindInt}}}}, Doc: "The only values allowed (string and integer params)."},
		{Name: "description", Spec: str("")},
	}}

	ruleOpts := &yamlx.Spec{Kind: yamlx.KindMap, ExactlyOne: true, KeyNoun: "rule option", Doc: "A rule with its option.", Keys: []yamlx.Key{
		{Name: "mask", Spec: &yamlx.Spec{Kind: yamlx.KindString, Enum: maskNames, EnumNoun: "mask option", EnumCode: "unknown-rule"}, Doc: "Partial reveal: last4, last2, first1, email or full."},
		{Name: "tokenize", Spec: piiEnum(""), Doc: "Tokenize as this PII type."},
		{Name: "hash", Spec: piiEnum(""), Doc: "Hash (stable pseudonym) as this PII type."},
	}, UnknownKey: func(key string) (string, string, bool) {
		switch key {
		case string(Keep), string(Redact), string(Scrub):
			return "rule-option", "rule " + key + " takes no option: write `" + key + "` alone", true
		}
		return "", "", false
	}}
	rule := &yamlx.Spec{Kind: yamlx.KindOneOf, Def: "field_rule", Expect: "a rule (keep, mask, tokenize, hash, redact or scrub) or a rule with its option such as {mask: last4}",
		Doc: "What the expert gets for this field.",
		Alts: []*yamlx.Spec{
			{Kind: yamlx.KindString, Enum: ruleNames, EnumNoun: "rule", EnumCode: "unknown-rule"},
			ruleOpts,
		}}

	inputOpts := &yamlx.Spec{Kind: yamlx.KindMap, ExactlyOne: true, KeyNoun: "input option", Keys: []yamlx.Key{
		{Name: "token", Spec: piiEnum(""), Doc: "Accept only a cxgate token of this PII type, detokenized just before the write."},
		{Name: "enum", Spec: &yamlx.Spec{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindOneOf, Expect: "a string, a number or true/false", Alts: []*yamlx.Spec{{Kind: yamlx.KindString, NonEmpty: true}, {Kind: yamlx.KindNumber}, {Kind: yamlx.KindBool}}}}, Doc: "Accept only one of these values."},
	}, UnknownKey: func(key string) (string, string, bool) {
		if key == string(InputText) {
			return "input-option", "input kind text takes no option: write `text` alone", true
		}
		return "", "", false
	}}
	input := &yamlx.Spec{Kind: yamlx.KindOneOf, Def: "input", Expect: "text, token, or a mapping such as {token: ADDRESS} or {enum: [open, solved]}",
		Doc: "What the expert may write into this field.",
		Alts: []*yamlx.Spec{
			{Kind: yamlx.KindString, Enum: []string{string(InputText), string(InputToken)}, EnumNoun: "input kind"},
			inputOpts,
		}}

	op := &yamlx.Spec{Kind: yamlx.KindMap, Def: "operation", Doc: "One call against the client's system.", Keys: []yamlx.Key{
		{Name: "description", Spec: str("")},
		{Name: "action", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Enum: actionNames, EnumNoun: "action"}, Doc: "read (one record), search (a list) or update (write, then read back)."},
		{Name: "resource", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: resourceID}, Doc: "A resource of the connection's connector type."},
		{Name: "limit", Spec: &yamlx.Spec{Kind: yamlx.KindInt, Min: yamlx.Num(1), Max: yamlx.Num(1000)}, Doc: "search only: the most records returned."},
		{Name: "params", Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: paramID, Elem: param}, Doc: "Lookup params, named after the resource's lookup keys."},
		{Name: "fields", Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: yamlx.FieldPath, MinItems: 1, Elem: rule}, Doc: "Field path -> rule. Anything not listed never reaches the expert."},
		{Name: "input", Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: yamlx.FieldPath, MinItems: 1, Elem: input}, Doc: "update only: writable field path -> what the expert may write."},
	}}

	inquiry := &yamlx.Spec{Kind: yamlx.KindMap, Def: "inquiry", Doc: "An inquiry type: what an expert works on.", Keys: []yamlx.Key{
		{Name: "description", Spec: str(""), Doc: "What the inquiry is for, in the words of the client's support team."},
		{Name: "access", Spec: access},
		{Name: "operations", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: opID, MinItems: 1, Elem: op}},
	}}

	filter := &yamlx.Spec{Kind: yamlx.KindMap, Def: "filter", Doc: "How the content filter treats this client's free text.", Keys: []yamlx.Key{
		{Name: "phone_regions", Spec: &yamlx.Spec{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.Country}}, Doc: "Regions (ISO 3166-1 alpha-2) whose national phone formats are detected."},
		{Name: "allow_patterns", Spec: &yamlx.Spec{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.Regexp}}, Doc: "The client's own id formats (RE2): matches are never treated as PII."},
	}}

	return &yamlx.Spec{Kind: yamlx.KindMap, Doc: "A cxgate scope file (version 1).", Keys: []yamlx.Key{
		{Name: "version", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindInt, Min: yamlx.Num(1), Max: yamlx.Num(1)}, Doc: "Format version: 1."},
		{Name: "client", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: clientID}, Doc: "The client these inquiries serve ([a-z0-9-]); tokens are bound to it."},
		{Name: "connection", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: connID}, Doc: "A connection name under connections: in the gateway config."},
		{Name: "retention", Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.Duration}, Doc: "How long tokens minted for this client keep detokenizing (30d, 12w)."},
		{Name: "filter", Spec: filter},
		{Name: "inquiries", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: inquiryID, MinItems: 1, Elem: inquiry}},
	}}
}

// Schema returns the JSON Schema (draft 2020-12) of scope files, generated
// from the same spec the loader checks against.
func Schema() []byte {
	b, err := yamlx.JSONSchema(fileSpec(), "https://cxgate.example.org/schemas/scope-v1.json", "cxgate scope file (version 1)")
	if err != nil {
		// The spec is static data; a marshal failure is a programming error
		// caught by the schema test.
		return nil
	}
	return append(b, '\n')
}
