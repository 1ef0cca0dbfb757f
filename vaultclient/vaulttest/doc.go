// Package vaulttest runs a real HashiCorp Vault server for tests and for
// developers: the v1.14.1 binary (MPL-2.0; later releases are BSL) built from
// the small module in ./vaultserver, started in dev mode on a free loopback
// port with a generated root token, and stopped with its whole process group.
//
// The binary is built once per machine and cached outside git, keyed by
// version (Binary). The first build takes about five minutes on two cores, so
// CI builds it before `go test ./...` starts (.ci/run calls
// `go run ./vaultclient/vaulttest/cmd/vault-dev -build-only`); parallel test
// packages that still find it missing wait on a file lock and build it once.
//
// A package shares one server through TestMain:
//
//	func TestMain(m *testing.M) { vaulttest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := vaulttest.Shared(t)
//		...
//	}
//
// Tests that break the server on purpose (stop it, pause it, seal it) start
// their own with Start. A dev server keeps everything in memory: Restart
// brings a fresh, empty server back on the same address with the same root
// token, so callers set up their mounts and keys again.
package vaulttest
