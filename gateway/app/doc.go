// Package app assembles a running gateway from its configuration: the
// tokenizer (Vault transit, or the local one when the config says
// `tokenizer: local`), the secret source, one wrapped connector per
// connection, the scope set checked against the connectors' catalogs, the
// audit sink, the expert-assertion verifier, the pipeline and the HTTP
// server. `cxgate serve`, `cxgate dev` and the end-to-end tests all build
// the gateway here, so what is tested is what runs.
package app
