package clones_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/clones"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var day = 24 * time.Hour

// backends open a fresh warehouse holding PRODUCTION, stamping clones with clk.
var backends = map[string]func(t *testing.T, clk *clock) (warehouse.Warehouse, func(name string)){
	"duckdb": func(t *testing.T, clk *clock) (warehouse.Warehouse, func(string)) {
		dir := seed(t)
		w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: dir, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		// A database named like a clone that clone_prod did not make.
		impostor := func(name string) {
			b, _ := os.ReadFile(filepath.Join(dir, "PRODUCTION.duckdb"))
			if err := os.WriteFile(filepath.Join(dir, name+".duckdb"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return w, impostor
	},
	"snowflake": func(t *testing.T, clk *clock) (warehouse.Warehouse, func(string)) {
		srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(),
			Users: map[string]string{"u": "p"}, Databases: []string{"PRODUCTION"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		w, err := snowflake.Open(context.Background(), snowflake.Config{Account: "local", User: "u", Password: "p",
			Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", LoginTimeout: 5 * time.Second, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		tbl := warehousetest.Sample(1, 5)
		defer tbl.Release()
		if err := w.WriteTable(context.Background(), items, tbl); err != nil {
			t.Fatal(err)
		}
		impostor := func(name string) {
			if err := w.Exec(context.Background(), `CREATE DATABASE "`+name+`"`); err != nil {
				t.Fatal(err)
			}
		}
		return w, impostor
	},
}

func TestReapStaleClones(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
			clk := &clock{t: start}
			w, impostor := open(t, clk)
			// Clones made on different days: 40 and 41 long ago, 42 recently,
			// 43 long ago but kept, 44 long ago but its PR is open.
			ages := map[string]time.Duration{"40": 30 * day, "41": 20 * day, "42": 2 * day, "43": 25 * day, "44": 25 * day}
			now := start.Add(40 * day)
			for pr, age := range ages {
				clk.t = now.Add(-age)
				if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_"+pr); err != nil {
					t.Fatal(err)
				}
			}
			impostor("PRODUCTION_CLONE_99")

			list, err := w.ListClones(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]time.Duration{}
			for _, v := range clones.Decide(list, clones.ReapRules{Now: now, OlderThan: 1 << 62}) {
				listed[v.PRID] = v.Age
			}
			for pr, age := range ages {
				if listed[pr] != age {
					t.Errorf("PR %s listed with age %s, want %s", pr, listed[pr], age)
				}
			}
			if _, ok := listed["99"]; !ok {
				t.Error("the clone-named database without a record is not listed")
			}

			rules := clones.ReapRules{Now: now, OlderThan: 14 * day, Keep: map[string]bool{"43": true}, Open: map[string]bool{"44": true}}
			before, _ := w.ListDatabases(ctx)
			verdicts, err := clones.Reap(ctx, zerolog.Nop(), w, rules, true)
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := w.ListDatabases(ctx); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Fatalf("a dry run dropped: %v -> %v", before, after)
			}
			actions := map[string]string{}
			for _, v := range verdicts {
				actions[v.PRID] = v.Action
			}
			want := map[string]string{"40": clones.Drop, "41": clones.Drop, "42": clones.Keep, "43": clones.Keep, "44": clones.Keep, "99": clones.Report}
			for pr, a := range want {
				if actions[pr] != a {
					t.Errorf("PR %s: %s, want %s", pr, actions[pr], a)
				}
			}
			if _, err := clones.Reap(ctx, zerolog.Nop(), w, rules, false); err != nil {
				t.Fatal(err)
			}
			after, _ := w.ListDatabases(ctx)
			if got := strings.Join(after, ","); got != "PRODUCTION,PRODUCTION_CLONE_42,PRODUCTION_CLONE_43,PRODUCTION_CLONE_44,PRODUCTION_CLONE_99" {
				t.Errorf("after reaping: %s", got)
			}
		})
	}
}

func TestReapInputs(t *testing.T) {
	for in, want := range map[string]time.Duration{"14d": 14 * day, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "0d": 0} {
		if got, err := clones.ParseAge(in); err != nil || got != want {
			t.Errorf("%s: %s (%v)", in, got, err)
		}
	}
	for _, bad := range []string{"", "14", "-3d", "two weeks", "1w"} {
		if _, err := clones.ParseAge(bad); err == nil {
			t.Errorf("age %q accepted", bad)
		}
	}
	if _, err := clones.ParsePRIDs("42, 1; DROP"); err == nil {
		t.Error("a PR id with SQL accepted")
	}
	path := filepath.Join(t.TempDir(), "open.txt")
	os.WriteFile(path, []byte("# open pull requests\n42\n43, 44\n\n"), 0o644)
	open, err := clones.ReadOpenPRs(path)
	if err != nil || len(open) != 3 || !open["44"] {
		t.Errorf("open %v (%v)", open, err)
	}
	os.WriteFile(path, []byte("42\nmain\n"), 0o644)
	if _, err := clones.ReadOpenPRs(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad open PRs file: %v", err)
	}
}

var items = warehouse.TableRef{Database: warehouse.Production, Schema: "SALES", Table: "ORDERS"}

// seed returns a warehouse folder whose PRODUCTION holds one table.
func seed(t *testing.T) string {
	dir := t.TempDir()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tbl := warehousetest.Sample(1, 25)
	defer tbl.Release()
	if err := w.WriteTable(context.Background(), items, tbl); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}
