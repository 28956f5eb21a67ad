package duckdb_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

const holdCloneVar = "ASSETFLOW_TEST_HOLD_CLONE"

var cloneX = warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "X"}
var cloneY = warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "Y"}

// TestHelperCloneWriter is the other process of TestCloneWaitsForWriterOfClone:
// a branch run of PR 42 that writes its clone, waits, then writes again.
func TestHelperCloneWriter(t *testing.T) {
	dir := os.Getenv(holdCloneVar)
	if dir == "" {
		t.Skip("run by TestCloneWaitsForWriterOfClone")
	}
	ctx := context.Background()
	w, err := duckdb.Open(ctx, duckdb.Config{Dir: dir, ReadOnly: []string{"PRODUCTION"}, Writable: []string{"PRODUCTION_CLONE_42"}})
	if err != nil {
		t.Fatal(err)
	}
	rows := warehousetest.Sample(100, 3)
	defer rows.Release()
	if err := w.WriteTable(ctx, cloneX, rows); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := w.WriteTable(ctx, cloneY, rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloneWaitsForWriterOfClone: clone_prod while another process of the same
// pull request writes the clone must not swap the file from under it, where
// the writer's later writes would be reported done and lost.
func TestCloneWaitsForWriterOfClone(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g, _ := branchWarehouse(t, dir)
	if _, err := g.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	g.(interface{ Close() error }).Close()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperCloneWriter$")
	cmd.Env = append(os.Environ(), holdCloneVar+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = errors.New("helper said " + line)
		}
		ready <- err
		_, _ = bufio.NewReader(stdout).ReadString(0) // drain
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("the writer process did not get ready")
	}

	b, err := duckdb.Open(ctx, duckdb.Config{Dir: dir, ReadOnly: []string{"PRODUCTION"}, Writable: []string{"PRODUCTION_CLONE_42"},
		LockWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, cerr := b.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42")
	var busy *duckdb.BusyError
	if !errors.As(cerr, &busy) {
		t.Errorf("clone while another process writes the clone: %v, want a BusyError", cerr)
	}
	// drop_prod_clone meanwhile would unlink the file under the writer too.
	if err := b.DropDatabase(ctx, "PRODUCTION_CLONE_42"); !errors.As(err, &busy) {
		t.Errorf("drop while another process writes the clone: %v, want a BusyError", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("writer process: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.ReadTable(ctx, cloneY)
	if err != nil {
		t.Fatalf("the writer's second write was reported done and is gone: %v", err)
	}
	got.Release()
}
