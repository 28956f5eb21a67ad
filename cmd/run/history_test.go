package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/duckdb"
)

func (p *project) store() *runstore.SQLite {
	p.t.Helper()
	s, err := runstore.OpenSQLite(context.Background(), filepath.Join(p.dir, ".assetflow", "runs.db"))
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { s.Close() })
	return s
}

func (p *project) lastRun() runstore.Run {
	p.t.Helper()
	var runs []runstore.Run
	if err := json.Unmarshal([]byte(p.must(nil, "runs", "--json").stdout), &runs); err != nil || len(runs) == 0 {
		p.t.Fatalf("runs --json: %v", err)
	}
	return runs[0]
}

// exec runs SQL on the project's embedded warehouse.
func (p *project) exec(db, stmt string) {
	p.t.Helper()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: filepath.Join(p.dir, "wh")})
	if err != nil {
		p.t.Fatal(err)
	}
	defer w.Close()
	if err := w.Attach(context.Background(), db, false); err != nil {
		p.t.Fatal(err)
	}
	if err := w.Exec(context.Background(), stmt); err != nil {
		p.t.Fatal(err)
	}
}

// A run where comments fails for real (a view stands where its table goes),
// then --from-failure runs exactly comments, loading items from the warehouse.
func TestReexecuteFromFailure(t *testing.T) {
	p := newProject(t)
	p.must(nil, "assets", "--select", "items", "--set", "items.base_item_id=80")
	p.exec("PRODUCTION", `CREATE VIEW "PRODUCTION"."HACKER_NEWS"."COMMENTS" AS SELECT 1 AS x`)
	failed := p.run(nil, "assets", "--set", "items.base_item_id=80")
	if failed.code != 1 {
		t.Fatalf("exit %d: the run should fail\n%s", failed.code, failed.stdout)
	}
	run := p.lastRun()
	d, err := p.store().Run(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(statuses(d)); got != "map[comments:FAILURE items:SUCCESS stories:SUCCESS]" {
		t.Fatalf("first run steps %s", got)
	}
	p.exec("PRODUCTION", `DROP VIEW "PRODUCTION"."HACKER_NEWS"."COMMENTS"`)

	if got := fmt.Sprint(run.Config); got != "map[items:map[base_item_id:80]]" {
		t.Errorf("the failed run recorded config %s", got)
	}
	// It runs again with the failed run's config, changed by what is given.
	again := p.must(nil, "assets", "--from-failure", run.ID, "--set", "comments.engine=sql")
	rerun := p.lastRun()
	if got := fmt.Sprint(rerun.Config); got != "map[comments:map[engine:sql] items:map[base_item_id:80]]" {
		t.Errorf("the re-execution ran with config %s", got)
	}
	started := p.started(rerun.ID)
	slices.Sort(started) // checks start at once, in any order
	if strings.Join(started, ",") != "comments,comments:accepted_values_type,comments:not_null_parent,comments:not_null_type,comments:row_count" ||
		rerun.Selection != "comments" { // comments and its checks, which were skipped
		t.Errorf("re-execution started %v (selection %q), want only comments\n%s", started, rerun.Selection, again.stdout)
	}

	// A successful run, and a run of another kind, are refused.
	if r := p.run(nil, "assets", "--from-failure", rerun.ID); r.code != 2 || !strings.Contains(r.stderr, "succeeded: there is nothing to re-execute") {
		t.Errorf("from a successful run: exit %d %s", r.code, r.stderr)
	}
	if r := p.run(branch("42"), "job", "clone_prod", "--from-failure", run.ID); r.code != 2 || !strings.Contains(r.stderr, "use run assets --from-failure") {
		t.Errorf("job from an assets run: exit %d %s", r.code, r.stderr)
	}
	if r := p.run(nil, "assets", "--from-failure", "nope"); r.code != 2 || !strings.Contains(r.stderr, `no run "nope"`) {
		t.Errorf("unknown run: exit %d %s", r.code, r.stderr)
	}
}

// started returns the steps a recorded run started, in order.
func (p *project) started(runID string) []string {
	p.t.Helper()
	events, err := p.store().RunEvents(context.Background(), runID)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.Type == "STEP_START" {
			out = append(out, e.Node)
		}
	}
	return out
}

func statuses(d *runstore.RunDetail) map[string]string {
	out := map[string]string{}
	for _, s := range d.Steps {
		if !strings.Contains(s.Node, ":") { // asset steps; checks have their own tests
			out[s.Node] = s.Status
		}
	}
	return out
}

// A run killed without warning is found by the next invocation and marked FAILED.
func TestKilledRunIsMarkedFailed(t *testing.T) {
	p := newProject(t)
	cmd := p.stalledRun(4, io.Discard, io.Discard)
	time.Sleep(300 * time.Millisecond) // let the run store flush the first events
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	r := p.must(nil, "runs")
	if !strings.Contains(r.stdout, "FAILURE") || !strings.Contains(r.stdout, "process ended without finishing the run") {
		t.Errorf("run runs after kill -9:\n%s", r.stdout)
	}
	d, err := p.store().Run(context.Background(), p.lastRun().ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Steps[0].Status != "STARTED" || d.Duration <= 0 {
		t.Errorf("killed run: %+v", d)
	}
}

// Two processes at once (two CI jobs on one runner, each with its own warehouse)
// both record their runs, with every event.
func TestTwoProcessesRecordAtOnce(t *testing.T) {
	p := newProject(t)
	p.together([][]string{{"ASSETFLOW_WAREHOUSE=duckdb://" + p.dir + "/wh0"}, {"ASSETFLOW_WAREHOUSE=duckdb://" + p.dir + "/wh1"}},
		"assets", "--set", "items.base_item_id=400")
	runs, err := p.store().Runs(context.Background(), 10)
	if err != nil || len(runs) != 2 {
		t.Fatalf("%d runs recorded (%v)", len(runs), err)
	}
	for _, run := range runs {
		events, err := p.store().RunEvents(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range events {
			count[string(e.Type)]++
		}
		// 3 assets and their 11 checks
		if run.Status != "SUCCESS" || count["STEP_START"] != 14 || count["STEP_SUCCESS"] != 14 || count["ASSET_MATERIALIZATION"] != 3 ||
			count["ASSET_CHECK_EVALUATION"] != 11 ||
			count["RUN_START"] != 1 || count["RUN_SUCCESS"] != 1 || count["PROGRESS"] != 0 {
			t.Errorf("run %s %s: events %v", run.ID, run.Status, count)
		}
	}
}

// run job --from-failure re-runs only the op that failed.
func TestJobFromFailure(t *testing.T) {
	p := newProject(t)
	r := p.run(branch("42"), "job", "clone_prod") // no PRODUCTION yet: the clone fails
	if r.code != 1 || !strings.Contains(r.stderr, "database does not exist") {
		t.Fatalf("exit %d\n%s", r.code, lastLines(r.stderr, 2))
	}
	failed := p.lastRun()
	p.must(prod, "assets", "--set", "items.base_item_id=30")
	p.must(branch("42"), "job", "clone_prod", "--from-failure", failed.ID)
	rerun := p.lastRun()
	started := p.started(rerun.ID)
	if strings.Join(started, ",") != "clone_production_database" || rerun.Name != "clone_prod" {
		t.Errorf("re-execution of %s started %v", rerun.Name, started)
	}
	if !sameRows(p.rows("PRODUCTION_CLONE_42"), p.rows("PRODUCTION")) {
		t.Error("the clone differs from production")
	}
}
