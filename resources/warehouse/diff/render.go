package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Marker is hidden in the markdown report, so a poster can find its own comment
// on a pull request and update it instead of adding another.
const Marker = "<!-- assetflow:run-diff -->"

// Report is a whole `run diff`: each selected asset's table compared, and the
// latest evaluation of each asset check, when known.
type Report struct {
	Base   string        `json:"base"` // database
	Head   string        `json:"head"`
	Tables []*Table      `json:"tables"`
	Checks []CheckResult `json:"checks,omitempty"`
}

// CheckResult is one asset check's latest evaluation, for the report.
type CheckResult struct {
	Asset       string `json:"asset"`
	Check       string `json:"check"`
	Severity    string `json:"severity"`
	Passed      bool   `json:"passed"`
	FailingRows int64  `json:"failing_rows"`
	RunID       string `json:"run_id,omitempty"`
}

// Changed counts the tables that differ.
func (r *Report) Changed() int {
	n := 0
	for _, t := range r.Tables {
		if t.Changed() {
			n++
		}
	}
	return n
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "diff %s (base) -> %s (head): %d of %d tables changed\n", r.Base, r.Head, r.Changed(), len(r.Tables))
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "\n%s  %s\n", t.title(), t.verdict())
		for _, line := range t.lines() {
			fmt.Fprintf(&b, "  %s\n", line)
		}
		if t.Compared {
			for _, s := range t.SampleAdded {
				fmt.Fprintf(&b, "  + %s\n", s.text(t.Key))
			}
			for _, s := range t.SampleRemoved {
				fmt.Fprintf(&b, "  - %s\n", s.text(t.Key))
			}
			for _, s := range t.SampleChanged {
				fmt.Fprintf(&b, "  ~ %s\n", s.text(t.Key))
			}
		}
	}
	writeChecksText(&b, r.Checks)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as a pull-request comment, starting with
// Marker.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	fmt.Fprintf(&b, "### assetflow: data changes in `%s` against `%s`\n\n", r.Head, r.Base)
	fmt.Fprintf(&b, "%d of %d tables changed.\n\n", r.Changed(), len(r.Tables))
	b.WriteString("| asset | rows (base → head) | added | removed | changed | schema |\n|---|---|---|---|---|---|\n")
	for _, t := range r.Tables {
		added, removed, changed := "–", "–", "–"
		if t.Compared {
			added, removed, changed = fmt.Sprint(t.RowsAdded), fmt.Sprint(t.RowsRemoved), fmt.Sprint(t.RowsChanged)
		}
		fmt.Fprintf(&b, "| `%s` | %s → %s | %s | %s | %s | %s |\n", t.name(), rowsOf(t.BaseExists, t.BaseRows),
			rowsOf(t.HeadExists, t.HeadRows), added, removed, changed, mdEscape(t.schemaSummary()))
	}
	for _, t := range r.Tables {
		samples := len(t.SampleAdded) + len(t.SampleRemoved) + len(t.SampleChanged)
		if !t.Changed() || len(t.lines())+samples == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n<details><summary><code>%s</code>: %s</summary>\n\n", t.name(), mdEscape(t.verdict()))
		for _, line := range t.lines() {
			fmt.Fprintf(&b, "- %s\n", mdEscape(line))
		}
		if t.Compared && len(t.SampleAdded)+len(t.SampleRemoved)+len(t.SampleChanged) > 0 {
			b.WriteString("\n```diff\n")
			for _, s := range t.SampleAdded {
				fmt.Fprintf(&b, "+ %s\n", fence(s.text(t.Key)))
			}
			for _, s := range t.SampleRemoved {
				fmt.Fprintf(&b, "- %s\n", fence(s.text(t.Key)))
			}
			for _, s := range t.SampleChanged {
				fmt.Fprintf(&b, "! %s\n", fence(s.text(t.Key)))
			}
			b.WriteString("```\n")
		}
		b.WriteString("\n</details>\n")
	}
	if len(r.Checks) > 0 {
		b.WriteString("\n#### Asset checks\n\n| asset | check | severity | result |\n|---|---|---|---|\n")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", c.Asset, c.Check, c.Severity, c.result())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeChecksText(b *strings.Builder, checks []CheckResult) {
	if len(checks) == 0 {
		return
	}
	b.WriteString("\nchecks:\n")
	for _, c := range checks {
		fmt.Fprintf(b, "  %-10s %-28s %-5s %s\n", c.Asset, c.Check, c.Severity, c.result())
	}
}

func (c CheckResult) result() string {
	switch {
	case c.Passed:
		return "passed"
	case c.Severity == "ERROR":
		return fmt.Sprintf("FAILED, blocking (%d failing rows)", c.FailingRows)
	}
	return fmt.Sprintf("failed, warning (%d failing rows)", c.FailingRows)
}

func (t *Table) name() string {
	if t.Asset != "" {
		return t.Asset
	}
	return t.Head
}

func (t *Table) title() string {
	if t.Asset != "" {
		return fmt.Sprintf("%s (%s)", t.Asset, tableOnly(t.Head))
	}
	return t.Head
}

func tableOnly(ref string) string {
	if i := strings.LastIndex(ref, "."); i >= 0 {
		if j := strings.LastIndex(ref[:i], "."); j >= 0 {
			return ref[j+1:]
		}
	}
	return ref
}

func (t *Table) verdict() string {
	switch {
	case !t.BaseExists && !t.HeadExists:
		return "missing on both sides"
	case !t.BaseExists:
		return fmt.Sprintf("new table, %d rows", t.HeadRows)
	case !t.HeadExists:
		return "removed: the table is missing in head"
	case !t.Changed():
		return "unchanged"
	}
	parts := []string{fmt.Sprintf("rows %d -> %d", t.BaseRows, t.HeadRows)}
	if t.Compared {
		parts = append(parts, fmt.Sprintf("%d added, %d removed, %d changed", t.RowsAdded, t.RowsRemoved, t.RowsChanged))
	}
	if s := t.schemaSummary(); s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func (t *Table) schemaSummary() string {
	var parts []string
	for _, c := range t.Added {
		parts = append(parts, "+"+c.Name+" "+c.Type)
	}
	for _, c := range t.Removed {
		parts = append(parts, "-"+c.Name)
	}
	for _, c := range t.Retyped {
		parts = append(parts, fmt.Sprintf("%s %s->%s", c.Name, c.BaseType, c.HeadType))
	}
	return strings.Join(parts, ", ")
}

// lines are the details of a changed table, one fact a line.
func (t *Table) lines() []string {
	var out []string
	if len(t.Added) > 0 {
		out = append(out, "columns added: "+columnList(t.Added))
	}
	if len(t.Removed) > 0 {
		out = append(out, "columns removed: "+columnList(t.Removed))
	}
	for _, c := range t.Retyped {
		out = append(out, fmt.Sprintf("column %s retyped: %s -> %s", c.Name, c.BaseType, c.HeadType))
	}
	if t.KeyNote != "" && t.BaseExists && t.HeadExists {
		out = append(out, t.KeyNote)
	}
	if len(t.ChangedValues) > 0 {
		parts := make([]string, len(t.ChangedValues))
		for i, c := range t.ChangedValues {
			parts[i] = fmt.Sprintf("%s %d", c.Column, c.Count)
		}
		out = append(out, "changed values by column: "+strings.Join(parts, ", "))
	}
	return out
}

func columnList(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.Type
	}
	return strings.Join(parts, ", ")
}

func (r Row) text(key []string) string {
	names := make([]string, 0, len(r.Values))
	for n := range r.Values {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{keyText(key, r.Key)}
	for _, n := range names {
		parts = append(parts, n+"="+r.Values[n])
	}
	return strings.Join(parts, " ")
}

func (r ChangedRow) text(key []string) string {
	parts := []string{keyText(key, r.Key)}
	for _, c := range r.Changes {
		parts = append(parts, fmt.Sprintf("%s: %s -> %s", c.Column, c.Base, c.Head))
	}
	return strings.Join(parts, " ")
}

func keyText(names, values []string) string {
	parts := make([]string, len(names))
	for i := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		parts[i] = names[i] + "=" + v
	}
	return strings.Join(parts, ",")
}

func rowsOf(exists bool, n int64) string {
	if !exists {
		return "–"
	}
	return fmt.Sprint(n)
}

// mdEscape keeps table cells and list items from breaking the markdown.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// fence keeps a sample line from closing the code block.
func fence(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "```", "'''"), "\n", " ")
}
