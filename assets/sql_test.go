package assets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// With engine: sql, comments and stories are computed inside the warehouse and
// hold exactly what the Go variants hold, in the same order.
func TestSQLVariantsMatchGo(t *testing.T) {
	f := newFixture(t)
	if res, _ := f.run(t, context.Background(), "*", "items.base_item_id=1200"); res.Err() != nil {
		t.Fatal(res.Err())
	}
	goTables := map[string][][]any{}
	for _, name := range []string{"COMMENTS", "STORIES"} {
		goTables[name] = warehousetest.Rows(f.table(t, name))
	}
	before := f.server.requests.Load()
	res, rec := f.run(t, context.Background(), "comments,stories", "comments.engine=sql", "stories.engine=sql")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if f.server.requests.Load() != before {
		t.Error("the SQL variants called the API")
	}
	for _, name := range []string{"COMMENTS", "STORIES"} {
		got := f.table(t, name)
		rows := warehousetest.Rows(got)
		if len(rows) == 0 || len(rows) != len(goTables[name]) {
			t.Fatalf("%s: %d rows in SQL, %d in Go", name, len(rows), len(goTables[name]))
		}
		for i := range rows {
			for c := range rows[i] {
				if g, w := rows[i][c], goTables[name][i][c]; !sameValue(g, w) {
					t.Fatalf("%s row %d column %s: SQL %v, Go %v", name, i, got.Schema().Field(c).Name, g, w)
				}
			}
		}
		m := rec.Events()[indexOf(rec.Events(), engine.EventMaterialization, strings.ToLower(name))].Materialization
		if m.Rows != int64(len(rows)) || len(m.Columns) != 11 || m.Metadata["computed_in"] != "duckdb" ||
			!strings.Contains(m.Metadata["sql"].(string), `FROM "PRODUCTION"."HACKER_NEWS"."ITEMS"`) {
			t.Errorf("%s materialization %+v", name, m)
		}
	}
}

// sameValue compares values as both variants read back: lists, times, nulls.
func sameValue(a, b any) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) }

// The dry run prints the SQL variant's resolved query, and the config accepts
// only go and sql.
func TestSQLVariantDryRunAndConfig(t *testing.T) {
	f := newFixture(t)
	rc := engine.RunConfig{}
	if err := rc.Set("comments.engine=sql"); err != nil {
		t.Fatal(err)
	}
	p, err := f.catalog.PlanAssets("*", rc)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := p.DryRun("dry")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range steps {
		got[s.Node] = strings.Join(s.Actions, "\n")
	}
	if !strings.Contains(got["comments"], `SELECT * FROM "PRODUCTION"."HACKER_NEWS"."ITEMS" WHERE "type" = 'comment'`) || got["stories"] != "" {
		t.Errorf("dry run %q", got)
	}
	bad := engine.RunConfig{}
	if err := bad.Set("stories.engine=rust"); err != nil {
		t.Fatal(err)
	}
	_, err = f.catalog.PlanAssets("*", bad)
	var de *engine.DefinitionError
	if !errors.As(err, &de) || de.Problem != engine.ProblemConfig || !strings.Contains(err.Error(), `"rust"`) {
		t.Errorf("engine=rust: %v", err)
	}
}
