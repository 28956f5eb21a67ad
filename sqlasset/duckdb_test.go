package sqlasset_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
)

func openDuckDB(t *testing.T, dir string, readOnly ...string) *duckdb.Warehouse {
	t.Helper()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: dir, ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestMixedGraphOnDuckDB(t *testing.T) {
	testMixedGraph(t, openDuckDB(t, t.TempDir()), "PRODUCTION_CLONE_42")
}

func TestFailedQueryKeepsTableOnDuckDB(t *testing.T) {
	testFailedQueryKeepsTable(t, openDuckDB(t, t.TempDir()), "PRODUCTION_CLONE_42")
}

// In a branch deployment a SQL asset cannot write PRODUCTION: the guard refuses
// it, and so does DuckDB, which attaches PRODUCTION read-only there.
func TestBranchCannotWriteProductionOnDuckDB(t *testing.T) {
	dir := t.TempDir()
	p := &project{w: openDuckDB(t, dir), database: "PRODUCTION", comments: commentsSQL}
	if err := p.run(t, "items,comments").Err(); err != nil {
		t.Fatal(err)
	}
	before := p.rows(t, "comments")
	p.w.Close()
	for _, tc := range []struct {
		name string
		w    warehouse.Warehouse
	}{
		{"guard", warehouse.Guard(openDuckDB(t, dir), "PRODUCTION")},
		{"read-only attach", openDuckDB(t, dir, "PRODUCTION")},
	} {
		p.w = tc.w
		res := p.run(t, "comments")
		err := res.Err()
		var ge *warehouse.GuardError
		if err == nil || (tc.name == "guard" && !errors.As(err, &ge)) {
			t.Errorf("%s: a branch's SQL asset wrote PRODUCTION: %v", tc.name, err)
		}
		if got := p.rows(t, "comments"); len(got) != len(before) {
			t.Errorf("%s: PRODUCTION changed", tc.name)
		}
		tc.w.Close()
	}
}

// --dry-run resolves each reference without opening the warehouse.
func TestDryRunPrintsResolvedSQL(t *testing.T) {
	p := &project{database: "PRODUCTION_CLONE_42", comments: commentsSQL}
	defs := p.definitions(t)
	opened := false
	r := defs.Resources[engine.DefaultIOManager]
	r.Open = func(context.Context, engine.Deps) (any, error) {
		opened = true
		return nil, errors.New("dry runs do not connect")
	}
	defs.Resources[engine.DefaultIOManager] = r
	cat, err := engine.Load(defs)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := cat.PlanAssets("*", nil)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := plan.DryRun("dry")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range steps {
		got[s.Node] = strings.Join(s.Actions, "\n")
	}
	want := `-- into PRODUCTION_CLONE_42.HACKER_NEWS.COMMENTS: CREATE TABLE <staging> AS the query below, then an atomic replace
SELECT "id", "score" FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" WHERE "type" = 'comment' ORDER BY "id"`
	if got["comments"] != want {
		t.Errorf("comments:\n%s\nwant\n%s", got["comments"], want)
	}
	if !strings.Contains(got["leaders"], `FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."COMMENTS" AS c CROSS JOIN "PRODUCTION_CLONE_42"."HACKER_NEWS"."COMMENT_STATS" AS s`) {
		t.Errorf("leaders:\n%s", got["leaders"])
	}
	if got["items"] != "" || opened {
		t.Errorf("items planned %q; warehouse opened: %v", got["items"], opened)
	}
}
