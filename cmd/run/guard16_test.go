package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/internal/runstore"
)

// Hardening, round two (issue 16): the attacks that broke a promise, through
// the real binary or the real command tree.

// DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=true (as YAML writes it) with a PR id is a
// branch, not prod: it must not write PRODUCTION, and before clone_prod it is
// refused with the way out. Unclear values and a PR id in prod are errors.
func TestEnvironmentRuleFailsClosed(t *testing.T) {
	p := newProject(t)
	p.must(prod, "assets", "--set", "items.base_item_id=20")
	before := p.checksums()
	yamlTrue := []string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=true", "DAGSTER_CLOUD_PULL_REQUEST_ID=5"}
	r := p.run(yamlTrue, "assets", "--set", "items.base_item_id=30")
	if r.code != 2 || !strings.Contains(r.stderr, "PRODUCTION_CLONE_5 does not exist yet: run `run job clone_prod` first") {
		t.Errorf("true + PR id before clone_prod: exit %d\n%s", r.code, lastLines(r.stderr, 2))
	}
	if after := p.checksums(); after["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Fatal("PRODUCTION changed")
	}
	if _, ok := p.checksums()["PRODUCTION_CLONE_5.duckdb"]; ok {
		t.Error("a clone with no recorded origin was created")
	}
	p.must(yamlTrue, "job", "clone_prod")
	p.must(yamlTrue, "assets", "--set", "items.base_item_id=30")
	if after := p.checksums(); after["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Fatal("PRODUCTION changed")
	}
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=maybe", "DAGSTER_CLOUD_PULL_REQUEST_ID=5"}, []string{"assets"}, `DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT="maybe"`},
		{[]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=0", "DAGSTER_CLOUD_PULL_REQUEST_ID=5"}, []string{"assets"}, `DAGSTER_CLOUD_PULL_REQUEST_ID="5" is set but the environment is prod`},
		{[]string{"ASSETFLOW_ENV=prod", "DAGSTER_CLOUD_PULL_REQUEST_ID=5"}, []string{"assets"}, "pass --env prod"},
	} {
		if r := p.run(tc.env, tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tc.env, r.code, tc.want, lastLines(r.stderr, 1))
		}
	}
	if after := p.checksums(); after["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Fatal("PRODUCTION changed")
	}
	// An explicit choice wins, with a warning naming both.
	r = p.must(append(branch("5"), "ASSETFLOW_ENV=local"), "env")
	if !strings.Contains(r.stdout, "environment: local") || !strings.Contains(r.stderr, "ASSETFLOW_ENV=local wins over DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=") {
		t.Errorf("contradiction not warned:\n%s\n%s", r.stdout, r.stderr)
	}
}

// A hard link to PRODUCTION's file under a clone's name is refused, saying
// what was found; production is untouched.
func TestLinkedCloneRefused(t *testing.T) {
	p := newProject(t)
	p.must(prod, "assets", "--set", "items.base_item_id=20")
	wh := filepath.Join(p.dir, "wh")
	if err := os.Link(filepath.Join(wh, "PRODUCTION.duckdb"), filepath.Join(wh, "PRODUCTION_CLONE_43.duckdb")); err != nil {
		t.Fatal(err)
	}
	before := p.checksums()
	r := p.run(branch("43"), "assets", "--set", "items.base_item_id=30")
	if r.code == 0 || !strings.Contains(r.stderr, "is a hard link (2 names share that file)") {
		t.Errorf("exit %d\n%s", r.code, lastLines(r.stderr, 2))
	}
	if p.checksums()["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Fatal("PRODUCTION changed")
	}
}

// --from-failure re-executes a run only where it ran.
func TestFromFailureAcrossEnvironments(t *testing.T) {
	p := newProject(t)
	p.must(nil, "assets", "--select", "items", "--set", "items.base_item_id=80")
	p.exec("PRODUCTION", `CREATE VIEW "PRODUCTION"."HACKER_NEWS"."COMMENTS" AS SELECT 1 AS x`)
	if r := p.run(nil, "assets", "--set", "items.base_item_id=80"); r.code != 1 {
		t.Fatalf("exit %d: the run should fail", r.code)
	}
	failed := p.lastRun()
	p.exec("PRODUCTION", `DROP VIEW "PRODUCTION"."HACKER_NEWS"."COMMENTS"`)
	p.must(prod, "job", "reap_stale_clones", "--set", "reap_stale_clones.dry_run=true") // any prod run
	p.must(branch("42"), "job", "clone_prod")
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{prod, "ran in local (PRODUCTION on duckdb "},
		{branch("42"), "this is branch (PRODUCTION_CLONE_42 on duckdb "},
	} {
		r := p.run(tc.env, "assets", "--from-failure", failed.ID)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "--env local") {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tc.env, r.code, tc.want, lastLines(r.stderr, 1))
		}
	}
	p.must(nil, "assets", "--from-failure", failed.ID)
}

// Reaping is refused in branch; ages that overflow are refused; temporary
// files killed clones left are reported and reaped.
func TestReapRefusals(t *testing.T) {
	p := newProject(t)
	p.must(prod, "assets", "--set", "items.base_item_id=20")
	p.must(branch("42"), "job", "clone_prod")
	p.must(branch("43"), "job", "clone_prod")
	want := "PRODUCTION,PRODUCTION_CLONE_42,PRODUCTION_CLONE_43"
	if r := p.run(branch("42"), "clones", "reap", "--older-than", "0s", "--yes"); r.code != 2 || !strings.Contains(r.stderr, "clones reap is refused in branch") {
		t.Errorf("reap in branch: exit %d\n%s", r.code, lastLines(r.stderr, 1))
	}
	for _, args := range [][]string{
		{"clones", "reap", "--older-than", "200000d", "--yes"},
		{"clones", "reap", "--older-than", "36501d", "--yes"},
		{"job", "reap_stale_clones", "--set", "reap_stale_clones.older_than=200000d"},
	} {
		if r := p.run(prod, args...); r.code != 2 || !strings.Contains(r.stderr, "at most") && !strings.Contains(r.stderr, "from 0 to 36500d") {
			t.Errorf("%v: exit %d\n%s", args, r.code, lastLines(r.stderr, 1))
		}
	}
	if got := strings.Join(p.databases(), ","); got != want {
		t.Fatalf("something was dropped: %s", got)
	}
	p.must(prod, "clones", "reap", "--older-than", "36500d", "--yes") // the boundary itself is accepted
	if got := strings.Join(p.databases(), ","); got != want {
		t.Fatalf("a fresh clone was dropped at the boundary: %s", got)
	}
	stale := filepath.Join(p.dir, "wh", ".PRODUCTION_CLONE_9.clone-0123abcd.tmp")
	if err := os.WriteFile(stale, make([]byte, 8192), 0o644); err != nil {
		t.Fatal(err)
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(p.must(prod, "clones", "--json").stdout), &listed); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range listed {
		if c["name"] == "PRODUCTION_CLONE_9" && c["temp_bytes"] == float64(8192) {
			found = true
		}
	}
	if !found {
		t.Errorf("run clones does not report the temporary file's bytes: %v", listed)
	}
	if r := p.must(prod, "clones"); !strings.Contains(r.stdout, "TEMP FILES") || !strings.Contains(r.stdout, "8 KiB") {
		t.Errorf("run clones:\n%s", r.stdout)
	}
	p.must(prod, "clones", "reap", "--older-than", "14d", "--yes")
	if _, err := os.Stat(stale); err == nil {
		t.Error("reap left the stale temporary file")
	}
}

// ASSETFLOW_RUNS is a path: ?, # and %20 are part of the name; :memory: is
// refused.
func TestRunsVariableIsAPath(t *testing.T) {
	p := newProject(t)
	for _, name := range []string{"h?x.db", "h#x.db", "h%20x.db"} {
		env := []string{"ASSETFLOW_RUNS=" + filepath.Join(p.dir, name)}
		p.must(env, "assets", "--select", "items", "--set", "items.base_item_id=5")
		if _, err := os.Stat(filepath.Join(p.dir, name)); err != nil {
			t.Errorf("%s: history not in that file: %v", name, err)
		}
		var runs []runstore.Run
		if err := json.Unmarshal([]byte(p.must(env, "runs", "--json").stdout), &runs); err != nil || len(runs) != 1 {
			t.Errorf("%s: %d runs (%v)", name, len(runs), err)
		}
	}
	for _, bad := range []string{":memory:", p.dir} {
		if r := p.run([]string{"ASSETFLOW_RUNS=" + bad}, "assets", "--select", "items"); r.code != 2 || !strings.Contains(r.stderr, "ASSETFLOW_RUNS") {
			t.Errorf("%s: exit %d\n%s", bad, r.code, lastLines(r.stderr, 1))
		}
	}
}

// Credentials in ASSETFLOW_HN_URL and in an unparsable ASSETFLOW_WAREHOUSE are
// never shown.
func TestURLCredentialsNeverShown(t *testing.T) {
	const secret = "hunter2-Pa55"
	hn := map[string]string{"ASSETFLOW_HN_URL": "http://bob:" + secret + "@127.0.0.1:1/v0", "ASSETFLOW_WAREHOUSE": "duckdb:///tmp/wh"}
	for _, args := range [][]string{{"env"}, {"list"}, {"graph", "--format", "json"}} {
		out, errOut, err := inProcess(t, hn, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if strings.Contains(out+errOut, secret) || strings.Contains(out+errOut, "bob") {
			t.Errorf("%v shows the credentials:\n%s", args, out)
		}
		if args[0] == "env" && !strings.Contains(out, "http://***@127.0.0.1:1/v0") {
			t.Errorf("run env does not show the redacted URL:\n%s", out)
		}
	}
	for _, raw := range []string{"snowflake://me:" + secret + "@acct%zz", "postgres://me:" + secret + "@host", "snowflake://me:pa/" + secret + "@acct",
		"mysql://me:" + secret + "@[::1"} {
		_, _, err := inProcess(t, map[string]string{"ASSETFLOW_WAREHOUSE": raw, "SYSTEM_SNOWFLAKE_PASSWORD": "x"}, "env")
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

// A branch's materializations are not credited to local's tables.
func TestMaterializationsByEnvironment(t *testing.T) {
	p := newProject(t)
	p.must(nil, "assets", "--set", "items.base_item_id=20")
	local := p.lastRun()
	p.must(branch("5"), "job", "clone_prod")
	p.must(branch("5"), "assets", "--set", "items.base_item_id=30")
	branchRun := p.lastRun()
	out := p.must(nil, "list").stdout
	if !strings.Contains(out, "(run "+local.ID) || strings.Contains(out, branchRun.ID) {
		t.Errorf("local list credits the wrong run (local %s, branch %s):\n%s", local.ID, branchRun.ID, out)
	}
	if out := p.must(branch("5"), "list").stdout; !strings.Contains(out, "(run "+branchRun.ID) || strings.Contains(out, local.ID) {
		t.Errorf("branch list credits the wrong run:\n%s", out)
	}
	if out := p.must(nil, "graph", "--status", "--format", "json").stdout; strings.Contains(out, branchRun.ID) || !strings.Contains(out, local.ID) {
		t.Errorf("graph --status credits the branch run:\n%s", out)
	}
}
