package cli

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// prodIO is an in-memory I/O manager whose tables live in PRODUCTION, and that
// counts what it stores.
type prodIO struct {
	mu     sync.Mutex
	stored []string
}

func (m *prodIO) Store(_ context.Context, asset string, _ any) (engine.Materialization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stored = append(m.stored, asset)
	return engine.Materialization{Location: "PRODUCTION.S." + strings.ToUpper(asset), Rows: 1}, nil
}

func (m *prodIO) Load(context.Context, string) (any, error) { return "loaded", nil }

// versioned builds a -> b -> c and d, with b's code version given.
func versioned(t *testing.T, io *prodIO, bVersion string) *engine.Catalog {
	t.Helper()
	asset := func(name, version string, deps ...string) engine.Asset {
		return engine.Asset{Name: name, Deps: deps, CodeVersion: version,
			Compute: func(*engine.Context) (any, error) { return name, nil }}
	}
	cat, err := engine.Load(engine.Definitions{Env: "prod", Assets: []engine.Asset{
		asset("a", "1"), asset("b", bVersion, "a"), asset("c", "1", "b"), asset("d", "1")},
		Resources: map[string]engine.Resource{engine.DefaultIOManager: {
			Open: func(context.Context, engine.Deps) (any, error) { return io, nil }}}})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// record runs a plan with its events recorded in the store, as run assets does.
func record(t *testing.T, store runstore.Store, plan *engine.Plan) {
	t.Helper()
	ctx := context.Background()
	id := engine.NewRunID()
	if err := store.StartRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: plan.Name, Env: "prod", Nodes: plan.Nodes(), Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	sink := store.Events(id)
	res := (&engine.Runner{RunID: id, Events: sink}).Run(ctx, plan)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.FinishRun(ctx, res); err != nil || res.Err() != nil {
		t.Fatalf("record: %v %v", err, res.Err())
	}
}

func changedNow(t *testing.T, store runstore.Store, cat *engine.Catalog, rc engine.RunConfig) string {
	t.Helper()
	versions, err := cat.CodeVersions(rc)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := store.LastMaterializationsIn(context.Background(), runstore.Scope{Database: warehouse.Production})
	if err != nil {
		t.Fatal(err)
	}
	return changedSelection(cat, changedAssets(versions, prod))
}

// --select changed builds exactly the asset whose user-set code version
// changed and what is downstream of it, judged against the code versions
// PRODUCTION's materializations recorded.
func TestSelectChangedBuildsChangedAndDownstream(t *testing.T) {
	store, err := runstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	io := &prodIO{}
	v1 := versioned(t, io, "1")
	if got := changedNow(t, store, v1, nil); strings.Count(got, "*") != 4 { // never materialized: all changed
		t.Fatalf("before any materialization: %q", got)
	}
	plan, _ := v1.PlanAssets("*", nil)
	record(t, store, plan)
	if got := changedNow(t, store, v1, nil); got != "" {
		t.Fatalf("after production materialized every asset: changed %q", got)
	}

	v2 := versioned(t, io, "2") // the pull request changes b's code
	sel := changedNow(t, store, v2, nil)
	if sel != "b*" {
		t.Fatalf("changed selection %q, want b*", sel)
	}
	plan, err = v2.PlanAssets(sel, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.stored = nil
	record(t, store, plan)
	if got := strings.Join(io.stored, ","); got != "b,c" {
		t.Fatalf("built %s, want exactly b,c", got)
	}
	if got := changedNow(t, store, v2, nil); got != "" {
		t.Fatalf("after production took the change: %q", got)
	}
	if got := changedNow(t, store, v1, nil); got != "b*" {
		t.Fatalf("going back to b's old version: %q", got)
	}

	// The hook a SQL asset uses: its version derived from its normalized SQL.
	// Reformatting changes nothing; a change to the query makes it changed.
	sqlV := func(q string) *engine.Catalog { return versioned(t, io, engine.NormalizeSQL(q)) }
	plan, _ = sqlV("SELECT id FROM items WHERE type = 'story'").PlanAssets("*", nil)
	record(t, store, plan)
	if got := changedNow(t, store, sqlV("select_ignored"), nil); got != "b*" {
		t.Fatalf("another query: %q", got)
	}
	if got := changedNow(t, store, sqlV("SELECT id\n  FROM items -- stories only\n WHERE type = 'story';"), nil); got != "" {
		t.Fatalf("a reformatted query counts as changed: %q", got)
	}
	if got := changedNow(t, store, sqlV("SELECT id FROM items WHERE type = 'Story'"), nil); got != "b*" {
		t.Fatalf("a changed literal: %q", got)
	}
}
