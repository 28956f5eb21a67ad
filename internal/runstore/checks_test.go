package runstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// recordRun writes one finished run of env with the given events.
func recordRun(t *testing.T, s runstore.Store, id, env string, at time.Time, events ...engine.Event) {
	t.Helper()
	ctx := context.Background()
	if err := s.StartRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: env, Start: at}); err != nil {
		t.Fatal(err)
	}
	sink := s.Events(id)
	for i, e := range events {
		e.RunID, e.Time = id, at.Add(time.Duration(i)*time.Millisecond)
		sink.Emit(e)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

func mat(node, location, version string) engine.Event {
	return engine.Event{Type: engine.EventMaterialization, Node: node,
		Materialization: &engine.Materialization{Location: location, Rows: 1, CodeVersion: version}}
}

func eval(asset, check string, failing int64) engine.Event {
	return engine.Event{Type: engine.EventCheckEvaluation, Node: engine.CheckNodeName(asset, check),
		Check: &engine.CheckEvaluation{Asset: asset, Check: check, Severity: engine.SeverityError, Passed: failing == 0,
			FailingRows: failing, Sample: []map[string]string{{"id": "7"}}}}
}

// Materializations are found per database with their code versions, and check
// evaluations per environment, the latest of each.
func TestCodeVersionsAndChecksByDatabaseAndEnv(t *testing.T) {
	eachBackend(t, testCodeVersionsAndChecksByDatabaseAndEnv)
}

func testCodeVersionsAndChecksByDatabaseAndEnv(t *testing.T, b backend) {
	s := b.open(t)
	ctx := context.Background()
	t0 := time.Now().UTC()
	recordRun(t, s, "p1", "prod", t0, mat("items", "PRODUCTION.HN.ITEMS", "v1"), eval("items", "unique_id", 0))
	recordRun(t, s, "b1", "branch", t0.Add(time.Second), mat("items", "PRODUCTION_CLONE_4.HN.ITEMS", "v2"), eval("items", "unique_id", 3))
	recordRun(t, s, "p2", "prod", t0.Add(2*time.Second), mat("comments", "PRODUCTION.HN.COMMENTS", ""))

	prod, err := s.LastMaterializationsIn(ctx, runstore.Scope{Database: "PRODUCTION"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prod) != 2 || prod["items"].CodeVersion != "v1" || prod["items"].RunID != "p1" || prod["comments"].RunID != "p2" {
		t.Fatalf("PRODUCTION: %+v", prod)
	}
	clone, err := s.LastMaterializationsIn(ctx, runstore.Scope{Database: "PRODUCTION_CLONE_4"})
	if err != nil || len(clone) != 1 || clone["items"].CodeVersion != "v2" {
		t.Fatalf("clone: %+v %v", clone, err)
	}
	for env, want := range map[string]int64{"prod": 0, "branch": 3, "": 3} {
		got, err := s.LastCheckEvaluations(ctx, env)
		if err != nil || len(got) != 1 || got[0].FailingRows != want || got[0].Check != "unique_id" || len(got[0].Sample) != 1 {
			t.Errorf("env %q: %+v %v", env, got, err)
		}
	}
	d, err := s.Run(ctx, "b1")
	if err != nil || len(d.Checks) != 1 || d.Checks[0].Passed || len(d.Materialization) != 1 || d.Materialization[0].CodeVersion != "v2" {
		t.Fatalf("run b1: %+v %v", d, err)
	}
}
