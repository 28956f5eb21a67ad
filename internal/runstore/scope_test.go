package runstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
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

// TestStoreLayoutOneIsUpgraded: a store written before runs recorded their
// warehouse opens, keeps its runs and records new ones.
func TestStoreLayoutOneIsUpgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE runs (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, selection TEXT NOT NULL, env TEXT NOT NULL,
			nodes TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', started_ns INTEGER NOT NULL, ended_ns INTEGER,
			pid INTEGER NOT NULL, proc_start TEXT NOT NULL, host TEXT NOT NULL)`,
		`CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, node TEXT NOT NULL, time_ns INTEGER NOT NULL,
			attempt INTEGER NOT NULL, dur_ns INTEGER NOT NULL, error TEXT NOT NULL, stack TEXT NOT NULL, message TEXT NOT NULL, mat TEXT,
			PRIMARY KEY (run_id, seq))`,
		`INSERT INTO runs VALUES ('old', 'assets', 'assets', '*', 'local', '[]', 'SUCCESS', '', 1, 2, 1, '', 'h')`,
		`PRAGMA user_version = 1`,
	} {
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
	record(t, s, "new", "local", "duckdb /wh", "PRODUCTION", time.Now())
	runs, err := s.Runs(context.Background(), 10)
	if err != nil || len(runs) != 2 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	if ids := runs[0].ID + "," + runs[1].ID; !strings.Contains(ids, "old") || runs[0].Warehouse != "duckdb /wh" {
		t.Errorf("runs %s, newest warehouse %q", ids, runs[0].Warehouse)
	}
}
