package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/ops"
)

// inProcess runs the command tree in this process, with the given variables only.
func inProcess(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := cli.NewRoot(app, &out, &errOut, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestExitCodes(t *testing.T) {
	p := newProject(t)
	cases := []struct {
		args []string
		env  []string
		code int
		want string
	}{
		{[]string{"list"}, nil, 0, ""},
		{[]string{"bogus"}, nil, 2, `unknown command "bogus"`},
		{[]string{"assets", "--bogus"}, nil, 2, "unknown flag: --bogus"},
		{[]string{"assets", "--select", "itmes"}, nil, 2, `did you mean "items"?`},
		{[]string{"assets", "--select", ""}, nil, 2, "empty selection"},
		{[]string{"assets", "--set", "items.base_item_id=abc"}, nil, 2, "base_item_id = abc: expected a whole number"},
		{[]string{"assets", "--set", "items.base_item_id=0"}, nil, 2, "base_item_id = 0: expected a number from 1"},
		{[]string{"assets", "--set", "nodot"}, nil, 2, "expected NODE.KEY=VALUE"},
		{[]string{"assets", "--config", "missing.yaml"}, nil, 2, "--config"},
		{[]string{"job"}, nil, 2, "expected one job name"},
		{[]string{"job", "clone_prd"}, nil, 2, `did you mean "clone_prod"?`},
		{[]string{"graph", "--format", "png"}, nil, 2, `--format "png": expected one of text, dot, mermaid, json`},
		{[]string{"--env", "staging", "list"}, nil, 2, `unknown environment "staging"`},
		{[]string{"--log-level", "loud", "list"}, nil, 2, `--log-level "loud"`},
		{[]string{"assets"}, []string{"ASSETFLOW_HN_SNAPSHOT=/nonexistent.jsonl"}, 1, "nonexistent.jsonl"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := p.run(tc.env, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tc.code, lastLines(r.stderr, 3))
			}
		})
	}
}

func TestRunConfigFile(t *testing.T) {
	p := newProject(t)
	cfg := filepath.Join(p.dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte("ops:\n  items:\n    config:\n      base_item_id: 40\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := p.must(nil, "assets", "--config", cfg)
	if !strings.Contains(r.stdout, "PRODUCTION.HACKER_NEWS.ITEMS: 3") && !strings.Contains(r.stdout, "PRODUCTION.HACKER_NEWS.ITEMS: 4") {
		t.Errorf("summary does not show about 40 items:\n%s", r.stdout)
	}
	var starts int
	for _, line := range strings.Split(r.stderr, "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) == nil && ev["event"] == "STEP_START" && !strings.Contains(fmt.Sprint(ev["node"]), ":") {
			starts++
		}
	}
	if starts != 3 {
		t.Errorf("%d STEP_START events in the JSON log, want 3", starts)
	}
	if first := strings.SplitN(r.stderr, "\n", 2)[0]; !strings.Contains(first, "bundled snapshot") ||
		!strings.Contains(first, "ASSETFLOW_HN_URL=https://hacker-news.firebaseio.com/v0") {
		t.Errorf("first log line does not say where items come from: %s", first)
	}
}

// A known secret set in the environment appears in no output.
func TestSecretsNeverShown(t *testing.T) {
	const secret = "s3cr3t-Pa55-word"
	vars := map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://me@acct?role=R&host=127.0.0.1&port=1&protocol=http",
		"SYSTEM_SNOWFLAKE_PASSWORD": secret, "ASSETFLOW_ENV": "prod"}
	for _, args := range [][]string{{"env"}, {"list"}, {"graph"}, {"graph", "--format", "json"}, {"graph", "--format", "dot"}} {
		out, errOut, err := inProcess(t, vars, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if strings.Contains(out+errOut, secret) {
			t.Errorf("%v shows the password", args)
		}
		if args[0] == "env" && !strings.Contains(out, "password     ***") {
			t.Errorf("run env does not show the password as ***:\n%s", out)
		}
	}
}

// Golden output of run graph in every format on the real definitions.
func TestGraphGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"graph.txt", []string{"graph"}},
		{"graph.dot", []string{"graph", "--format", "dot"}},
		{"graph.mmd", []string{"graph", "--format", "mermaid"}},
		{"graph.json", []string{"graph", "--format", "json"}},
		{"graph-job.txt", []string{"graph", "--job", "clone_prod"}},
		{"graph-select.txt", []string{"graph", "--select", "+comments"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			vars := map[string]string{"ASSETFLOW_HN_SNAPSHOT": "testdata/hn/items.jsonl", "ASSETFLOW_WAREHOUSE": "duckdb:///tmp/wh"}
			out, _, err := inProcess(t, vars, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("..", "..", "testdata", "graph", tc.file), out)
			for _, line := range strings.Split(out, "\n") {
				if strings.HasSuffix(tc.file, ".txt") && len([]rune(line)) > 100 || strings.HasSuffix(line, " ") {
					t.Errorf("line over 100 columns or with trailing space: %q", line)
				}
			}
		})
	}
	out, _, _ := inProcess(t, map[string]string{"ASSETFLOW_HN_SNAPSHOT": "x"}, "graph", "--format", "json")
	var v engine.GraphView
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Assets) != 3 || len(v.Jobs) != len(ops.Jobs()) {
		t.Errorf("graph JSON does not decode into the documented schema: %v", err)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./cmd/run -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cmd/run -run Golden -update):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGraphStatus(t *testing.T) {
	p := newProject(t)
	r := p.must(nil, "graph")
	if _, err := os.Stat(filepath.Join(p.dir, "wh")); !os.IsNotExist(err) {
		t.Error("run graph without --status created the warehouse")
	}
	r = p.must(nil, "graph", "--status")
	if strings.Count(r.stdout, "not materialized") != 3 {
		t.Errorf("before any run:\n%s", r.stdout)
	}
	p.must(nil, "assets", "--set", "items.base_item_id=30")
	r = p.must(nil, "graph", "--status", "--format", "json")
	var v engine.GraphView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Assets {
		if a.Status == nil || !a.Status.Exists || a.Status.Rows == 0 || a.Status.MaterializedAt.IsZero() ||
			a.Status.Location != "PRODUCTION.HACKER_NEWS."+strings.ToUpper(a.Name) {
			t.Errorf("%s status %+v", a.Name, a.Status)
		}
	}
}
