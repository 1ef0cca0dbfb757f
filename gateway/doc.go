// Package gateway is cxgate's HTTP server: the expert-facing /v1 API,
// health, readiness, metrics and the OpenAPI document. It authenticates
// each request (package authn), applies per-expert and per-client rate
// limits, decodes bodies strictly, and hands the request to the pipeline
// (package pipeline), where every decision is made. Errors are RFC 9457
// problem+json with the contract's codes (problem.go).
package gateway
