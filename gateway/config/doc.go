// Package config loads the gateway configuration (`cxgate serve --config
// cxgate.yaml`) strictly: every problem with its FILE:LINE:COL, unknown
// keys with a "did you mean", durations such as 10s and 30d, secrets never
// inline. It shares the YAML machinery and diagnostics of the scope
// loader (internal/yamlx, internal/diag), and asks each connector type's
// Factory to check what is type-specific, placing each problem at the
// position of its key.
package config
