package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cxgate/cxgate/internal/diag"
)

// Diagnostic codes of Parse.
const (
	CodeSyntax    = "yaml-syntax"
	CodeDocuments = "multiple-documents"
	CodeEmpty     = "empty-file"
	CodeAnchor    = "anchor"
	CodeAlias     = "alias"
	CodeMergeKey  = "merge-key"
	CodeTag       = "custom-tag"
)

var lineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads one YAML document and returns its root node (a mapping, list
// or scalar), or nil when the file cannot be used; every problem goes to d.
// It never panics, whatever the bytes.
func Parse(file string, data []byte, d *diag.List) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			d.Errorf(diag.Position{File: file, Line: 1, Col: 1}, CodeSyntax, "this file cannot be read as YAML")
			root = nil
		}
	}()
	if bytes.IndexByte(data, 0) >= 0 {
		d.Errorf(diag.Position{File: file, Line: 1, Col: 1}, CodeSyntax, "this file contains NUL bytes; it is not a YAML text file")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.Errorf(diag.Position{File: file, Line: 1, Col: 1}, CodeEmpty, "the file is empty")
			return nil
		}
		syntaxError(file, err, d)
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.Errorf(pos(file, &next), CodeDocuments, "only one YAML document per file is allowed; split the documents into separate files")
		return nil
	case errors.Is(err, io.EOF):
	default:
		syntaxError(file, err, d)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.Errorf(diag.Position{File: file, Line: 1, Col: 1}, CodeEmpty, "the file is empty")
		return nil
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		d.Errorf(diag.Position{File: file, Line: 1, Col: 1}, CodeEmpty, "the file is empty")
		return nil
	}
	before := len(*d)
	refuseIndirection(file, root, d)
	if len(*d) > before {
		// Anchors and aliases mean the text does not say what applies;
		// checking further would judge something the reviewer never read.
		return nil
	}
	return root
}

func syntaxError(file string, err error, d *diag.List) {
	msg := err.Error()
	line := 1
	if m := lineErr.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line = n
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.Errorf(diag.Position{File: file, Line: line, Col: 1}, CodeSyntax, "invalid YAML: %s", msg)
}

func refuseIndirection(file string, n *yaml.Node, d *diag.List) {
	if n == nil {
		return
	}
	if n.Anchor != "" {
		d.Errorf(pos(file, n), CodeAnchor, "anchors (&%s) are not allowed: write every value out so reviewers read exactly what applies", n.Anchor)
	}
	if n.Kind == yaml.AliasNode {
		d.Errorf(pos(file, n), CodeAlias, "aliases (*%s) are not allowed: write the value out so reviewers read exactly what applies", n.Value)
		return
	}
	if n.Tag != "" && strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") && n.Style&yaml.TaggedStyle != 0 {
		d.Errorf(pos(file, n), CodeTag, "custom tags (%s) are not allowed", n.Tag)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0)) {
				d.Errorf(pos(file, k), CodeMergeKey, "merge keys (<<) are not allowed: write every key out so reviewers read exactly what applies")
			}
		}
	}
	for _, c := range n.Content {
		refuseIndirection(file, c, d)
	}
}

// Pos is the position of a node.
func Pos(file string, n *yaml.Node) diag.Position { return pos(file, n) }

func pos(file string, n *yaml.Node) diag.Position {
	if n == nil {
		return diag.Position{File: file, Line: 1, Col: 1}
	}
	return diag.Position{File: file, Line: n.Line, Col: n.Column}
}

// OffsetPos is the position of byte offset off inside a scalar's text,
// allowing for an opening quote.
func OffsetPos(file string, n *yaml.Node, off int) diag.Position {
	p := pos(file, n)
	if n != nil && (n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle)) != 0 {
		p.Col++
	}
	if off > 0 {
		p.Col += len([]rune(n.Value[:min(off, len(n.Value))]))
	}
	return p
}

// Describe names a node's kind for messages, in words a person uses: "a
// mapping", "a list", "a string", never a YAML tag or a Go type.
func Describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str":
		if n.Value == "" {
			return "an empty string"
		}
		return "a string"
	case "!!int":
		return "a whole number"
	case "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!null":
		return "an empty value"
	case "!!timestamp":
		return "a date"
	case "!!binary":
		return "binary data"
	}
	return "a value"
}

// Get returns the key and value nodes of key in a mapping (the first
// occurrence), or nils.
func Get(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// Pair is one key and its value in a mapping.
type Pair struct {
	Key   *yaml.Node
	Value *yaml.Node
}

// Pairs returns a mapping's entries in order, the first occurrence of each
// scalar key only (Check reports duplicates and complex keys).
func Pairs(m *yaml.Node) []Pair {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	seen := make(map[string]bool, len(m.Content)/2)
	out := make([]Pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || seen[k.Value] {
			continue
		}
		seen[k.Value] = true
		out = append(out, Pair{Key: k, Value: m.Content[i+1]})
	}
	return out
}

// IsString reports whether n is a scalar YAML reads as a string.
func IsString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// IsScalarText reports whether n is a string or a number (used where a
// version such as 59.0 may be written unquoted).
func IsScalarText(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float":
		return true
	}
	return false
}

// Int reads an integer scalar.
func Int(n *yaml.Node) (int64, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		return 0, false
	}
	return v, true
}

// Float reads a numeric scalar (integer or not).
func Float(n *yaml.Node) (float64, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return 0, false
	}
	return v, true
}

// Bool reads a true/false scalar.
func Bool(n *yaml.Node) (bool, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		return false, false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		return false, false
	}
	return v, true
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
