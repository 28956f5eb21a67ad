package ops_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/ops"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

var items = warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}

// seed writes a production database into a fresh warehouse folder.
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

func catalog(t *testing.T, dir string, env resources.Environment, jobs ...engine.Job) *engine.Catalog {
	t.Helper()
	vars := map[string]string{resources.WarehouseVar: "duckdb://" + dir}
	res, err := resources.Warehouse(env, "HACKER_NEWS", resources.Options{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := engine.Load(engine.Definitions{Env: env.Name, Jobs: append(ops.Jobs(), jobs...), Resources: res})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, c *engine.Catalog, job string) *engine.RunResult {
	t.Helper()
	p, err := c.PlanJob(job, nil)
	if err != nil {
		t.Fatal(err)
	}
	return (&engine.Runner{}).Run(context.Background(), p)
}

func sum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A custom op in a branch deployment, handed the warehouse resource, cannot write
// to, clone onto or drop PRODUCTION, whatever it calls.
func TestBranchCannotTouchProduction(t *testing.T) {
	dir := seed(t)
	before := sum(t, filepath.Join(dir, "PRODUCTION.duckdb"))
	attempts := map[string]func(ctx *engine.Context, w warehouse.Warehouse) error{
		"write table": func(ctx *engine.Context, w warehouse.Warehouse) error {
			tbl := warehousetest.Sample(1, 1)
			defer tbl.Release()
			return w.WriteTable(ctx, items, tbl)
		},
		"drop database": func(ctx *engine.Context, w warehouse.Warehouse) error { return w.DropDatabase(ctx, "PRODUCTION") },
		"clone onto": func(ctx *engine.Context, w warehouse.Warehouse) error {
			_, err := w.CloneDatabase(ctx, "PRODUCTION_CLONE_9", "PRODUCTION")
			return err
		},
		"raw statement": func(ctx *engine.Context, w warehouse.Warehouse) error {
			return w.Exec(ctx, `DELETE FROM "PRODUCTION"."HACKER_NEWS"."ITEMS"`)
		},
		"io manager": func(ctx *engine.Context, w warehouse.Warehouse) error {
			tbl := warehousetest.Sample(1, 1)
			defer tbl.Release()
			_, err := (&warehouse.IOManager{Warehouse: w, Database: "PRODUCTION", Schema: "HACKER_NEWS"}).Store(ctx, "items", tbl)
			return err
		},
	}
	var jobs []engine.Job
	for name, attempt := range attempts {
		jobs = append(jobs, engine.Job{Name: strings.ReplaceAll(name, " ", "_"), Graph: &engine.Graph{Ops: []engine.Invocation{{Op: engine.Op{
			Name: "rogue", Resources: []string{"warehouse"},
			Compute: func(ctx *engine.Context) (any, error) {
				w, err := resources.WarehouseKey.From(ctx)
				if err != nil {
					return nil, err
				}
				return nil, attempt(ctx, w)
			}}}}}})
	}
	c := catalog(t, dir, resources.Environment{Name: resources.Branch, PRID: "9"}, jobs...)
	for name := range attempts {
		res := run(t, c, strings.ReplaceAll(name, " ", "_"))
		var ge *warehouse.GuardError
		if s, _ := res.Step("rogue"); res.Status != engine.RunFailure || !errors.As(s.Err, &ge) {
			t.Errorf("%s: status %s, error %v; want a GuardError", name, res.Status, s.Err)
		}
	}
	if sum(t, filepath.Join(dir, "PRODUCTION.duckdb")) != before {
		t.Error("PRODUCTION's file changed")
	}
}

func TestCloneOpsOnlyTouchPullRequestClones(t *testing.T) {
	dir := seed(t)
	branch := catalog(t, dir, resources.Environment{Name: resources.Branch, PRID: "5"})
	if res := run(t, branch, "clone_prod"); res.Err() != nil {
		t.Fatal(res.Err())
	}
	if _, err := os.Stat(filepath.Join(dir, "PRODUCTION_CLONE_5.duckdb")); err != nil {
		t.Fatal("clone_prod made no clone")
	}
	if res := run(t, branch, "drop_prod_clone"); res.Err() != nil {
		t.Fatal(res.Err())
	}
	if _, err := os.Stat(filepath.Join(dir, "PRODUCTION_CLONE_5.duckdb")); !os.IsNotExist(err) {
		t.Fatal("drop_prod_clone left the clone")
	}

	// Were the ops put in a job of another environment, they refuse to drop
	// anything that is not a pull-request clone.
	job := engine.Job{Name: "misplaced", Graph: &engine.Graph{Ops: []engine.Invocation{{Op: ops.DropDatabaseClone()}}}}
	prod := catalog(t, dir, resources.Environment{Name: resources.Prod}, job)
	res := run(t, prod, "misplaced")
	if s, _ := res.Step("drop_database_clone"); s.Err == nil || !strings.Contains(s.Err.Error(), "PRODUCTION is not a pull-request clone") {
		t.Errorf("got %v", s.Err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PRODUCTION.duckdb")); err != nil {
		t.Error("PRODUCTION was dropped")
	}
}

func TestDryRunConnectsToNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never-created")
	c := catalog(t, dir, resources.Environment{Name: resources.Branch, PRID: "77"})
	p, err := c.PlanJob("clone_prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := p.DryRun("dry")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Node != "drop_database_clone" || steps[1].Node != "clone_production_database" ||
		!strings.Contains(steps[1].Actions[0], "CLONE PRODUCTION") || !strings.Contains(steps[0].Actions[0], "PRODUCTION_CLONE_77") {
		t.Errorf("plan %+v", steps)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("the dry run created the warehouse folder")
	}
}
