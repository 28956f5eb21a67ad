package runstore_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// stepStore is a store that keeps runs spread over workers.
type stepStore interface {
	testStore
	runstore.QueueStore
}

// queueSteps records a run of steps a and b, then c after both, and moves it
// to its first steps.
func queueSteps(t *testing.T, s stepStore, id string) []string {
	t.Helper()
	ctx := context.Background()
	if err := s.QueueRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: "local", Nodes: []string{"a", "b", "c"}, Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSteps(ctx, id, []string{"a", "b", "c"}, map[string][]string{"c": {"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	ready, err := s.Advance(ctx, id, "w", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ready
}

// end runs a step as an owner would: claim it, then record its events.
func end(t *testing.T, s stepStore, id, node, owner string, typ engine.EventType) error {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	got, err := s.ClaimStep(ctx, id, node, owner, "w", now, now.Add(-time.Minute))
	if err != nil || got != runstore.Claimed {
		t.Fatalf("claim %s: %s %v", node, got, err)
	}
	sink := s.StepEvents(id, node, owner, "w")
	sink.Emit(engine.Event{Type: engine.EventRunStart, Time: now}) // the step's own run: not recorded
	sink.Emit(engine.Event{Type: engine.EventStepStart, Node: node, Time: now})
	sink.Emit(engine.Event{Type: typ, Node: node, Time: now, Attempt: 1, Error: map[bool]string{true: node + " broke"}[typ == engine.EventStepFailure]})
	return sink.Close()
}

// Two workers that finish the two upstreams of c at once, and move the run on
// at once, queue c exactly once; after c the run ends SUCCESS.
func TestStepsQueueOnceAndEndTheRun(t *testing.T) { eachBackend(t, testStepsQueueOnceAndEndTheRun) }

func testStepsQueueOnceAndEndTheRun(t *testing.T, b backend) {
	s := b.open(t).(stepStore)
	ctx := context.Background()
	if ready := queueSteps(t, s, "r1"); !slices.Equal(ready, []string{"a", "b"}) {
		t.Fatalf("first steps: %v", ready)
	}
	for _, n := range []string{"a", "b"} {
		if err := end(t, s, "r1", n, "o-"+n, engine.EventStepSuccess); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 { // race several advances: c is queued by one of them only
		var mu sync.Mutex
		var all []string
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other, err := b.openAt()
				if err != nil {
					t.Error(err)
					return
				}
				defer other.Close()
				ready, err := other.(stepStore).Advance(ctx, "r1", "w", time.Now())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				all = append(all, ready...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(all) > 1 {
			t.Fatalf("c queued %d times: %v", len(all), all)
		}
	}
	queued, err := s.QueuedSteps(ctx, "r1")
	if err != nil || !slices.Equal(queued, []string{"c"}) {
		t.Fatalf("queued steps: %v %v", queued, err)
	}
	if err := end(t, s, "r1", "c", "o-c", engine.EventStepSuccess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Advance(ctx, "r1", "w", time.Now()); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, "r1")
	if err != nil || d.Status != "SUCCESS" || !d.Distributed {
		t.Fatalf("run: %+v %v", d, err)
	}
	events, _ := s.RunEvents(ctx, "r1")
	var types []string
	for _, e := range events {
		types = append(types, string(e.Type)+" "+e.Node)
	}
	sort.Strings(types)
	want := []string{"RUN_START ", "RUN_SUCCESS ", "STEP_START a", "STEP_START b", "STEP_START c", "STEP_SUCCESS a", "STEP_SUCCESS b", "STEP_SUCCESS c"}
	if !slices.Equal(types, want) {
		t.Fatalf("events:\n%v\nwant\n%v", types, want)
	}
}

// A failed step skips what follows it and fails the run, naming the step.
func TestStepFailureSkipsDownstream(t *testing.T) { eachBackend(t, testStepFailureSkipsDownstream) }

func testStepFailureSkipsDownstream(t *testing.T, b backend) {
	s := b.open(t).(stepStore)
	ctx := context.Background()
	queueSteps(t, s, "r2")
	if err := end(t, s, "r2", "a", "o-a", engine.EventStepFailure); err != nil {
		t.Fatal(err)
	}
	if ready, err := s.Advance(ctx, "r2", "w", time.Now()); err != nil || len(ready) != 0 {
		t.Fatalf("after a failed: %v %v", ready, err)
	}
	if err := end(t, s, "r2", "b", "o-b", engine.EventStepSuccess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Advance(ctx, "r2", "w", time.Now()); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, "r2")
	if err != nil || d.Status != "FAILURE" || d.Error != "run r2 failed: a: a broke" || d.Steps[2].Status != "SKIPPED" {
		t.Fatalf("run: %+v %v", d, err)
	}
}

// A worker whose step was taken over (its heartbeat went stale) can record
// nothing more of it: its writes are refused, and only the new owner's end
// counts.
func TestTakenOverStepIsFenced(t *testing.T) { eachBackend(t, testTakenOverStepIsFenced) }

func testTakenOverStepIsFenced(t *testing.T, b backend) {
	s := b.open(t).(stepStore)
	ctx := context.Background()
	queueSteps(t, s, "r3")
	t0 := time.Now()
	if got, err := s.ClaimStep(ctx, "r3", "a", "old", "w1", t0, t0.Add(-time.Minute)); got != runstore.Claimed || err != nil {
		t.Fatalf("claim: %s %v", got, err)
	}
	// A live owner keeps it; a stale one loses it.
	if got, _ := s.ClaimStep(ctx, "r3", "a", "new", "w2", t0.Add(time.Second), t0.Add(-time.Second)); got != runstore.Busy {
		t.Fatalf("claim of a live step: %s", got)
	}
	if got, _ := s.ClaimStep(ctx, "r3", "a", "new", "w2", t0.Add(time.Minute), t0.Add(time.Second)); got != runstore.Claimed {
		t.Fatalf("claim of a stale step: %s", got)
	}
	if mine, _, err := s.StepHeartbeat(ctx, "r3", "a", "old", time.Now()); mine || err != nil {
		t.Fatalf("old owner's heartbeat: mine %v %v", mine, err)
	}
	old := s.StepEvents("r3", "a", "old", "w1")
	old.Emit(engine.Event{Type: engine.EventStepSuccess, Node: "a", Time: time.Now(), Attempt: 1})
	if err := old.Close(); !errors.Is(err, runstore.ErrNotOwner) {
		t.Fatalf("old owner's write: %v", err)
	}
	if err := s.ReleaseStep(ctx, "r3", "a", "old"); err != nil {
		t.Fatal(err)
	}
	sink := s.StepEvents("r3", "a", "new", "w2")
	sink.Emit(engine.Event{Type: engine.EventStepSuccess, Node: "a", Time: time.Now(), Attempt: 1})
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	d, _ := s.Run(ctx, "r3")
	if d.Steps[0].Status != "SUCCESS" {
		t.Fatalf("step a: %+v", d.Steps[0])
	}
	events, _ := s.RunEvents(ctx, "r3")
	n := 0
	for _, e := range events {
		if e.Type == engine.EventStepSuccess {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d successes recorded for a", n)
	}
}
