package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// killWhen starts the binary, waits for a stderr line containing marker (or,
// with marker "", for the process to start), then kills it with SIGKILL after d.
// It fails the test if the marker never shows or the process hangs.
func (p *project) killWhen(marker string, d time.Duration, env []string, args ...string) (started time.Time) {
	p.t.Helper()
	cmd := exec.Command(binary, append(args, "--log-format", "json")...)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.base...), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	started = time.Now()
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	hang := time.AfterFunc(processDeadline, func() { _ = cmd.Process.Kill() })
	defer hang.Stop()
	sc := bufio.NewScanner(stderr)
	seen := marker == ""
	for !seen && sc.Scan() {
		seen = strings.Contains(sc.Text(), marker)
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }() // never block the process on a full pipe
	if !seen {
		_ = cmd.Wait()
		p.t.Fatalf("run %s ended without logging %q", strings.Join(args, " "), marker)
	}
	time.Sleep(d)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	return started
}

// writeState tells where a kill that came after since landed in the writes of a
// database: mid-write when a staging table is left (a write creates it first
// and swaps it in last), past when some table was swapped in after since (its
// comment records when), before otherwise.
func (p *project) writeState(db string, since time.Time) (before, mid bool) {
	p.t.Helper()
	file := filepath.Join(p.dir, "wh", db+".duckdb")
	if _, err := os.Stat(file); err != nil {
		return true, false
	}
	conn, err := sql.Open("duckdb", file)
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(context.Background(), `SELECT table_name, coalesce(comment, '') FROM duckdb_tables()`)
	if err != nil {
		p.t.Fatalf("%s after a kill: %v", file, err)
	}
	defer rows.Close()
	swapped := false
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			p.t.Fatal(err)
		}
		if strings.HasPrefix(name, "_af_staging_") {
			mid = true
		}
		if at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(comment, "assetflow: written at ")); err == nil && !at.Before(since) {
			swapped = true
		}
	}
	if err := rows.Err(); err != nil {
		p.t.Fatal(err)
	}
	return !mid && !swapped, mid
}

// killTally counts where kills landed and steers the next kill's delay into the
// write: it bisects between the latest delay that came too early and the
// earliest that came too late, growing the delay until one comes too late.
type killTally struct {
	delay                  time.Duration
	lo, hi                 time.Duration // too early at lo; too late at hi (0: not yet)
	before, midWrite, past int
}

func (k *killTally) landed(before, mid bool) {
	switch {
	case mid:
		k.midWrite++
		return // the same delay again
	case before:
		k.before++
		k.lo = k.delay
	default:
		k.past++
		k.hi = k.delay
	}
	if k.hi > 0 && k.lo >= k.hi { // timing jitter crossed the bounds: widen
		k.lo = k.hi / 2
	}
	if k.hi == 0 {
		k.delay = k.delay*3/2 + time.Millisecond
	} else {
		k.delay = (k.lo + k.hi) / 2
	}
}

// enough reports whether the kills so far are sufficient: at least minKills in
// all, of which at least minMid landed mid-write; or the trial budget is spent.
func (k *killTally) enough(minKills, minMid, budget int) bool {
	total := k.before + k.midWrite + k.past
	return total >= budget || (total >= minKills && k.midWrite >= minMid)
}
