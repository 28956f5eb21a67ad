package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// A run spread over workers shows so, and names each step's worker.
func TestRunPageNamesEachStepsWorker(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	id := "5eedfeed5eedfeed"
	if err := f.store.QueueRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: "local", Nodes: []string{"items", "comments"}, Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.AddSteps(ctx, id, []string{"items", "comments"}, map[string][]string{"comments": {"items"}}); err != nil {
		t.Fatal(err)
	}
	code, body := f.do("GET", "/runs/"+id, "", nil, nil)
	if code != 200 || !strings.Contains(body, "as steps spread over workers") {
		t.Fatalf("queued distributed run: %d\n%s", code, body)
	}
	if _, err := f.store.Advance(ctx, id, "hostA:1", time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got, err := f.store.ClaimStep(ctx, id, "items", "owner-a", "hostA:11", now, now.Add(-time.Minute)); err != nil || got != runstore.Claimed {
		t.Fatalf("claim: %s %v", got, err)
	}
	sink := f.store.StepEvents(id, "items", "owner-a", "hostA:11")
	sink.Emit(engine.Event{Type: engine.EventStepStart, Node: "items", Time: now})
	sink.Emit(engine.Event{Type: engine.EventStepSuccess, Node: "items", Time: now, Attempt: 1})
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = f.do("GET", "/runs/"+id, "", nil, nil)
	if code != 200 || !strings.Contains(body, "<td>hostA:11</td>") || !strings.Contains(body, "<th>Worker</th>") {
		t.Fatalf("run page: %d\n%s", code, body)
	}
}
