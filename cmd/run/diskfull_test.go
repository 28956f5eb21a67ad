package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A run whose disk fills mid-write, with the process still alive, is recorded
// with its real cause, not as "process ended without finishing the run". The
// disk is a real 16 MiB tmpfs (mounting one needs root; elsewhere the test
// skips), filled by the test once the run is fetching; the test checks that the
// fault landed on both the warehouse write and the run store.
func TestDiskFullMidRunRecordsTheCause(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	p := newProject(t)
	disk := filepath.Join(p.dir, "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(disk, syscall.MNT_DETACH) })
	env := []string{"ASSETFLOW_WAREHOUSE=duckdb://" + filepath.Join(disk, "wh"), "ASSETFLOW_RUNS=" + filepath.Join(disk, "runs.db")}

	cmd := exec.Command(binary, "assets", "--set", "items.base_item_id=3000", "--log-format", "json")
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.base...), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hang := time.AfterFunc(processDeadline, func() { _ = cmd.Process.Kill() })
	defer hang.Stop()
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "fetching items") {
			break
		}
	}
	filler := filepath.Join(disk, "filler")
	if err := fill(filler); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v, want ENOSPC", err)
	}
	rest, _ := io.ReadAll(stderr)
	log.Write(rest)
	_ = cmd.Wait()
	if !hang.Stop() {
		t.Fatal("the run hung on the full disk")
	}
	out := log.String()
	if !strings.Contains(out, "recording the run in the run store") || !strings.Contains(out, "disk is full") {
		t.Fatalf("the full disk never reached the run store, so the test proves nothing:\n%s", lastLines(out, 4))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	r := p.must(env, "runs", "--json")
	var runs []struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("runs --json: %v\n%s", err, r.stdout)
	}
	if runs[0].Status != "FAILURE" || strings.Contains(runs[0].Error, "process ended") || !strings.Contains(runs[0].Error, "disk is full") {
		t.Errorf("run recorded as %s: %q; want FAILURE naming the full disk", runs[0].Status, runs[0].Error)
	}
}

// fill writes zeros to path until the file system refuses.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			return err
		}
	}
}
