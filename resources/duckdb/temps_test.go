package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/resources/clones"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// TestStaleCloneTempFiles: temporary files killed clones left are reported by
// size, removed by drop, reap and the next clone, and never while a clone of
// that name is running; drops leave no lock files (issue 16, item 10).
func TestStaleCloneTempFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w := open(t, dir)
	defer w.Close()
	rows := warehousetest.Sample(1, 10)
	defer rows.Release()
	if err := w.WriteTable(ctx, items, rows); err != nil {
		t.Fatal(err)
	}
	for _, pr := range []string{"43", "45"} {
		if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_"+pr); err != nil {
			t.Fatal(err)
		}
	}
	leave := func(db string, size int) string {
		p := filepath.Join(dir, "."+db+".clone-0123abcd.tmp")
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	only42 := leave("PRODUCTION_CLONE_42", 3000) // killed before its first clone finished
	beside43 := leave("PRODUCTION_CLONE_43", 2000)
	beside45 := leave("PRODUCTION_CLONE_45", 1000)
	live44 := leave("PRODUCTION_CLONE_44", 500) // a clone being made now, by another process
	other := open(t, dir)
	defer other.Close()
	release44, err := other.LockName(ctx, "PRODUCTION_CLONE_44")
	if err != nil {
		t.Fatal(err)
	}

	records, err := w.ListClones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range records {
		got[c.Name] = c.TempBytes
	}
	for db, want := range map[string]int64{"PRODUCTION_CLONE_42": 3000, "PRODUCTION_CLONE_43": 2000, "PRODUCTION_CLONE_44": 500, "PRODUCTION_CLONE_45": 1000} {
		if got[db] != want {
			t.Errorf("%s: %d temporary bytes reported, want %d", db, got[db], want)
		}
	}

	// Drop removes its name's temporary files and its lock file.
	if err := w.DropDatabase(ctx, "PRODUCTION_CLONE_43"); err != nil {
		t.Fatal(err)
	}
	if fileExists(beside43) || fileExists(filepath.Join(dir, ".PRODUCTION_CLONE_43.lock")) {
		t.Error("drop left the temporary file or the lock file")
	}
	// Reap removes the stale ones, not the live one.
	verdicts, err := clones.Reap(ctx, zerolog.Nop(), w, clones.ReapRules{OlderThan: 14 * 24 * time.Hour, Now: time.Now()}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range verdicts {
		if v.Name == "PRODUCTION_CLONE_42" && v.Action != clones.RemoveTemp {
			t.Errorf("PR 42: %s (%s)", v.Action, v.Reason)
		}
	}
	if fileExists(only42) || fileExists(beside45) {
		t.Error("reap left a stale temporary file")
	}
	if !fileExists(live44) {
		t.Fatal("reap removed the temporary file of a running clone")
	}
	release44(false)
	// The next clone of 44 removes it.
	if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_44"); err != nil {
		t.Fatal(err)
	}
	if fileExists(live44) {
		t.Error("the next clone left the stale temporary file")
	}
	// Locks do not pile up: clone and drop many PRs.
	for i := 100; i < 130; i++ {
		db, _ := warehouse.CloneName(strconv.Itoa(i))
		if _, err := w.CloneDatabase(ctx, "PRODUCTION", db); err != nil {
			t.Fatal(err)
		}
		if err := w.DropDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var locks []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".lock") {
			locks = append(locks, e.Name())
		}
	}
	if len(locks) > 3 { // 44 and 45 exist; 42 had only a temp
		t.Errorf("lock files pile up: %v", locks)
	}
}

// TestLockSurvivesRemoval: a process waiting for a name's lock while the holder
// drops the database (and removes the lock file) ends up holding the lock of the
// file now at that path, so a third process still has to wait.
func TestLockSurvivesRemoval(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waiting := make(chan struct{})
	var once sync.Once
	logged := zerolog.New(writerFunc(func(p []byte) (int, error) {
		if strings.Contains(string(p), "waiting for another process") {
			once.Do(func() { close(waiting) })
		}
		return len(p), nil
	}))
	b, err := duckdb.Open(ctx, duckdb.Config{Dir: dir, Log: logged})
	if err != nil {
		t.Fatal(err)
	}
	a, c := open(t, dir), open(t, dir)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	releaseA, err := a.LockName(ctx, "PRODUCTION_CLONE_7")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(bool), 1)
	go func() {
		r, err := b.LockName(ctx, "PRODUCTION_CLONE_7")
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- r
	}()
	select { // b is waiting for a's lock
	case <-waiting:
	case <-ctx.Done():
		t.Fatal("b never waited for the lock")
	}
	releaseA(true) // a drop: removes the lock file, then unlocks
	releaseB, ok := <-got
	if !ok {
		t.Fatal("b did not get the lock")
	}
	defer releaseB(false)
	free, err := c.TryLockName(ctx, "PRODUCTION_CLONE_7")
	if err != nil {
		t.Fatal(err)
	}
	if free {
		t.Fatal("c got the lock while b holds it: b locked a removed file")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
