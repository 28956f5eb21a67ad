package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assetflow/assetflow/cli"
)

// inProcessWithin runs the command tree in this process with a deadline that
// turns a hang (such as a read blocked on a FIFO) into a failure.
func inProcessWithin(t *testing.T, vars map[string]string, args ...string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, _, err := inProcess(t, vars, args...)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute): // catches a hang only; no timing is asserted
		t.Fatalf("run %s did not return within 2 minutes", strings.Join(args, " "))
		return nil
	}
}

// wantUsage asserts a one-line usage error (exit 2) containing each of want
// and none of the Go-internal words.
func wantUsage(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil || cli.ExitCode(err) != cli.ExitUsage {
		t.Fatalf("error %v, want a usage error (exit 2)", err)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	for _, bad := range []string{"\n", "strconv", "int64", "invalid syntax"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q contains %q", msg, bad)
		}
	}
}

func localVars(t *testing.T) map[string]string {
	return map[string]string{"ASSETFLOW_WAREHOUSE": "duckdb://" + filepath.Join(t.TempDir(), "wh"),
		"ASSETFLOW_RUNS": filepath.Join(t.TempDir(), "runs.db")}
}

// Usage slips a new user makes get exit 2 and a hint.
func TestUsageSlips(t *testing.T) {
	vars := localVars(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"assets", "items"}, []string{"takes no arguments", "--select items"}},
		{[]string{"assets", "items", "comments"}, []string{"--select items,comments"}},
		{[]string{"graph", "stories"}, []string{"--select stories"}},
		{[]string{"list", "extra"}, []string{"run list takes no arguments", `"extra"`}},
		{[]string{"asset"}, []string{`unknown command "asset"`, `did you mean "assets"?`}},
		{[]string{"grap"}, []string{`did you mean "graph"?`}},
		{[]string{"runs", "--limit", "abc"}, []string{`--limit "abc": expected a whole number`}},
		{[]string{"assets", "--max-concurrency", "1.5"}, []string{`--max-concurrency "1.5": expected a whole number`}},
		{[]string{"assets", "--fail-fast=maybe"}, []string{`--fail-fast "maybe": expected true or false`}},
		{[]string{"job", "clone_prod"}, []string{"branch deployments only", "--env branch job clone_prod", "DAGSTER_CLOUD_PULL_REQUEST_ID=<pull request number>"}},
		{[]string{"assets", "--set", "items.base_item_id=1.5"}, []string{"base_item_id = 1.5: expected a whole number"}},
		{[]string{"assets", "--set", "items.base_item_id="}, []string{"base_item_id is empty"}},
		{[]string{"assets", "--set", "items.base_item_id=\"1\\n2\""}, []string{`base_item_id = "1\n2"`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantUsage(t, inProcessWithin(t, vars, tc.args...), tc.want...)
		})
	}
}

// --config reads only a regular file of bounded size; a FIFO, a device or a
// directory is refused before anything blocks or grows.
func TestConfigFileIsBounded(t *testing.T) {
	vars := localVars(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "config.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("ops:\n"+strings.Repeat("# padding\n", 120_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want string
	}{
		{fifo, "is a named pipe (FIFO): expected a YAML file"},
		{link, "is a named pipe (FIFO)"},
		{"/dev/zero", "is a device"},
		{dir, "is a directory"},
		{big, "is larger than 1024 KiB"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			wantUsage(t, inProcessWithin(t, vars, "assets", "--config", tc.path), "--config "+tc.path, tc.want)
		})
	}
}
