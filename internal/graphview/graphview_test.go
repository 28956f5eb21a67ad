package graphview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/graphview"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// synthetic is a graph with two diamonds sharing a root, a disconnected pair, a
// lone asset and an op job.
func synthetic(t testing.TB) *engine.Catalog {
	noop := func(*engine.Context) (any, error) { return nil, nil }
	a := func(name, group string, deps ...string) engine.Asset {
		return engine.Asset{Name: name, Group: group, Deps: deps, Compute: noop}
	}
	io := engine.Resource{Description: "memory", Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}
	c, err := engine.Load(engine.Definitions{
		Env: "test",
		Assets: []engine.Asset{
			a("raw", "ingest"), a("left", "ingest", "raw"), a("right", "ingest", "raw"), a("joined", "mart", "left", "right"),
			a("left2", "mart", "raw"), a("report", "mart", "joined", "left2"),
			a("island_a", ""), a("island_b", "", "island_a"), a("lone", "misc"),
		},
		Jobs: []engine.Job{
			{Name: "marts", Selection: "group:mart"},
			{Name: "maintenance", Graph: &engine.Graph{Ops: []engine.Invocation{
				{Op: engine.Op{Name: "vacuum", Compute: noop}},
				{Op: engine.Op{Name: "analyze", Ins: []engine.In{{Name: "after", Nothing: true}}, Compute: noop}, Inputs: map[string]string{"after": "vacuum"}},
			}}},
		},
		Resources: map[string]engine.Resource{engine.DefaultIOManager: io},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func render(t *testing.T, v engine.GraphView, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := graphview.Render(&b, v, format); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSyntheticGolden(t *testing.T) {
	v := synthetic(t).Describe()
	for _, format := range graphview.Formats {
		t.Run(format, func(t *testing.T) {
			got := render(t, v, format)
			path := filepath.Join("..", "..", "testdata", "graph", "synthetic."+format)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (regenerate with go test ./internal/graphview -update)", err)
			}
			if got != string(want) {
				t.Errorf("differs from %s (go test ./internal/graphview -update):\n%s", path, got)
			}
		})
	}
}

func TestEveryNodeAndEdgeIsDrawn(t *testing.T) {
	v := synthetic(t).Describe()
	dot, mermaid := render(t, v, "dot"), render(t, v, "mermaid")
	// Mermaid: map ids back to names, then check each edge.
	ids := map[string]string{}
	for _, m := range regexp.MustCompile(`(n\d+)\["([^"]+)"\]`).FindAllStringSubmatch(mermaid, -1) {
		ids[m[2]] = m[1]
	}
	for _, a := range v.Assets {
		if ids[a.Name] == "" {
			t.Errorf("mermaid: no node %s", a.Name)
		}
		if !strings.Contains(dot, fmt.Sprintf("%q [label=", a.Name)) {
			t.Errorf("dot: no node %s", a.Name)
		}
		for _, d := range a.Deps {
			if !strings.Contains(mermaid, ids[d]+" --> "+ids[a.Name]+"\n") {
				t.Errorf("mermaid: no edge %s -> %s", d, a.Name)
			}
			if !strings.Contains(dot, fmt.Sprintf("%q -> %q;", d, a.Name)) {
				t.Errorf("dot: no edge %s -> %s", d, a.Name)
			}
		}
	}
	var decoded engine.GraphView
	dec := json.NewDecoder(strings.NewReader(render(t, v, "json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&decoded); err != nil {
		t.Fatalf("JSON does not decode into the documented schema: %v", err)
	}
	if len(decoded.Assets) != 9 || decoded.Assets[len(decoded.Assets)-1].Name != "report" || decoded.Jobs[0].Ops[1].Deps[0] != "vacuum" {
		t.Errorf("decoded %+v", decoded)
	}
}

func TestDOTParsesWithGraphviz(t *testing.T) {
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz's dot is not installed (apt-get install graphviz): DOT output not checked by dot")
	}
	for _, v := range []engine.GraphView{synthetic(t).Describe()} {
		cmd := exec.Command(dotBin, "-Tsvg")
		cmd.Stdin = strings.NewReader(render(t, v, "dot"))
		if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("<svg")) {
			t.Fatalf("dot: %v\n%.300s", err, out)
		}
	}
}

func TestSelectionAndJobViews(t *testing.T) {
	c := synthetic(t)
	cases := map[string][]string{
		"joined":          {"joined"},
		"+joined":         {"left", "right", "joined"},
		"*report":         {"raw", "left", "right", "joined", "left2", "report"},
		"raw+":            {"raw", "left", "left2", "right"},
		"raw++":           {"raw", "left", "left2", "right", "joined", "report"},
		"left*":           {"left", "joined", "report"},
		"group:mart,lone": {"joined", "left2", "lone", "report"},
		"island_a+, lone": {"island_a", "island_b", "lone"},
		"*":               {"island_a", "island_b", "lone", "raw", "left", "left2", "right", "joined", "report"},
	}
	for sel, want := range cases {
		v, err := c.DescribeSelection(sel)
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		var got []string
		for _, a := range v.Assets {
			got = append(got, a.Name)
		}
		if strings.Join(slices.Sorted(slices.Values(got)), ",") != strings.Join(slices.Sorted(slices.Values(want)), ",") {
			t.Errorf("%s selects %v, want %v", sel, got, want)
		}
	}
	for _, bad := range []string{"", "repot", "group:nope", "a b", "++", "x,,y", "+*x"} {
		if _, err := c.DescribeSelection(bad); err == nil {
			t.Errorf("selection %q accepted", bad)
		}
	}
	if _, err := c.DescribeSelection("repot"); err == nil || !strings.Contains(err.Error(), `did you mean "report"?`) {
		t.Errorf("no suggestion: %v", err)
	}
	v, err := c.DescribeJob("maintenance")
	if err != nil || len(v.Jobs) != 1 || len(v.Assets) != 0 || len(v.Jobs[0].Ops) != 2 {
		t.Errorf("job view %+v (%v)", v, err)
	}
}

// FuzzParseSelection: the parser never panics, and whatever it accepts renders
// back to terms it parses the same way.
func FuzzParseSelection(f *testing.F) {
	for _, s := range []string{"items", "+items", "items+", "*items", "items*", "*", "group:hacker_news",
		"a,b", "++x++", "", ",", "+*", "group:", "a b", "x\x00", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms, err := engine.ParseSelection(s)
		if err != nil {
			return
		}
		var parts []string
		for _, term := range terms {
			parts = append(parts, term.String())
		}
		again, err := engine.ParseSelection(strings.Join(parts, ","))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(terms) {
			t.Fatalf("%q -> %v -> %v (%v)", s, terms, again, err)
		}
	})
}
