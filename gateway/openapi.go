package gateway

import (
	"encoding/json"
	"net/http"
	"sync"
)

// openAPIRoutes lists every route the server registers, as "METHOD /path"
// in OpenAPI's path syntax; a test checks the router against it and
// against the document, so the three cannot drift apart.
var openAPIRoutes = []string{
	"GET /v1/clients/{client}/inquiries",
	"POST /v1/clients/{client}/inquiries/{inquiry}/operations/{operation}",
	"POST /v1/clients/{client}/filter",
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
	"GET /openapi.json",
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func problemResponses(codes ...string) obj {
	out := obj{}
	for _, c := range codes {
		out[c] = obj{"$ref": "#/components/responses/Problem"}
	}
	return out
}

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

func jsonResponse(desc string, schema obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

func pathParam(name, pattern, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc,
		"schema": obj{"type": "string", "pattern": pattern}}
}

// OpenAPIDocument builds the OpenAPI 3.1 description of the HTTP API.
func OpenAPIDocument(version string) map[string]any {
	client := pathParam("client", "^[a-z0-9-]+$", "client id, as in the scope files")
	inquiry := pathParam("inquiry", "^[a-z0-9_]+$", "inquiry type id")
	operation := pathParam("operation", "^[a-z0-9_]+$", "operation id")
	bearer := []any{obj{"expertAssertion": []any{}}}
	v1Errors := []string{"400", "401", "403", "404", "413", "429", "500", "502", "503"}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "cxgate",
			"version":     version,
			"description": "The expert-facing API of cxgate: what an expert may see of a client's systems, per inquiry type, with personal data masked or tokenized. Errors are RFC 9457 problem details with a `code`.",
			"license":     obj{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"paths": obj{
			"/v1/clients/{client}/inquiries": obj{"get": obj{
				"operationId": "listInquiries",
				"summary":     "The inquiry types this expert may use now, with operations and params",
				"parameters":  []any{client},
				"security":    bearer,
				"responses": mergeObj(obj{"200": jsonResponse("inquiries the expert may use now", ref("InquiryList"))},
					problemResponses("401", "403", "404", "429", "500")),
			}},
			"/v1/clients/{client}/inquiries/{inquiry}/operations/{operation}": obj{"post": obj{
				"operationId": "runOperation",
				"summary":     "Run one operation of an inquiry type; the answer holds only what the scope allows",
				"parameters": []any{client, inquiry, operation, obj{
					"name": "Idempotency-Key", "in": "header", "required": false,
					"description": "makes retries of update operations safe: the same key and body replays the first answer",
					"schema":      obj{"type": "string", "maxLength": 128},
				}},
				"security":    bearer,
				"requestBody": jsonBody(ref("OperationRequest")),
				"responses": mergeObj(obj{"200": jsonResponse("the protected data", ref("OperationResponse"))},
					problemResponses(append(v1Errors, "409", "415")...)),
			}},
			"/v1/clients/{client}/filter": obj{"post": obj{
				"operationId": "filterText",
				"summary":     "Find and mask or tokenize PII in text a customer typed",
				"parameters":  []any{client},
				"security":    bearer,
				"requestBody": jsonBody(ref("FilterRequest")),
				"responses": mergeObj(obj{"200": jsonResponse("the filtered text and what was found", ref("FilterResponse"))},
					problemResponses("400", "401", "403", "404", "413", "415", "429", "500", "503")),
			}},
			"/healthz": obj{"get": obj{
				"operationId": "healthz", "summary": "Liveness",
				"responses": obj{"200": jsonResponse("the process is serving", ref("Health"))},
			}},
			"/readyz": obj{"get": obj{
				"operationId": "readyz", "summary": "Readiness: scopes loaded, tokenizer reachable and unsealed, breakers",
				"responses": obj{
					"200": jsonResponse("ready", ref("Health")),
					"503": jsonResponse("not ready, with the failing checks", ref("Health")),
				},
			}},
			"/metrics": obj{"get": obj{
				"operationId": "metrics", "summary": "Prometheus metrics (no PII in labels)",
				"responses": obj{"200": obj{"description": "text exposition format", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}},
			}},
			"/openapi.json": obj{"get": obj{
				"operationId": "openapi", "summary": "This document",
				"responses": obj{"200": obj{"description": "OpenAPI 3.1", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}},
			}},
		},
		"components": obj{
			"securitySchemes": obj{"expertAssertion": obj{
				"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
				"description": "An expert assertion signed by the expert platform: claims iss, aud, sub, exp, iat, tier, amr, country, clients.",
			}},
			"responses": obj{"Problem": obj{
				"description": "an RFC 9457 problem",
				"content":     obj{"application/problem+json": obj{"schema": ref("Problem")}},
			}},
			"schemas": obj{
				"Problem": obj{"type": "object", "required": []any{"type", "title", "status", "code"}, "properties": obj{
					"type": obj{"type": "string"}, "title": obj{"type": "string"}, "status": obj{"type": "integer"},
					"detail": obj{"type": "string"}, "request_id": obj{"type": "string"},
					"code": obj{"type": "string", "enum": []any{CodeUnauthenticated, CodeForbidden, CodeMFARequired, CodeTierTooLow,
						CodeLocationDenied, CodeNotFound, CodeInvalidParams, CodeRateLimited, CodeUpstreamUnavailable,
						CodeUpstreamError, CodeTokenizerUnavailable, CodeInternal, CodeAuditUnavailable, CodePayloadTooLarge,
						CodeMethodNotAllowed, CodeUnsupportedMedia, CodeIdempotencyConflict}},
					"params": obj{"type": "array", "items": obj{"type": "object", "required": []any{"name", "message"},
						"properties": obj{"name": obj{"type": "string"}, "message": obj{"type": "string"}}}},
				}},
				"InquiryList": obj{"type": "object", "required": []any{"client", "inquiries"}, "properties": obj{
					"client":    obj{"type": "string"},
					"inquiries": obj{"type": "array", "items": ref("Inquiry")},
				}},
				"Inquiry": obj{"type": "object", "required": []any{"id", "description", "operations"}, "properties": obj{
					"id": obj{"type": "string"}, "description": obj{"type": "string"},
					"operations": obj{"type": "array", "items": ref("Operation")},
				}},
				"Operation": obj{"type": "object", "required": []any{"id", "action", "params"}, "properties": obj{
					"id": obj{"type": "string"}, "action": obj{"type": "string", "enum": []any{"read", "search", "update"}},
					"params": obj{"type": "object", "additionalProperties": ref("Param")},
					"input":  obj{"type": "object", "additionalProperties": ref("Input")},
				}},
				"Param": obj{"type": "object", "required": []any{"type"}, "properties": obj{
					"type":     obj{"type": "string", "enum": []any{"string", "integer", "boolean", "token"}},
					"required": obj{"type": "boolean"}, "pattern": obj{"type": "string"}, "pii": obj{"type": "string"},
					"enum": obj{"type": "array"},
				}},
				"Input": obj{"type": "object", "required": []any{"kind"}, "properties": obj{
					"kind": obj{"type": "string", "enum": []any{"text", "token", "enum"}},
					"pii":  obj{"type": "string"}, "enum": obj{"type": "array"},
				}},
				"OperationRequest": obj{"type": "object", "additionalProperties": false, "properties": obj{
					"params": obj{"type": "object"}, "input": obj{"type": "object"},
				}},
				"OperationResponse": obj{"type": "object", "required": []any{"data", "request_id"}, "properties": obj{
					"data":       obj{"oneOf": []any{obj{"type": "object"}, obj{"type": "array", "items": obj{"type": "object"}}}},
					"request_id": obj{"type": "string"},
				}},
				"FilterRequest": obj{"type": "object", "required": []any{"text"}, "additionalProperties": false, "properties": obj{
					"text": obj{"type": "string"}, "mode": obj{"type": "string", "enum": []any{"mask", "tokenize"}, "default": "mask"},
				}},
				"FilterResponse": obj{"type": "object", "required": []any{"text", "findings"}, "properties": obj{
					"text": obj{"type": "string"}, "findings": obj{"type": "array", "items": ref("Finding")},
					"request_id": obj{"type": "string"},
				}},
				"Finding": obj{"type": "object", "required": []any{"type", "start", "end"}, "properties": obj{
					"type":  obj{"type": "string"},
					"start": obj{"type": "integer", "description": "Unicode code-point offset into the input"},
					"end":   obj{"type": "integer", "description": "exclusive"},
				}},
				"Health": obj{"type": "object", "required": []any{"status"}, "properties": obj{
					"status": obj{"type": "string"}, "checks": obj{"type": "object", "additionalProperties": obj{"type": "string"}},
				}},
			},
		},
	}
}

func mergeObj(a, b obj) obj {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// openAPIHandler serves the document, encoded once.
func openAPIHandler(version string) http.Handler {
	var once sync.Once
	var body []byte
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { body, _ = json.MarshalIndent(OpenAPIDocument(version), "", "  ") })
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
