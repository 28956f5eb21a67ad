package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Queued runs: recorded QUEUED by whoever enqueues them, then claimed by the
// worker that executes them. A worker proves it is alive by a heartbeat on the
// run; a run whose heartbeat is older than the stale limit may be claimed by
// another worker, which continues it (see Remaining). This is how a worker
// killed with kill -9 is told from a slow one, across hosts.

// Claim outcomes.
const (
	Claimed  = "claimed"  // this worker now executes the run
	Busy     = "busy"     // another worker executes it and is alive
	Finished = "finished" // the run has ended (or was cancelled): nothing to do
)

// QueueRun records a run as QUEUED, waiting for a worker.
func (s *sqlStore) QueueRun(ctx context.Context, r Run) error {
	nodes, _ := json.Marshal(r.Nodes)
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO runs (run_id, kind, name, selection, env, nodes, status, started_ns, pid, proc_start, host, job_id, warehouse, database, config)
		VALUES (?, ?, ?, ?, ?, ?, 'QUEUED', ?, 0, '', '', 0, ?, ?, ?)`),
		r.ID, r.Kind, r.Name, r.Selection, r.Env, string(nodes), r.Start.UnixNano(), r.Warehouse, r.Database, configJSON(r.Config))
	if err != nil {
		return s.fail(fmt.Errorf("queue run: %w", err))
	}
	return nil
}

// SetJob records the queue job that carries a queued run.
func (s *sqlStore) SetJob(ctx context.Context, runID string, jobID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET job_id = ? WHERE run_id = ?`), jobID, runID)
	if err != nil {
		return s.fail(err)
	}
	return nil
}

// Job returns the queue job of a run, and the run's status. A run that was not
// queued has job 0.
func (s *sqlStore) Job(ctx context.Context, runID string) (int64, string, error) {
	var job sql.NullInt64
	var status string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT job_id, status FROM runs WHERE run_id = ?`), runID).Scan(&job, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("no run %q in %s (see run runs)", runID, s.where)
	}
	if err != nil {
		return 0, "", s.fail(err)
	}
	return job.Int64, status, nil
}

// Claim makes owner (a unique name of one worker's execution) the executor of
// a queued run: if it is QUEUED, or STARTED by a worker whose heartbeat is
// older than staleBefore. host and pid are shown in run runs.
func (s *sqlStore) Claim(ctx context.Context, runID, owner string, now, staleBefore time.Time) (string, error) {
	pid := os.Getpid()
	// A run's start is its first claim, not when it was queued: a run handed
	// back (it has events) keeps the start it had.
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = 'STARTED', owner = ?, heartbeat_ns = ?, host = ?, pid = ?, proc_start = ?,
		started_ns = CASE WHEN status = 'QUEUED' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.run_id = runs.run_id) THEN ? ELSE started_ns END
		WHERE run_id = ? AND (status = 'QUEUED' OR (status = 'STARTED' AND job_id IS NOT NULL AND (heartbeat_ns IS NULL OR heartbeat_ns < ?)))`),
		owner, now.UnixNano(), s.host, pid, processStart(pid), now.UnixNano(), runID, staleBefore.UnixNano())
	if err != nil {
		return "", s.fail(fmt.Errorf("claim run: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return Claimed, nil
	}
	_, status, err := s.Job(ctx, runID)
	if err != nil {
		return "", err
	}
	if status == "STARTED" {
		return Busy, nil
	}
	return Finished, nil
}

// Heartbeat records that owner still executes the run. mine is false if the
// run is no longer owner's (another worker took it over, or it ended);
// cancel is true once run cancel asked for the run to stop.
func (s *sqlStore) Heartbeat(ctx context.Context, runID, owner string, now time.Time) (mine, cancel bool, err error) {
	var cancelNS sql.NullInt64
	err = s.db.QueryRowContext(ctx, s.q(`UPDATE runs SET heartbeat_ns = ? WHERE run_id = ? AND owner = ? AND status = 'STARTED' RETURNING cancel_ns`),
		now.UnixNano(), runID, owner).Scan(&cancelNS)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, s.fail(fmt.Errorf("heartbeat: %w", err))
	}
	return true, cancelNS.Valid, nil
}

// RequestCancel asks the worker executing a run to stop it; the worker sees
// it at its next heartbeat, wherever it runs.
func (s *sqlStore) RequestCancel(ctx context.Context, runID string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET cancel_ns = ? WHERE run_id = ?`), now.UnixNano(), runID)
	if err != nil {
		return s.fail(fmt.Errorf("cancel run: %w", err))
	}
	return nil
}

// CancelQueued marks a QUEUED run CANCELED and reports whether it was queued.
func (s *sqlStore) CancelQueued(ctx context.Context, runID string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = 'CANCELED', error = 'cancelled before it started', ended_ns = ?
		WHERE run_id = ? AND status = 'QUEUED'`), now.UnixNano(), runID)
	if err != nil {
		return false, s.fail(fmt.Errorf("cancel run: %w", err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Remaining returns the nodes of a run that have not succeeded, in plan order:
// what a worker taking over a run executes, so that no step succeeds twice.
func (d *RunDetail) Remaining() []string {
	var out []string
	for _, st := range d.Steps {
		if st.Status != "SUCCESS" {
			out = append(out, st.Node)
		}
	}
	return out
}

// FinishOwned records how a queued run ended, if owner still executes it: a
// worker that lost the run to another (its heartbeat went stale) records
// nothing.
func (s *sqlStore) FinishOwned(ctx context.Context, owner string, runID string, status, msg string, end time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, error = ?, ended_ns = ? WHERE run_id = ? AND owner = ? AND status = 'STARTED'`),
		status, msg, end.UnixNano(), runID, owner)
	if err != nil {
		return false, s.fail(fmt.Errorf("finish run: %w", err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ownsRun locks the run and refuses, with ErrNotOwner, unless owner executes
// it.
func (s *sqlStore) ownsRun(ctx context.Context, tx *sql.Tx, runID, owner string) error {
	status, who, _, err := s.lockRun(ctx, tx, runID)
	if err != nil {
		return err
	}
	if who != owner || status != "STARTED" {
		return fmt.Errorf("run %s: %w", runID, ErrNotOwnerOfRun)
	}
	return nil
}

// ErrNotOwnerOfRun is a write refused because this execution no longer owns
// the queued run: another worker took it over, or it ended.
var ErrNotOwnerOfRun = fmt.Errorf("this worker no longer owns the run (another worker took it over, or it ended): %w", ErrNotOwner)

// QueueStore is a Store that also keeps queued runs; both backends are one.
type QueueStore interface {
	Store
	QueueRun(ctx context.Context, r Run) error
	SetJob(ctx context.Context, runID string, jobID int64) error
	Job(ctx context.Context, runID string) (int64, string, error)
	Claim(ctx context.Context, runID, owner string, now, staleBefore time.Time) (string, error)
	Heartbeat(ctx context.Context, runID, owner string, now time.Time) (mine, cancel bool, err error)
	RequestCancel(ctx context.Context, runID string, now time.Time) error
	WorkerEvents(runID, owner, worker string) EventSink
	FinishOwned(ctx context.Context, owner string, runID string, status, msg string, end time.Time) (bool, error)
	CancelQueued(ctx context.Context, runID string, now time.Time) (bool, error)
	ClockSkew(ctx context.Context, local func() time.Time) (skew, uncertainty time.Duration, err error)
	Release(ctx context.Context, runID, owner string) error

	// A run spread over workers, one queue job per step (see steps.go).
	AddSteps(ctx context.Context, runID string, order []string, upstream map[string][]string) error
	ClaimStep(ctx context.Context, runID, node, owner, worker string, now, staleBefore time.Time) (string, error)
	StepHeartbeat(ctx context.Context, runID, node, owner string, now time.Time) (mine, cancel bool, err error)
	ReleaseStep(ctx context.Context, runID, node, owner string) error
	StepEvents(runID, node, owner, worker string) EventSink
	Advance(ctx context.Context, runID, worker string, now time.Time) (ready []string, err error)
	QueuedSteps(ctx context.Context, runID string) ([]string, error)
}

var _ QueueStore = (*Postgres)(nil)

// Release hands a run owner executes back to the queue (QUEUED), as a worker
// that stops does.
func (s *sqlStore) Release(ctx context.Context, runID, owner string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = 'QUEUED', owner = '', heartbeat_ns = NULL WHERE run_id = ? AND owner = ? AND status = 'STARTED'`),
		runID, owner)
	if err != nil {
		return s.fail(fmt.Errorf("release run: %w", err))
	}
	return nil
}
