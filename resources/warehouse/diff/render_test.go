package diff_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/warehouse/diff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// report is a fixed report: a changed table with a schema change and samples,
// an unchanged one, a new one, one without a key, and checks of each outcome.
func report() *diff.Report {
	return &diff.Report{Base: "PRODUCTION", Head: "PRODUCTION_CLONE_42", Tables: []*diff.Table{
		{Asset: "items", Base: "PRODUCTION.HACKER_NEWS.ITEMS", Head: "PRODUCTION_CLONE_42.HACKER_NEWS.ITEMS", BaseExists: true, HeadExists: true,
			Added: []diff.Column{{Name: "url", Type: "VARCHAR"}}, Removed: []diff.Column{{Name: "kids", Type: "BIGINT[]"}},
			Retyped: []diff.Retyped{{Name: "score", BaseType: "BIGINT", HeadType: "VARCHAR"}}, BaseRows: 967, HeadRows: 868,
			Key: []string{"id"}, Compared: true, RowsAdded: 1, RowsRemoved: 100, RowsChanged: 2,
			ChangedValues: []diff.ColumnCount{{Column: "title", Count: 2}},
			SampleAdded:   []diff.Row{{Key: []string{"3001"}, Values: map[string]string{"title": "a | pipe", "type": "story"}}},
			SampleRemoved: []diff.Row{{Key: []string{"1"}, Values: map[string]string{"title": "```fenced```", "type": "story"}}},
			SampleChanged: []diff.ChangedRow{{Key: []string{"5"}, Changes: []diff.Change{{Column: "title", Base: "old", Head: "<b>new</b>"}}}}},
		{Asset: "comments", Base: "PRODUCTION.HACKER_NEWS.COMMENTS", Head: "PRODUCTION_CLONE_42.HACKER_NEWS.COMMENTS", BaseExists: true, HeadExists: true,
			BaseRows: 10, HeadRows: 10, Key: []string{"id"}, Compared: true},
		{Asset: "jobs", Base: "PRODUCTION.HACKER_NEWS.JOBS", Head: "PRODUCTION_CLONE_42.HACKER_NEWS.JOBS", HeadExists: true, HeadRows: 3,
			KeyNote: "the table exists on one side only"},
		{Asset: "polls", Base: "PRODUCTION.HACKER_NEWS.POLLS", Head: "PRODUCTION_CLONE_42.HACKER_NEWS.POLLS", BaseExists: true, HeadExists: true,
			BaseRows: 4, HeadRows: 5, KeyNote: "no key declared: only the schema and row counts are compared"},
	}, Checks: []diff.CheckResult{
		{Asset: "items", Check: "unique_id", Severity: "ERROR", Passed: true},
		{Asset: "items", Check: "row_count", Severity: "ERROR", FailingRows: 1},
		{Asset: "stories", Check: "not_null_title", Severity: "WARN", FailingRows: 4},
	}}
}

func TestRenderGolden(t *testing.T) {
	for _, f := range []struct {
		file  string
		write func(*diff.Report, *bytes.Buffer) error
	}{
		{"report.txt", func(r *diff.Report, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"report.md", func(r *diff.Report, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"report.json", func(r *diff.Report, b *bytes.Buffer) error { return r.WriteJSON(b) }},
	} {
		var b bytes.Buffer
		if err := f.write(report(), &b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", f.file)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", f.file, b.String())
		}
	}
	var b bytes.Buffer
	if err := report().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if !strings.HasPrefix(md, diff.Marker) || strings.Count(md, "```") != 2 || strings.Contains(md, "jobs</code>") || !strings.Contains(md, "-&gt;") {
		t.Errorf("markdown escaping:\n%s", md)
	}
	var back diff.Report
	b.Reset()
	_ = report().WriteJSON(&b)
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Tables) != 4 || back.Tables[0].RowsRemoved != 100 {
		t.Errorf("JSON does not round-trip: %v", err)
	}
}
