package runstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	_ "modernc.org/sqlite"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, path string) *runstore.SQLite {
	t.Helper()
	s, err := runstore.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEveryEventTypeRoundTrips(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "runs.db"))
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.StartRun(ctx, runstore.Run{ID: "r1", Kind: "assets", Name: "assets", Selection: "*", Env: "local",
		Nodes: []string{"items", "comments", "stories", "extra"}, Start: start}); err != nil {
		t.Fatal(err)
	}
	m := &engine.Materialization{Location: "PRODUCTION.HACKER_NEWS.ITEMS", Rows: 967, Columns: []string{"id", "kids"},
		Metadata: map[string]any{"missing": float64(3)}}
	sent := []engine.Event{
		{Type: engine.EventRunStart, Message: "run assets: 4 nodes"},
		{Type: engine.EventStepStart, Node: "items"},
		{Type: engine.EventStepRetry, Node: "items", Attempt: 1, Error: "HTTP 503", Message: "retrying"},
		{Type: engine.EventMaterialization, Node: "items", Attempt: 2, Duration: 31 * time.Millisecond, Materialization: m},
		{Type: engine.EventStepSuccess, Node: "items", Attempt: 2, Duration: 32 * time.Millisecond},
		{Type: engine.EventStepStart, Node: "comments"},
		{Type: engine.EventStepFailure, Node: "comments", Attempt: 1, Error: "boom", Stack: "goroutine 1 [running]:\n..."},
		{Type: engine.EventStepSkipped, Node: "stories", Message: "an upstream did not succeed"},
		{Type: engine.EventStepCanceled, Node: "extra"},
		{Type: engine.EventRunFailure, Error: "run r1 failed: comments: boom"},
		{Type: engine.EventRunSuccess}, {Type: engine.EventRunCanceled},
	}
	sink := s.Events("r1")
	for i, e := range sent {
		e.RunID, e.Time = "r1", start.Add(time.Duration(i)*time.Millisecond)
		sent[i] = e
		sink.Emit(e)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunEvents(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sent) {
		t.Fatalf("events differ:\n got %+v\nwant %+v", got, sent)
	}
	if err := s.FinishRun(ctx, &engine.RunResult{RunID: "r1", Status: engine.RunFailure, Start: start, Duration: time.Second,
		Steps: []engine.StepResult{{Node: "comments", Status: engine.StepFailure, Err: fmt.Errorf("boom")}}}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := "[{items SUCCESS 2 32ms } {comments FAILURE 1 0s boom} {stories SKIPPED 0 0s } {extra CANCELED 0 0s }]"
	if got := fmt.Sprint(d.Steps); got != want {
		t.Errorf("steps %s\nwant  %s", got, want)
	}
	if d.Status != "FAILURE" || d.Duration != time.Second || len(d.Materialization) != 1 || d.Materialization[0].Rows != 967 {
		t.Errorf("run %+v", d)
	}
	rerun, err := d.Rerun()
	if err != nil || strings.Join(rerun, ",") != "comments,stories,extra" {
		t.Errorf("rerun %v (%v)", rerun, err)
	}
	last, err := s.LastMaterializations(ctx)
	if err != nil || last["items"].RunID != "r1" || last["items"].Rows != 967 {
		t.Errorf("last materializations %v (%v)", last, err)
	}
}

func TestRerunRefusesASuccessfulRun(t *testing.T) {
	d := &runstore.RunDetail{Run: runstore.Run{ID: "ok", Status: "SUCCESS"}}
	if _, err := d.Rerun(); err == nil || !strings.Contains(err.Error(), "run ok succeeded: there is nothing to re-execute") {
		t.Errorf("got %v", err)
	}
}

func TestUnreadableStores(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("not a database ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runstore.OpenSQLite(context.Background(), corrupt); err == nil || !strings.Contains(err.Error(), "run store "+corrupt+" is not a readable") {
		t.Errorf("corrupt: %v", err)
	}
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := runstore.OpenSQLite(context.Background(), newer); err == nil ||
		!strings.Contains(err.Error(), "run store "+newer+" was written by a newer assetflow (layout 99; this one reads 2)") {
		t.Errorf("newer: %v", err)
	}
}

// A run whose process is gone is marked FAILED; a live one is left alone.
func TestAbandonedRunsAreFailed(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "runs.db"))
	ctx := context.Background()
	if err := s.StartRun(ctx, runstore.Run{ID: "mine", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A run recorded by a process that has exited.
	child := exec.Command("sh", "-c", "exit 0")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, runstore.Run{ID: "gone", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPID(ctx, "gone", child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	n, err := s.MarkAbandoned(ctx)
	if err != nil || n != 1 {
		t.Fatalf("marked %d (%v), want 1", n, err)
	}
	runs, _ := s.Runs(ctx, 10)
	for _, r := range runs {
		switch r.ID {
		case "gone":
			if r.Status != "FAILURE" || r.Error != "process ended without finishing the run" {
				t.Errorf("gone: %+v", r)
			}
		case "mine":
			if r.Status != "STARTED" {
				t.Errorf("a live run was marked: %+v", r)
			}
		}
	}
}

// Two stores on one file, as two processes, write at once without losing events.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	const runs, events = 4, 2000
	var wg sync.WaitGroup
	for i := 0; i < runs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := runstore.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			id := fmt.Sprintf("run%d", i)
			if err := s.StartRun(context.Background(), runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
				t.Error(err)
				return
			}
			sink := s.Events(id)
			for k := 0; k < events; k++ {
				sink.Emit(engine.Event{Type: engine.EventStepStart, RunID: id, Node: fmt.Sprint(k), Time: time.Now()})
			}
			if err := sink.Close(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := open(t, path)
	for i := 0; i < runs; i++ {
		got, err := s.RunEvents(context.Background(), fmt.Sprintf("run%d", i))
		if err != nil || len(got) != events {
			t.Errorf("run%d: %d events (%v), want %d", i, len(got), err, events)
		}
	}
}
