// Package graphview renders an engine.GraphView as text, Graphviz DOT, Mermaid or
// JSON, for `run graph`.
package graphview

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/assetflow/assetflow/engine"
)

// Formats lists the supported formats.
var Formats = []string{"text", "dot", "mermaid", "json"}

// Render writes v in the named format.
func Render(w io.Writer, v engine.GraphView, format string) error {
	switch format {
	case "text", "":
		return Text(w, v)
	case "dot":
		return DOT(w, v)
	case "mermaid":
		return Mermaid(w, v)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return engine.Usagef("unknown graph format %q: expected one of %s", format, strings.Join(Formats, ", "))
}

// width is the widest line Text writes.
const width = 100

// Text draws assets by topological layer with their upstreams, then jobs with
// their ops in order, then the bound resources. Lines fit in 100 columns.
func Text(w io.Writer, v engine.GraphView) error {
	lines := []string{"environment: " + v.Env}
	if len(v.Assets) > 0 {
		layers := 0
		for _, a := range v.Assets {
			layers = max(layers, a.Layer+1)
		}
		rows := make([][]string, 0, len(v.Assets))
		for _, a := range v.Assets {
			deps := "-"
			if len(a.Deps) > 0 {
				deps = "<- " + strings.Join(a.Deps, ", ")
			}
			rows = append(rows, []string{a.Name, deps, nodeFacts(a)})
		}
		widths := columnWidths(rows)
		lines = append(lines, "", fmt.Sprintf("assets (%d, in %d layers)", len(v.Assets), layers))
		for l := 0; l < layers; l++ {
			lines = append(lines, fmt.Sprintf("  layer %d", l))
			for i, a := range v.Assets {
				if a.Layer == l {
					lines = append(lines, "    "+join(rows[i], widths))
					if st := statusText(a); st != "" {
						lines = append(lines, "      "+st)
					}
					if m := markText(a); m != "" {
						lines = append(lines, "      "+m)
					}
				}
			}
		}
	}
	if len(v.Jobs) > 0 {
		rows := make([][]string, 0, len(v.Jobs))
		for _, j := range v.Jobs {
			where := "all environments"
			if len(j.Envs) > 0 {
				where = strings.Join(j.Envs, ",") + " only"
			}
			if !j.Available {
				where += " (not here)"
			}
			steps := "assets " + j.Selection
			if j.Ops != nil {
				names := make([]string, len(j.Ops))
				for i, op := range j.Ops {
					names[i] = op.Name
				}
				steps = strings.Join(names, " -> ")
			}
			rows = append(rows, []string{j.Name, where, steps})
		}
		lines = append(lines, "", "jobs")
		widths := columnWidths(rows)
		for _, r := range rows {
			lines = append(lines, "  "+join(r, widths))
		}
	}
	if len(v.Resources) > 0 {
		rows := make([][]string, 0, len(v.Resources))
		for _, r := range v.Resources {
			rows = append(rows, []string{r.Key, r.Description})
		}
		lines = append(lines, "", "resources")
		widths := columnWidths(rows)
		for _, r := range rows {
			lines = append(lines, "  "+join(r, widths))
		}
	}
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(clip(strings.TrimRight(line, " "), width))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// columnWidths returns the widest cell of each column but the last.
func columnWidths(rows [][]string) []int {
	var widths []int
	for _, r := range rows {
		for i, cell := range r[:len(r)-1] {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	return widths
}

// join pads each cell but the last to its column's width, two spaces apart.
func join(cells []string, widths []int) string {
	var b strings.Builder
	for i, cell := range cells {
		if i < len(cells)-1 {
			fmt.Fprintf(&b, "%-*s  ", widths[i], cell)
		} else {
			b.WriteString(cell)
		}
	}
	return b.String()
}

func nodeFacts(a engine.NodeView) string {
	var facts []string
	if a.IOManager != "" {
		facts = append(facts, "io: "+a.IOManager)
	}
	if len(a.Resources) > 0 {
		facts = append(facts, "uses: "+strings.Join(a.Resources, ","))
	}
	if a.Group != "" {
		facts = append(facts, "group: "+a.Group)
	}
	return strings.Join(facts, "  ")
}

// statusText describes an asset's stored table, or "" without --status.
func statusText(a engine.NodeView) string {
	st := a.Status
	switch {
	case st == nil:
		return ""
	case !st.Exists:
		return "not materialized"
	}
	s := fmt.Sprintf("%s: %d rows", st.Location, st.Rows)
	if !st.MaterializedAt.IsZero() {
		s += ", written " + st.MaterializedAt.UTC().Format("2006-01-02 15:04Z")
	}
	if st.LastRunID != "" {
		s += " by run " + st.LastRunID
	}
	return s
}

// markText says whether an asset is changed or stale and how its checks did,
// or "" when nothing is known.
func markText(a engine.NodeView) string {
	st := a.Status
	if st == nil {
		return ""
	}
	var parts []string
	if st.Changed {
		parts = append(parts, "changed")
	}
	if len(st.StaleBy) > 0 {
		parts = append(parts, "stale ("+strings.Join(st.StaleBy, ",")+" newer)")
	}
	if st.Checks != "" {
		parts = append(parts, "checks "+st.Checks)
	}
	return strings.Join(parts, "; ")
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// DOT writes a Graphviz digraph: assets, then each job's ops in a cluster.
func DOT(w io.Writer, v engine.GraphView) error {
	var b strings.Builder
	b.WriteString("digraph assetflow {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n")
	fmt.Fprintf(&b, "  label=%s;\n", quote("assetflow ("+v.Env+")"))
	for _, a := range v.Assets {
		label := a.Name + "\n" + nodeFacts(a)
		if st := statusText(a); st != "" {
			label += "\n" + st
		}
		fmt.Fprintf(&b, "  %s [label=%s];\n", quote(a.Name), quote(label))
	}
	for _, a := range v.Assets {
		for _, d := range a.Deps {
			fmt.Fprintf(&b, "  %s -> %s;\n", quote(d), quote(a.Name))
		}
	}
	for i, j := range v.Jobs {
		if j.Ops == nil {
			continue
		}
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s;\n    style=dashed;\n", i, quote("job "+j.Name))
		for _, op := range j.Ops {
			fmt.Fprintf(&b, "    %s [label=%s, shape=ellipse];\n", quote(j.Name+"."+op.Name), quote(op.Name))
		}
		for _, op := range j.Ops {
			for _, d := range op.Deps {
				fmt.Fprintf(&b, "    %s -> %s;\n", quote(j.Name+"."+d), quote(j.Name+"."+op.Name))
			}
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// Mermaid writes a flowchart that renders in a GitHub README.
func Mermaid(w io.Writer, v engine.GraphView) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	id := func(key string) string {
		if s, ok := ids[key]; ok {
			return s
		}
		ids[key] = fmt.Sprintf("n%d", len(ids))
		return ids[key]
	}
	for _, a := range v.Assets {
		fmt.Fprintf(&b, "  %s[%s]\n", id("asset:"+a.Name), mermaidText(a.Name))
	}
	for _, a := range v.Assets {
		for _, d := range a.Deps {
			fmt.Fprintf(&b, "  %s --> %s\n", id("asset:"+d), id("asset:"+a.Name))
		}
	}
	jobs := append([]engine.JobView(nil), v.Jobs...)
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	for _, j := range jobs {
		if j.Ops == nil {
			continue
		}
		fmt.Fprintf(&b, "  subgraph %s[%s]\n", id("job:"+j.Name), mermaidText("job "+j.Name))
		for _, op := range j.Ops {
			fmt.Fprintf(&b, "    %s([%s])\n", id("op:"+j.Name+"."+op.Name), mermaidText(op.Name))
		}
		for _, op := range j.Ops {
			for _, d := range op.Deps {
				fmt.Fprintf(&b, "    %s --> %s\n", id("op:"+j.Name+"."+d), id("op:"+j.Name+"."+op.Name))
			}
		}
		b.WriteString("  end\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mermaidText(s string) string { return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"` }
