// Package examples embeds the example gateway configuration and scope
// files, so `cxgate dev` runs from any directory with nothing around it.
// The files themselves are the documentation: read them in this folder.
package examples

import "embed"

// FS holds cxgate.yaml and scopes/*.yaml.
//
//go:embed cxgate.yaml scopes/*.yaml
var FS embed.FS
