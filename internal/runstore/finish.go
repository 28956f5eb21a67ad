package runstore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/assetflow/assetflow/engine"
)

// When the disk fills during a run, the run store cannot record how the run
// ended: SQLite needs new space for any write. The process is still alive and
// knows the cause, so at StartRun the store reserves a small file of its own
// beside the database (written with zeros, so its blocks are allocated), and a
// FinishRun that fails overwrites that file in place, which needs no new space.
// The next command that opens the store applies what the file holds, so the run
// shows its real end instead of "process ended without finishing the run".

// reserveSize is the space reserved per running run; a record longer than this
// has its error cut short.
const reserveSize = 8 << 10

var safeRunID = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// reservedEnd is what a failed FinishRun leaves in the reserve file.
type reservedEnd struct {
	RunID   string `json:"run_id"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	EndedNs int64  `json:"ended_ns"`
}

func (s *SQLite) reservePath(runID string) string {
	return s.where + ".end-" + runID
}

// reserveEnd allocates the reserve for a run. Best effort: without it a full
// disk leaves the run to be marked abandoned, as before.
func (s *SQLite) reserveEnd(runID string) {
	if !safeRunID.MatchString(runID) {
		return
	}
	_ = os.WriteFile(s.reservePath(runID), make([]byte, reserveSize), 0o644)
}

// keepEnd writes the run's end into its reserve, in place, after FinishRun
// could not record it (cause). It reports whether the end is now kept.
func (s *SQLite) keepEnd(res *engine.RunResult, cause error) bool {
	if !safeRunID.MatchString(res.RunID) {
		return false
	}
	end := reservedEnd{RunID: res.RunID, Status: string(res.Status), EndedNs: res.Start.Add(res.Duration).UnixNano()}
	if err := res.Err(); err != nil {
		end.Error = err.Error() + "; "
	}
	end.Error += "recording the end of the run failed, kept aside until the next command: " + strings.ReplaceAll(cause.Error(), "\n", "; ")
	data, _ := json.Marshal(end)
	for len(data) > reserveSize && len(end.Error) > 0 {
		end.Error = end.Error[:len(end.Error)*3/4] + "..."
		data, _ = json.Marshal(end)
	}
	f, err := os.OpenFile(s.reservePath(res.RunID), os.O_WRONLY, 0) // no O_CREATE, no O_TRUNC: only the reserved blocks
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.WriteAt(data, 0); err != nil {
		return false
	}
	return f.Sync() == nil
}

// dropReserve removes a run's reserve once its end is recorded in the database.
func (s *SQLite) dropReserve(runID string) {
	if safeRunID.MatchString(runID) {
		_ = os.Remove(s.reservePath(runID))
	}
}

// applyKeptEnds records the ends kept in reserve files by processes whose
// FinishRun failed, and removes reserves whose run is over. The reserve of a run
// still going is left alone. It returns the runs whose kept end could not be
// recorded yet (the disk may still be full): they must not be marked abandoned.
func (s *SQLite) applyKeptEnds(ctx context.Context) (pending map[string]bool) {
	pending = map[string]bool{}
	files, _ := filepath.Glob(s.where + ".end-*")
	for _, file := range files {
		runID := strings.TrimPrefix(file, s.where+".end-")
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		data = bytes.TrimRight(data, "\x00")
		if len(data) == 0 { // reserved, never used: drop it once the run is over
			var status string
			err := s.db.QueryRowContext(ctx, s.q(`SELECT status FROM runs WHERE run_id = ?`), runID).Scan(&status)
			if err == nil && status != "STARTED" {
				_ = os.Remove(file)
			}
			continue
		}
		var end reservedEnd
		if err := json.Unmarshal(data, &end); err != nil || end.RunID != runID {
			continue // not ours to judge; leave it
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, ended_ns = ? WHERE run_id = ? AND status = 'STARTED'`,
			end.Status, end.Error, end.EndedNs, end.RunID); err != nil {
			pending[runID] = true // kept for a later command
			continue
		}
		_ = os.Remove(file)
	}
	return pending
}
