package scopes

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
)

// Formats of explain and diff output.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Formats lists the output formats.
func Formats() []string { return []string{FormatTable, FormatJSON, FormatMarkdown, FormatHTML} }

// WriteExplain renders an explanation in a format.
func WriteExplain(w io.Writer, ex Explanation, format string) error {
	switch format {
	case FormatTable, "":
		return explainTable(w, ex)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(ex)
	case FormatMarkdown:
		return explainMarkdown(w, ex)
	case FormatHTML:
		return explainHTML(w, ex)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats(), ", "))
}

// errWriter remembers the first write error so renderers stay readable.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func explainTable(w io.Writer, ex Explanation) error {
	ew := &errWriter{w: w}
	for i, c := range ex.Clients {
		if i > 0 {
			ew.printf("\n")
		}
		ew.printf("CLIENT %s  (connection %s)\n", c.ID, c.Connection)
		if c.Retention != "" {
			ew.printf("  retention: %s  (%s)\n", c.Retention, c.RetentionAt)
		} else {
			ew.printf("  retention: not stated\n")
		}
		if f := c.Filter; f != nil {
			ew.printf("  filter: phone regions %s; allow patterns %s  (%s)\n", orDefault(f.PhoneRegions), orNone(f.AllowPatterns), f.At)
		}
		if len(c.Inquiries) > 0 && len(c.Levels) > 0 {
			ew.printf("\n  WHO MAY USE WHAT (from an approved place where an inquiry requires one)\n")
			tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "  INQUIRY\t%s\n", strings.Join(c.Levels, "\t"))
			for _, q := range c.Inquiries {
				cells := make([]string, len(q.Levels))
				for j, l := range q.Levels {
					cells[j] = levelCell(l)
				}
				fmt.Fprintf(tw, "  %s\t%s\n", q.ID, strings.Join(cells, "\t"))
			}
			if err := tw.Flush(); err != nil && ew.err == nil {
				ew.err = err
			}
		}
		for _, q := range c.Inquiries {
			ew.printf("\n  INQUIRY %s", q.ID)
			if q.Description != "" {
				ew.printf(": %s", q.Description)
			}
			ew.printf("  (%s)\n", q.At)
			ew.printf("    access: %s\n", q.Access.Summary)
			for _, o := range q.Operations {
				ew.printf("\n    OPERATION %s: %s %s", o.ID, o.Action, o.Resource)
				if o.Limit > 0 {
					ew.printf(" (at most %d)", o.Limit)
				}
				ew.printf("  (%s)\n", o.At)
				if len(o.Params) > 0 {
					tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
					fmt.Fprintf(tw, "      PARAM\tTYPE\tREQUIRED\tCHECK\tAT\n")
					for _, p := range o.Params {
						fmt.Fprintf(tw, "      %s\t%s\t%s\t%s\t%s\n", p.Name, paramType(p), yesNo(p.Required), paramCheck(p), p.At)
					}
					ew.flush(tw)
				}
				if len(o.Fields) > 0 {
					tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
					fmt.Fprintf(tw, "      FIELD\tRULE\tEXPERT SEES\tAT\n")
					for _, f := range o.Fields {
						fmt.Fprintf(tw, "      %s\t%s\t%s\t%s\n", f.Path, ruleText(f), f.Shows, f.At)
					}
					ew.flush(tw)
				}
				if len(o.Inputs) > 0 {
					tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
					fmt.Fprintf(tw, "      INPUT\tKIND\tACCEPTS\tAT\n")
					for _, in := range o.Inputs {
						fmt.Fprintf(tw, "      %s\t%s\t%s\t%s\n", in.Path, in.Kind, in.Accepts, in.At)
					}
					ew.flush(tw)
				}
			}
		}
	}
	return ew.err
}

func (e *errWriter) flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); err != nil && e.err == nil {
		e.err = err
	}
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func levelCell(l ExplainLevel) string {
	if l.Allowed {
		return "yes"
	}
	return "no (" + l.Code + ")"
}

func orDefault(s []string) string {
	if len(s) == 0 {
		return "(defaults)"
	}
	return strings.Join(s, ", ")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func paramType(p ExplainParam) string {
	if p.Type == string(ParamToken) {
		return "token (" + p.PII + ")"
	}
	if p.PII != "" {
		return p.Type + " (" + p.PII + ")"
	}
	return p.Type
}

func paramCheck(p ExplainParam) string {
	var parts []string
	if p.Pattern != "" {
		parts = append(parts, "matches "+p.Pattern)
	}
	if len(p.Enum) > 0 {
		parts = append(parts, "one of "+strings.Join(p.Enum, ", "))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

func ruleText(f ExplainField) string {
	switch {
	case f.Option != "":
		return f.Rule + " " + f.Option
	case f.Rule == string(Tokenize) || f.Rule == string(Hash):
		return f.Rule + " " + f.PII
	}
	return f.Rule
}

func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'")
	return r.Replace(s)
}

func mdCode(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, "`", "'"), "|", `\|`) + "`"
}

func explainMarkdown(w io.Writer, ex Explanation) error {
	ew := &errWriter{w: w}
	ew.printf("# What experts can see\n\n")
	ew.printf("Generated by `cxgate scopes explain` from the scope files; every rule shows its `file:line`.\n")
	for _, c := range ex.Clients {
		ew.printf("\n## Client %s\n\n", mdCode(c.ID))
		ew.printf("- Connection: %s\n", mdCode(c.Connection))
		if c.Retention != "" {
			ew.printf("- Retention: %s (%s)\n", c.Retention, mdCode(c.RetentionAt))
		} else {
			ew.printf("- Retention: not stated\n")
		}
		if f := c.Filter; f != nil {
			pats := make([]string, len(f.AllowPatterns))
			for i, p := range f.AllowPatterns {
				pats[i] = mdCode(p)
			}
			ew.printf("- Content filter: phone regions %s; allow patterns %s (%s)\n", orDefault(f.PhoneRegions), orNone(pats), mdCode(f.At))
		}
		ew.printf("- Files: %s\n", mdEscape(strings.Join(c.Files, ", ")))
		if len(c.Inquiries) > 0 && len(c.Levels) > 0 {
			ew.printf("\n### Who may use what\n\n| inquiry | %s |\n|---|%s\n", strings.Join(c.Levels, " | "), strings.Repeat("---|", len(c.Levels)))
			for _, q := range c.Inquiries {
				cells := make([]string, len(q.Levels))
				for j, l := range q.Levels {
					cells[j] = levelCell(l)
				}
				ew.printf("| %s | %s |\n", mdCode(q.ID), strings.Join(cells, " | "))
			}
		}
		for _, q := range c.Inquiries {
			ew.printf("\n### Inquiry %s\n\n", mdCode(q.ID))
			if q.Description != "" {
				ew.printf("%s\n\n", mdEscape(q.Description))
			}
			ew.printf("Access: %s (%s)\n", mdEscape(q.Access.Summary), mdCode(q.At))
			for _, o := range q.Operations {
				ew.printf("\n#### Operation %s: %s %s", mdCode(o.ID), o.Action, mdCode(o.Resource))
				if o.Limit > 0 {
					ew.printf(", at most %d", o.Limit)
				}
				ew.printf(" (%s)\n\n", mdCode(o.At))
				if o.Description != "" {
					ew.printf("%s\n\n", mdEscape(o.Description))
				}
				if len(o.Params) > 0 {
					ew.printf("| param | type | required | check | at |\n|---|---|---|---|---|\n")
					for _, p := range o.Params {
						check := paramCheck(p)
						if check != "-" {
							check = mdCode(check)
						}
						ew.printf("| %s | %s | %s | %s | %s |\n", mdCode(p.Name), paramType(p), yesNo(p.Required), check, mdCode(p.At))
					}
					ew.printf("\n")
				}
				if len(o.Fields) > 0 {
					ew.printf("| field | rule | expert sees | at |\n|---|---|---|---|\n")
					for _, f := range o.Fields {
						ew.printf("| %s | **%s** | %s | %s |\n", mdCode(f.Path), ruleText(f), mdEscape(f.Shows), mdCode(f.At))
					}
					ew.printf("\n")
				}
				if len(o.Inputs) > 0 {
					ew.printf("| input | kind | accepts | at |\n|---|---|---|---|\n")
					for _, in := range o.Inputs {
						ew.printf("| %s | %s | %s | %s |\n", mdCode(in.Path), in.Kind, mdEscape(in.Accepts), mdCode(in.At))
					}
					ew.printf("\n")
				}
			}
		}
	}
	return ew.err
}

// explainPage is one self-contained page: inline CSS, no scripts, no
// external assets, so it can be attached to a review ticket as is.
const explainPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cxgate scopes: what experts can see</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #d0d7de;padding-bottom:.3rem}h3{margin-top:1.8rem}h4{margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top;font-size:.92rem}
th{background:#f6f8fa}code,.at{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}.at{color:#57606a;white-space:nowrap}
.meta{color:#57606a}.access{background:#f6f8fa;border-left:4px solid #8c959f;padding:.4rem .7rem}
.rule{display:inline-block;border-radius:.8rem;padding:.05rem .6rem;font-weight:600;font-size:.85rem;white-space:nowrap}
.r-keep{background:#ffd7d5;color:#82071e}.r-mask,.r-scrub{background:#fff1c2;color:#7d4e00}.r-tokenize{background:#fbefff;color:#6e40c9}
.r-hash{background:#ddf4ff;color:#0a3069}.r-redact{background:#dafbe1;color:#116329}
.yes{background:#dafbe1}.no{color:#57606a}
.legend span{margin-right:.6rem}
</style>
</head>
<body>
<h1>What experts can see</h1>
<p class="meta">Generated by <code>cxgate scopes explain</code> from the scope files. Every rule shows the <code>file:line</code> it comes from. Anything not listed never reaches an expert.</p>
<p class="legend">Exposure, most to least:
<span class="rule r-keep">keep</span><span class="rule r-mask">mask</span><span class="rule r-scrub">scrub</span><span class="rule r-tokenize">tokenize</span><span class="rule r-hash">hash</span><span class="rule r-redact">redact</span></p>
{{range .Clients}}
<h2>Client <code>{{.ID}}</code></h2>
<p>Connection <code>{{.Connection}}</code>.
{{if .Retention}}Retention <b>{{.Retention}}</b> <span class="at">{{.RetentionAt}}</span>.{{else}}Retention not stated.{{end}}
{{with .Filter}}Content filter: phone regions {{if .PhoneRegions}}{{join .PhoneRegions}}{{else}}(defaults){{end}}; allow patterns {{if .AllowPatterns}}{{range $i, $p := .AllowPatterns}}{{if $i}}, {{end}}<code>{{$p}}</code>{{end}}{{else}}(none){{end}} <span class="at">{{.At}}</span>.{{end}}
<span class="meta">Files: {{join .Files}}</span></p>
{{if and .Inquiries .Levels}}
<h3>Who may use what</h3>
<table><tr><th>inquiry</th>{{range .Levels}}<th>{{.}}</th>{{end}}</tr>
{{range .Inquiries}}<tr><td><code>{{.ID}}</code></td>{{range .Levels}}{{if .Allowed}}<td class="yes">yes</td>{{else}}<td class="no">no ({{.Code}})</td>{{end}}{{end}}</tr>
{{end}}</table>
{{end}}
{{range .Inquiries}}
<h3>Inquiry <code>{{.ID}}</code>{{if .Description}}: {{.Description}}{{end}} <span class="at">{{.At}}</span></h3>
<p class="access"><b>Access:</b> {{.Access.Summary}}</p>
{{range .Operations}}
<h4>Operation <code>{{.ID}}</code>: {{.Action}} <code>{{.Resource}}</code>{{if .Limit}}, at most {{.Limit}}{{end}} <span class="at">{{.At}}</span></h4>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>param</th><th>type</th><th>required</th><th>check</th><th>at</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{ptype .}}</td><td>{{yesno .Required}}</td><td><code>{{pcheck .}}</code></td><td class="at">{{.At}}</td></tr>
{{end}}</table>{{end}}
{{if .Fields}}<table><tr><th>field</th><th>rule</th><th>expert sees</th><th>at</th></tr>
{{range .Fields}}<tr><td><code>{{.Path}}</code></td><td><span class="rule r-{{.Rule}}">{{rule .}}</span></td><td>{{.Shows}}</td><td class="at">{{.At}}</td></tr>
{{end}}</table>{{end}}
{{if .Inputs}}<table><tr><th>input</th><th>kind</th><th>accepts</th><th>at</th></tr>
{{range .Inputs}}<tr><td><code>{{.Path}}</code></td><td>{{.Kind}}</td><td>{{.Accepts}}</td><td class="at">{{.At}}</td></tr>
{{end}}</table>{{end}}
{{end}}
{{end}}
{{end}}
</body>
</html>
`

func explainHTML(w io.Writer, ex Explanation) error {
	t, err := template.New("explain").Funcs(template.FuncMap{
		"join":   func(s []string) string { return strings.Join(s, ", ") },
		"ptype":  paramType,
		"pcheck": paramCheck,
		"yesno":  yesNo,
		"rule":   ruleText,
	}).Parse(explainPage)
	if err != nil {
		return err
	}
	return t.Execute(w, ex)
}
