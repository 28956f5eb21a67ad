//go:build cgo

package duckdb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// A database whose creation fails on a full disk leaves no empty file behind:
// such a file made every later attach fail with "not a valid DuckDB database
// file" until someone removed it by hand. The disk is a real full tmpfs
// (mounting one needs root; elsewhere the test skips).
func TestCreateOnFullDiskLeavesNoEmptyFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = f.Write(make([]byte, 4096))
	}
	f.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v", err)
	}

	w := open(t, dir)
	tbl := warehousetest.Sample(1, 4)
	defer tbl.Release()
	if err := w.WriteTable(context.Background(), items, tbl); err == nil {
		t.Fatal("a write on a full disk succeeded: the fault did not land")
	}
	w.Close()
	if info, err := os.Stat(filepath.Join(dir, "PRODUCTION.duckdb")); err == nil && info.Size() == 0 {
		t.Fatal("the failed creation left an empty PRODUCTION.duckdb")
	}

	// Space again: the database is created as if nothing had happened.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	w = open(t, dir)
	defer w.Close()
	if err := w.WriteTable(context.Background(), items, tbl); err != nil {
		t.Fatalf("the write after space was freed: %v", err)
	}
}

// An empty database file found on attach is named as what it is, with the fix.
func TestEmptyDatabaseFileIsExplained(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "PRODUCTION.duckdb"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := open(t, dir)
	defer w.Close()
	tbl := warehousetest.Sample(1, 4)
	defer tbl.Release()
	err := w.WriteTable(context.Background(), items, tbl)
	if err == nil || !strings.Contains(err.Error(), "is empty") || !strings.Contains(err.Error(), "remove it") {
		t.Fatalf("got %v, want an error that names the empty file and the fix", err)
	}
}
