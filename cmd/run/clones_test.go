package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClonesCommands(t *testing.T) {
	p := newProject(t)
	p.must(prod, "assets", "--set", "items.base_item_id=20")
	p.must(branch("42"), "job", "clone_prod")
	p.must(branch("43"), "job", "clone_prod")
	// A database named like a clone that clone_prod did not make.
	b, _ := os.ReadFile(filepath.Join(p.dir, "wh", "PRODUCTION.duckdb"))
	os.WriteFile(filepath.Join(p.dir, "wh", "PRODUCTION_CLONE_7.duckdb"), b, 0o644)

	r := p.must(branch("42"), "clones")
	for _, want := range []string{"PRODUCTION_CLONE_42  42", "PRODUCTION_CLONE_43  43", "PRODUCTION_CLONE_7   7"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run clones lacks %q:\n%s", want, r.stdout)
		}
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(p.must(branch("42"), "clones", "--json").stdout), &listed); err != nil || len(listed) != 3 {
		t.Fatalf("clones --json: %v (%d)", err, len(listed))
	}

	open := filepath.Join(p.dir, "open.txt")
	os.WriteFile(open, []byte("43\n"), 0o644)
	dry := p.must(prod, "clones", "reap", "--older-than", "0s", "--open-prs-file", open)
	if !strings.Contains(dry.stdout, "would drop   PRODUCTION_CLONE_42") || !strings.Contains(dry.stdout, "nothing dropped") {
		t.Errorf("dry reap:\n%s", dry.stdout)
	}
	if got := strings.Join(p.databases(), ","); got != "PRODUCTION,PRODUCTION_CLONE_42,PRODUCTION_CLONE_43,PRODUCTION_CLONE_7" {
		t.Fatalf("reap without --yes dropped something: %s", got)
	}
	p.must(prod, "clones", "reap", "--older-than", "0s", "--open-prs-file", open, "--yes")
	if got := strings.Join(p.databases(), ","); got != "PRODUCTION,PRODUCTION_CLONE_43,PRODUCTION_CLONE_7" {
		t.Errorf("after reap --yes: %s", got)
	}
	if r := p.run(prod, "clones", "reap"); r.code != 2 || !strings.Contains(r.stderr, "--older-than is required") {
		t.Errorf("reap without --older-than: exit %d %s", r.code, r.stderr)
	}
	if r := p.run(prod, "clones", "reap", "--older-than", "2w"); r.code != 2 || !strings.Contains(r.stderr, `age "2w"`) {
		t.Errorf("bad age: exit %d %s", r.code, r.stderr)
	}
	// The scheduled job does the same.
	p.must(branch("44"), "job", "clone_prod")
	p.must(prod, "job", "reap_stale_clones", "--set", "reap_stale_clones.older_than=0s", "--set", "reap_stale_clones.open_prs_file="+open)
	if got := strings.Join(p.databases(), ","); got != "PRODUCTION,PRODUCTION_CLONE_43,PRODUCTION_CLONE_7" {
		t.Errorf("after reap_stale_clones: %s", got)
	}
}

// An unreachable Snowflake account fails the run with one line naming the
// resource and the cause, writing nothing. The process deadline in p.run turns
// a hang into a failure; how long the failure takes is not asserted.
func TestUnreachableWarehouse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := newProject(t)
	r := p.run([]string{fmt.Sprintf("ASSETFLOW_WAREHOUSE=snowflake://me@acct?host=127.0.0.1&port=%d&protocol=http&login_timeout=2s", port),
		"SYSTEM_SNOWFLAKE_PASSWORD=pw"}, "assets", "--select", "items")
	want := fmt.Sprintf("open resource warehouse: snowflake account acct: cannot reach the account at 127.0.0.1:%d: dial connect: connection refused", port)
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, want 1 and %q\n%s", r.code, want, lastLines(r.stderr, 1))
	}
}
