// Package hostile attacks the running gateway: forged and tampered expert
// assertions, experts reaching beyond their scope, tampered and foreign
// tokens, injection through every param of every example operation, path
// tricks, hostile bodies and slow clients. It holds tests only.
//
// Every test runs the whole system of `cxgate dev` (dev.Start: the three
// sandboxes, the example scopes, the local tokenizer) behind an
// http.Server built by app.HTTPServer on a loopback port, so the server's
// own limits and timeouts are part of what is attacked. Each case asserts
// the documented status and problem code, that no protected value is in
// the answer, and, where it matters, that no request reached a sandbox.
// README.md lists every attack with its test and the observed behaviour.
package hostile
