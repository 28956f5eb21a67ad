package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// checked materializes one asset with the given rows and checks through the
// warehouse I/O manager, and returns each check's evaluation.
func checked(t *testing.T, w warehouse.Warehouse, rows [][]any, checks ...engine.Check) map[string]*engine.CheckEvaluation {
	t.Helper()
	cols := []warehouse.Column{{Name: "id", Kind: warehouse.Int64}, {Name: "type", Kind: warehouse.String}, {Name: "title", Kind: warehouse.String}}
	asset := engine.Asset{Name: "items", Checks: checks, Compute: func(*engine.Context) (any, error) {
		b := warehouse.NewTableBuilder(cols)
		for _, r := range rows {
			if err := b.Append(r); err != nil {
				return nil, err
			}
		}
		return b.Table(), nil
	}}
	cat, err := engine.Load(engine.Definitions{Assets: []engine.Asset{asset}, Resources: map[string]engine.Resource{
		engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) {
			return &warehouse.IOManager{Warehouse: w, Database: "PRODUCTION", Schema: "HACKER_NEWS"}, nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := cat.PlanAssets("*", nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &engine.Recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	(&engine.Runner{Events: rec}).Run(ctx, plan)
	out := map[string]*engine.CheckEvaluation{}
	for _, e := range rec.Events() {
		if e.Type == engine.EventStepFailure && e.Node == "items" {
			t.Fatalf("the asset failed: %s", e.Error)
		}
		if e.Check != nil {
			out[e.Check.Check] = e.Check
		}
	}
	return out
}

func TestBuiltInChecks(t *testing.T) {
	backends := map[string]func(t *testing.T) warehouse.Warehouse{
		"duckdb": func(t *testing.T) warehouse.Warehouse {
			w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			return w
		},
		"snowflake": func(t *testing.T) warehouse.Warehouse {
			srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(),
				Users: map[string]string{"CI": "pw"}, Databases: []string{"PRODUCTION"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			w, err := snowflake.Open(context.Background(), snowflake.Config{Account: "local", User: "CI", Password: "pw",
				Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", LoginTimeout: 5 * time.Second, RequestTimeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			return w
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			w := open(t)
			rows := [][]any{{int64(1), "story", "a"}, {int64(2), "comment", nil}, {int64(2), "story", "b"}, {nil, "job", "c"}, {int64(5), "poll", "d"}}
			got := checked(t, w, rows,
				warehouse.Unique(engine.SeverityError, "id"),
				warehouse.NotNull(engine.SeverityWarn, "id", "title"),
				warehouse.AcceptedValues(engine.SeverityWarn, "type", "story", "comment", "it's"),
				warehouse.RowCountBetween(engine.SeverityWarn, 1, 3),
				warehouse.Freshness(engine.SeverityWarn, time.Hour),
				warehouse.SQLCheck("custom", engine.SeverityWarn, "", `SELECT * FROM {{table}} WHERE "id" > ?`, int64(4)),
			)
			want := map[string]int64{"unique_id": 1, "not_null_id_title": 2, "accepted_values_type": 2, "row_count": 1, "freshness": 0, "custom": 1}
			for check, n := range want {
				ev := got[check]
				if ev == nil {
					t.Errorf("%s: no evaluation", check)
					continue
				}
				if ev.FailingRows != n || ev.Passed != (n == 0) || (n > 0 && len(ev.Sample) == 0) {
					t.Errorf("%s: %+v, want %d failing rows", check, ev, n)
				}
			}
			if ev := got["unique_id"]; ev != nil && len(ev.Sample) == 1 && ev.Sample[0]["id"] != "2" {
				t.Errorf("unique sample %v", ev.Sample)
			}
			if ev := got["custom"]; ev != nil && len(ev.Sample) == 1 && ev.Sample[0]["type"] != "poll" {
				t.Errorf("custom sample %v", ev.Sample)
			}
			stale := checked(t, w, rows[:1], warehouse.Freshness(engine.SeverityWarn, time.Nanosecond))
			if ev := stale["freshness"]; ev == nil || ev.Passed {
				t.Errorf("freshness within 1ns passed: %+v", ev)
			}
		})
	}
}

func TestReadOnlyQueries(t *testing.T) {
	for _, stmt := range []string{"DROP TABLE x", "SELECT 1; DROP TABLE x", "  insert into x values (1)", "", "COPY x TO 'y'"} {
		if warehouse.CheckReadOnly(stmt) == nil {
			t.Errorf("%q passed as read-only", stmt)
		}
	}
	for _, stmt := range []string{"SELECT 1", " with a as (select 1) select * from a", "select 1;"} {
		if err := warehouse.CheckReadOnly(stmt); err != nil {
			t.Errorf("%q: %v", stmt, err)
		}
	}
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	g := warehouse.Guard(w, "PRODUCTION")
	q, err := warehouse.QuerierOf(g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Query(context.Background(), nil, `DELETE FROM "PRODUCTION"."S"."T"`); err == nil {
		t.Fatal("the guard let a DELETE through Query")
	}
}
