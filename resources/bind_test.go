package resources_test

import (
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// The warehouse is bound for the schema the project names, per environment.
func TestWarehouseForTheProjectsSchema(t *testing.T) {
	branch := resources.Environment{Name: resources.Branch, PRID: "42"}
	res, err := resources.Warehouse(branch, "SALES", resources.Options{Lookup: lookup(map[string]string{"ASSETFLOW_WAREHOUSE": "duckdb://" + t.TempDir()})})
	if err != nil {
		t.Fatal(err)
	}
	if d := res[engine.DefaultIOManager].Description; !strings.Contains(d, "PRODUCTION_CLONE_42.SALES.<ASSET>") {
		t.Errorf("I/O manager in branch: %s", d)
	}
	spec := res[resources.WarehouseKey.Name()].Spec.(resources.WarehouseSpec)
	if spec.Schema != "SALES" || spec.Database != "PRODUCTION_CLONE_42" || spec.Production != "PRODUCTION" {
		t.Errorf("spec %+v", spec)
	}
	if _, ok := res["hackernews"]; ok {
		t.Error("resources binds a Hacker News client")
	}
	for _, bad := range []string{"", "SALES; DROP DATABASE PRODUCTION", "a.b", `"x"`} {
		if _, err := resources.Warehouse(branch, bad, resources.Options{Lookup: lookup(nil)}); err == nil || !strings.Contains(err.Error(), "invalid schema name") {
			t.Errorf("schema %q: %v", bad, err)
		}
	}
}
