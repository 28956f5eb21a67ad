package runstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// record stores one finished run that materialized items at location.
func record(t *testing.T, s runstore.Store, id, env, wh, db string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.StartRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: env, Warehouse: wh, Database: db,
		Nodes: []string{"items"}, Start: at}); err != nil {
		t.Fatal(err)
	}
	sink := s.Events(id)
	sink.Emit(engine.Event{RunID: id, Type: engine.EventMaterialization, Node: "items", Time: at,
		Materialization: &engine.Materialization{Location: db + ".HACKER_NEWS.ITEMS", Rows: int64(len(id))}})
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMaterializationsByScope: a branch run's table is not credited to local,
// nor DuckDB's to Snowflake's (issue 16, item 18).
func TestMaterializationsByScope(t *testing.T) { eachBackend(t, testMaterializationsByScope) }

func testMaterializationsByScope(t *testing.T, b backend) {
	s := b.open(t)
	t0 := time.Now().Add(-time.Hour)
	record(t, s, "local-1", "local", "duckdb /wh", "PRODUCTION", t0)
	record(t, s, "branch-5", "branch", "duckdb /wh", "PRODUCTION_CLONE_5", t0.Add(time.Minute))
	record(t, s, "sf-prod", "local", "snowflake acct", "PRODUCTION", t0.Add(2*time.Minute))
	cases := []struct {
		scope runstore.Scope
		want  string
	}{
		{runstore.Scope{Env: "local", Warehouse: "duckdb /wh", Database: "PRODUCTION"}, "local-1"},
		{runstore.Scope{Env: "branch", Warehouse: "duckdb /wh", Database: "PRODUCTION_CLONE_5"}, "branch-5"},
		{runstore.Scope{Env: "branch", Warehouse: "duckdb /wh", Database: "PRODUCTION_CLONE_6"}, ""},
		{runstore.Scope{Env: "local", Warehouse: "snowflake acct", Database: "PRODUCTION"}, "sf-prod"},
		{runstore.Scope{Env: "prod", Warehouse: "duckdb /wh", Database: "PRODUCTION"}, ""},
	}
	for _, tc := range cases {
		got, err := s.LastMaterializationsIn(context.Background(), tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		if got["items"].RunID != tc.want {
			t.Errorf("%+v: items credited to run %q, want %q", tc.scope, got["items"].RunID, tc.want)
		}
	}
}

// A store of an older layout (1: before runs recorded their warehouse; 2: the
// last before queued runs) opens, keeps its runs and events, records new runs
// and queues runs.
func TestOlderStoreLayoutsAreUpgraded(t *testing.T) {
	for _, layout := range []int{1, 2} {
		t.Run(fmt.Sprintf("layout %d", layout), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			old := []string{runstore.SQLiteLayout(layout), fmt.Sprintf("PRAGMA user_version = %d", layout),
				`INSERT INTO runs (run_id, kind, name, selection, env, nodes, status, error, started_ns, ended_ns, pid, proc_start, host)
					VALUES ('old', 'assets', 'assets', '*', 'local', '["a"]', 'SUCCESS', '', 1, 2, 1, '', 'h')`,
				`INSERT INTO events VALUES ('old', 1, 'STEP_START', 'a', 1, 0, 0, '', '', '', NULL)`}
			for _, stmt := range old {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := runstore.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			d, err := s.Run(context.Background(), "old")
			if err != nil || d.Status != "SUCCESS" || d.Steps[0].Status != "STARTED" || d.Steps[0].Worker != "" {
				t.Fatalf("old run: %+v %v", d, err)
			}
			record(t, s, "new", "local", "duckdb /wh", "PRODUCTION", time.Now())
			runs, err := s.Runs(context.Background(), 10)
			if err != nil || len(runs) != 2 || runs[0].Warehouse != "duckdb /wh" {
				t.Fatalf("runs %+v, %v", runs, err)
			}
			if err := s.QueueRun(context.Background(), runstore.Run{ID: "q", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
