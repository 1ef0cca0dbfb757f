// Package yamlx reads YAML files strictly, keeping positions, for the scope
// loader and the gateway config loader.
//
// Reviewers must read exactly what applies, so Parse refuses anchors,
// aliases, merge keys and custom tags, and files with more than one
// document. A declarative Spec describes the shape of a file once; Check
// reports every structural problem against it (unknown keys with a "did you
// mean", duplicate keys with both positions, wrong kinds in plain words,
// missing keys, bad formats), and JSONSchema turns the same Spec into the
// JSON Schema editors use, so the loader, the schema and the docs cannot
// drift apart. Semantic checks then read the nodes Check has vouched for.
package yamlx
