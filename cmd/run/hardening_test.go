package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// tables reads the Hacker News tables of a database: nil for one that does not
// exist. Opening the warehouse folds in what a killed writer left in the WAL.
func (p *project) tables(db string) map[string][][]any {
	p.t.Helper()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: filepath.Join(p.dir, "wh")})
	if err != nil {
		p.t.Fatal(err)
	}
	defer w.Close()
	out := map[string][][]any{}
	for _, table := range []string{"ITEMS", "COMMENTS", "STORIES"} {
		ref := warehouse.TableRef{Database: db, Schema: "HACKER_NEWS", Table: table}
		info, err := w.TableInfo(context.Background(), ref)
		if err != nil {
			p.t.Fatalf("%s after a kill: %v", ref, err)
		}
		if !info.Exists {
			continue
		}
		tbl, err := w.ReadTable(context.Background(), ref)
		if err != nil {
			p.t.Fatalf("%s after a kill: %v", ref, err)
		}
		out[table] = warehousetest.Rows(tbl)
		tbl.Release()
	}
	return out
}

// kill -9 during materializations: every table is absent, the old one or the
// new one, never partial; the next run works. Kills are timed from the log line
// that starts the fetch and steered into the writes; the test counts how many
// landed mid-write (a staging table left behind) and requires some.
func TestKillDuringMaterialization(t *testing.T) {
	ref := newProject(t)
	ref.must(nil, "assets", "--set", "items.base_item_id=3000")
	want := ref.tables("PRODUCTION")

	p := newProject(t)
	const minKills, minMid, budget = 8, 3, 40
	k := &killTally{delay: 5 * time.Millisecond}
	for i := 0; !k.enough(minKills, minMid, budget); i++ {
		started := p.killWhen("fetching items", k.delay, nil, "assets", "--set", "items.base_item_id=3000")
		before, mid := p.writeState("PRODUCTION", started)
		got := p.tables("PRODUCTION")
		for table, rows := range got {
			if len(rows) != len(want[table]) || !sameRows(map[string][][]any{table: rows}, map[string][][]any{table: want[table]}) {
				t.Fatalf("kill %d: %s has %d rows, want %d or none", i, table, len(rows), len(want[table]))
			}
		}
		t.Logf("kill %d after %v: tables %d before %v staging %v", i, k.delay, len(got), before, mid)
		k.landed(before, mid)
	}
	t.Logf("kills: %d before any write, %d mid-write, %d after a table was swapped in", k.before, k.midWrite, k.past)
	if k.midWrite < minMid {
		t.Errorf("only %d of %d kills landed mid-write, want %d: the test did not exercise what it claims", k.midWrite, k.before+k.midWrite+k.past, minMid)
	}
	p.must(nil, "assets", "--set", "items.base_item_id=3000")
	if !sameRows(p.tables("PRODUCTION"), want) {
		t.Error("the run after the kills did not produce the tables")
	}
}

// seedProduction writes a large PRODUCTION so a clone takes a while.
func (p *project) seedProduction(rows int) {
	p.t.Helper()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: filepath.Join(p.dir, "wh")})
	if err != nil {
		p.t.Fatal(err)
	}
	defer w.Close()
	tbl := warehousetest.Items(rows)
	defer tbl.Release()
	if err := w.WriteTable(context.Background(), warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}, tbl); err != nil {
		p.t.Fatal(err)
	}
}

// kill -9 during a clone: the clone is absent or whole; the next clone works
// and leaves no temporary file. The test counts the kills that landed mid-copy
// (a temporary file left behind) and requires some.
func TestKillDuringClone(t *testing.T) {
	p := newProject(t)
	p.seedProduction(400_000)
	prodFile := filepath.Join(p.dir, "wh", "PRODUCTION.duckdb")
	cloneFile := filepath.Join(p.dir, "wh", "PRODUCTION_CLONE_42.duckdb")
	prod, _ := os.ReadFile(prodFile)
	const minKills, minMid, budget = 6, 2, 60
	k := &killTally{delay: time.Millisecond}
	for i := 0; !k.enough(minKills, minMid, budget); i++ {
		_ = os.Remove(cloneFile) // each kill starts from no clone, so "before" is visible
		// Timed from the drop op's log line, just before the copy starts, so
		// the start-up of a busy machine does not scatter the kills.
		p.killWhen("dropped PRODUCTION_CLONE_42", k.delay, branch("42"), "job", "clone_prod")
		tmp, _ := filepath.Glob(filepath.Join(p.dir, "wh", ".*.tmp"))
		b, err := os.ReadFile(cloneFile)
		if err == nil && string(b) != string(prod) {
			t.Fatalf("kill %d left a partial clone (%d of %d bytes)", i, len(b), len(prod))
		}
		k.landed(err != nil && len(tmp) == 0, len(tmp) > 0)
	}
	t.Logf("kills: %d before the copy, %d mid-copy, %d after the clone was in place", k.before, k.midWrite, k.past)
	if k.midWrite < minMid {
		t.Errorf("only %d of %d kills landed mid-copy, want %d: the test did not exercise what it claims", k.midWrite, k.before+k.midWrite+k.past, minMid)
	}
	p.must(branch("42"), "job", "clone_prod")
	b, _ := os.ReadFile(cloneFile)
	if string(b) != string(prod) {
		t.Error("the clone after the kills differs from production")
	}
	if tmp, _ := filepath.Glob(filepath.Join(p.dir, "wh", ".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// Two clone_prod for one PR at once both succeed and leave one good clone.
func TestConcurrentClonesOfOnePR(t *testing.T) {
	p := newProject(t)
	p.seedProduction(200_000)
	p.together([][]string{branch("42"), branch("42")}, "job", "clone_prod")
	prod, _ := os.ReadFile(filepath.Join(p.dir, "wh", "PRODUCTION.duckdb"))
	b, _ := os.ReadFile(filepath.Join(p.dir, "wh", "PRODUCTION_CLONE_42.duckdb"))
	if string(b) != string(prod) {
		t.Error("the clone is not a copy of production")
	}
}

// Two run assets on one embedded warehouse: the second waits for the first and
// both succeed; with a short wait it fails with a clear "warehouse busy".
func TestTwoRunsOnOneWarehouse(t *testing.T) {
	p := newProject(t)
	p.together([][]string{nil, nil}, "assets", "--set", "items.base_item_id=2000")

	// A process that holds PRODUCTION: the Snowflake test double on this folder.
	holder := exec.Command(binary, "dev", "snowflake-server", "--dir", filepath.Join(p.dir, "wh"))
	holder.Env = append(append([]string{}, p.base...), "SYSTEM_SNOWFLAKE_PASSWORD=x")
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	buf := make([]byte, 256)
	out.Read(buf) // it prints once it holds the database
	r := p.run([]string{"ASSETFLOW_LOCK_WAIT=300ms"}, "assets", "--select", "items")
	if r.code != 1 || !strings.Contains(r.stderr, "warehouse busy: database PRODUCTION is in use by another assetflow process") {
		t.Errorf("exit %d\n%s", r.code, lastLines(r.stderr, 2))
	}
}
