// Package cli holds cxgate's commands, one cobra command per file. Commands
// parse flags, call into the feature packages and map outcomes to exit
// codes: 0 ok, 1 problems found (or exposure grows), 2 usage or I/O error.
// No business logic lives here.
package cli
