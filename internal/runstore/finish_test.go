package runstore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

func open(t *testing.T, path string) *runstore.SQLite {
	t.Helper()
	s, err := runstore.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A run whose store could not record its end (the disk filled) keeps the end in
// the space reserved when it started; the next command records the real cause
// instead of "process ended without finishing the run".
func TestEndKeptWhenTheStoreCannotWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	ctx := context.Background()
	s := open(t, path)
	start := time.Now()
	if err := s.StartRun(ctx, runstore.Run{ID: "full1", Kind: "assets", Name: "assets", Env: "local", Start: start}); err != nil {
		t.Fatal(err)
	}
	if err := s.FailWrites(ctx); err != nil { // from here on, every write fails, as on a full disk
		t.Fatal(err)
	}
	cause := errors.New("write PRODUCTION.HACKER_NEWS.ITEMS: IO Error: No space left on device")
	res := &engine.RunResult{RunID: "full1", Name: "assets", Start: start, Duration: time.Second, Status: engine.RunFailure,
		Steps: []engine.StepResult{{Node: "items", Status: engine.StepFailure, Err: cause}}}
	err := s.FinishRun(ctx, res)
	if err == nil {
		t.Fatal("FinishRun succeeded on a store that cannot write: the fault did not land")
	}
	if !strings.Contains(err.Error(), "kept in") {
		t.Errorf("FinishRun error does not say where the end is kept: %v", err)
	}

	// The process ends; the next command opens the store.
	child := exec.Command("sh", "-c", "exit 0")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	next := open(t, path)
	if err := next.SetPID(ctx, "full1", child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := next.MarkAbandoned(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := next.Run(ctx, "full1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "FAILURE" || !strings.Contains(d.Error, "No space left on device") || strings.Contains(d.Error, "process ended") {
		t.Errorf("run recorded as %s: %q; want FAILURE with the real cause", d.Status, d.Error)
	}
	if left, _ := filepath.Glob(path + ".end-*"); len(left) != 0 {
		t.Errorf("reserve files left after the end was recorded: %v", left)
	}
}

// Reserves do not pile up: a finished run drops its own, an abandoned run's is
// dropped when it is marked, and a live run's is left alone.
func TestReservesDoNotPileUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	ctx := context.Background()
	s := open(t, path)
	for _, id := range []string{"done", "live", "gone"} {
		if err := s.StartRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path + ".end-live"); err != nil {
		t.Fatalf("no space reserved for a started run: %v", err)
	}
	if err := s.FinishRun(ctx, &engine.RunResult{RunID: "done", Status: engine.RunSuccess, Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sh", "-c", "exit 0")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPID(ctx, "gone", child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MarkAbandoned(ctx); err != nil || n != 1 {
		t.Fatalf("marked %d (%v), want 1", n, err)
	}
	left, _ := filepath.Glob(path + ".end-*")
	if len(left) != 1 || !strings.HasSuffix(left[0], ".end-live") {
		t.Errorf("reserves left: %v, want only the live run's", left)
	}
}
