package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// A run spread over workers keeps one row per step in the steps table. The
// row is the step's truth: PENDING until its upstreams succeed, QUEUED once a
// queue job carries it, RUNNING while a worker execution (owner) holds it and
// beats its heartbeat, then how it ended. Every change is made under a lock on
// the run (a transaction that holds its row), so two workers that finish two
// upstreams of one step at once queue it once, and a step's end is recorded
// only by the execution that owns it.

// Step states besides the engine's ends (SUCCESS, FAILURE, SKIPPED, CANCELED).
const (
	StepPending = "PENDING"
	StepQueued  = "QUEUED"
	StepRunning = "RUNNING"
)

// DistributedOwner marks, in a run's owner column, a run whose steps are
// spread over workers rather than executed by one.
const DistributedOwner = "steps"

// ErrNotOwner is a write refused because this execution no longer owns the
// step: another worker took it over after its heartbeat went stale, or the
// run ended. The execution stops; what it did is not recorded.
var ErrNotOwner = errors.New("this worker no longer owns the step (another worker took it over, or the run ended)")

// AddSteps records a queued run's steps, in plan order, with the steps each
// waits for, all PENDING, and marks the run as spread over workers.
func (s *sqlStore) AddSteps(ctx context.Context, runID string, order []string, upstream map[string][]string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO steps (run_id, node, position, upstream, state) VALUES (?, ?, ?, ?, 'PENDING')`))
	if err != nil {
		return s.fail(err)
	}
	defer stmt.Close()
	for i, node := range order {
		ups, _ := json.Marshal(upstream[node])
		if _, err := stmt.ExecContext(ctx, runID, node, i, string(ups)); err != nil {
			return s.fail(fmt.Errorf("record step %s: %w", node, err))
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET owner = ? WHERE run_id = ?`), DistributedOwner, runID); err != nil {
		return s.fail(err)
	}
	if err := tx.Commit(); err != nil {
		return s.fail(err)
	}
	return nil
}

// lockRun holds a run's row until the transaction ends, and returns its
// status, owner and whether run cancel asked for it to stop. On SQLite every
// write transaction already holds the whole database (BEGIN IMMEDIATE).
func (s *sqlStore) lockRun(ctx context.Context, tx *sql.Tx, runID string) (status, owner string, cancelled bool, err error) {
	query := `SELECT status, owner, cancel_ns FROM runs WHERE run_id = ?`
	if s.postgres {
		query += ` FOR UPDATE`
	}
	var cancelNS sql.NullInt64
	if err := tx.QueryRowContext(ctx, s.q(query), runID).Scan(&status, &owner, &cancelNS); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", "", false, fmt.Errorf("no run %q in %s", runID, s.where)
		}
		return "", "", false, s.fail(err)
	}
	return status, owner, cancelNS.Valid, nil
}

// lastSeq is a run's last event position, read under the run's lock.
func (s *sqlStore) lastSeq(ctx context.Context, tx *sql.Tx, runID string) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(max(seq), 0) FROM events WHERE run_id = ?`), runID).Scan(&seq); err != nil {
		return 0, s.fail(err)
	}
	return seq, nil
}

func runEnded(status string) bool { return status != "QUEUED" && status != "STARTED" }

// ClaimStep makes owner the execution of a step: if it is QUEUED, or RUNNING
// under an owner whose heartbeat is older than staleBefore. It returns
// Claimed, Busy (another live execution has it, or it is not ready) or
// Finished (the step or the run has ended; a step of a cancelled run ends
// here as CANCELED). The first claim of a run starts it.
func (s *sqlStore) ClaimStep(ctx context.Context, runID, node, owner, worker string, now, staleBefore time.Time) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", s.fail(err)
	}
	defer tx.Rollback()
	status, _, cancelled, err := s.lockRun(ctx, tx, runID)
	if err != nil {
		return "", err
	}
	if runEnded(status) {
		return Finished, nil
	}
	var state string
	var beat sql.NullInt64
	err = tx.QueryRowContext(ctx, s.q(`SELECT state, heartbeat_ns FROM steps WHERE run_id = ? AND node = ?`), runID, node).Scan(&state, &beat)
	if err != nil {
		return "", s.fail(fmt.Errorf("step %s: %w", node, err))
	}
	var events []engine.Event
	outcome := Busy
	switch {
	case cancelled && state == StepQueued:
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE steps SET state = 'CANCELED' WHERE run_id = ? AND node = ?`), runID, node); err != nil {
			return "", s.fail(err)
		}
		events = append(events, engine.Event{Type: engine.EventStepCanceled, Node: node, Time: now, Error: "run cancelled before the step started"})
		outcome = Finished
	case state == StepQueued || (state == StepRunning && (!beat.Valid || beat.Int64 < staleBefore.UnixNano())):
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE steps SET state = 'RUNNING', owner = ?, heartbeat_ns = ? WHERE run_id = ? AND node = ?`),
			owner, now.UnixNano(), runID, node); err != nil {
			return "", s.fail(err)
		}
		if status == "QUEUED" {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET status = 'STARTED', started_ns = ? WHERE run_id = ?`), now.UnixNano(), runID); err != nil {
				return "", s.fail(err)
			}
			events = append(events, engine.Event{Type: engine.EventRunStart, Time: now, Message: "run started on the workers, one step at a time"})
		}
		outcome = Claimed
	case state == StepRunning, state == StepPending:
		return Busy, nil
	default:
		return Finished, nil
	}
	if len(events) > 0 {
		seq, err := s.lastSeq(ctx, tx, runID)
		if err != nil {
			return "", err
		}
		if _, err := s.insertEvents(ctx, tx, runID, seq, worker, events); err != nil {
			return "", err
		}
	}
	if err := tx.Commit(); err != nil {
		return "", s.fail(err)
	}
	return outcome, nil
}

// StepHeartbeat records that owner still executes the step. mine is false
// once it does not (taken over, or ended); cancel is true once run cancel
// asked for the run to stop.
func (s *sqlStore) StepHeartbeat(ctx context.Context, runID, node, owner string, now time.Time) (mine, cancel bool, err error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE steps SET heartbeat_ns = ? WHERE run_id = ? AND node = ? AND owner = ? AND state = 'RUNNING'`),
		now.UnixNano(), runID, node, owner)
	if err != nil {
		return false, false, s.fail(fmt.Errorf("step heartbeat: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, false, nil
	}
	var cancelNS sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT cancel_ns FROM runs WHERE run_id = ?`), runID).Scan(&cancelNS); err != nil {
		return true, false, s.fail(err)
	}
	return true, cancelNS.Valid, nil
}

// ReleaseStep hands a step owner executes back to the queue, as a worker that
// stops does.
func (s *sqlStore) ReleaseStep(ctx context.Context, runID, node, owner string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE steps SET state = 'QUEUED', owner = '', heartbeat_ns = NULL
		WHERE run_id = ? AND node = ? AND owner = ? AND state = 'RUNNING'`), runID, node, owner)
	if err != nil {
		return s.fail(fmt.Errorf("release step: %w", err))
	}
	return nil
}

// StepEvents returns the sink of one step's execution by owner on worker
// (host:pid). It writes only while owner holds the step (ErrNotOwner
// otherwise), drops the run-level events of the step's own one-node run, and
// records the step's end in the same transaction as its end event.
func (s *sqlStore) StepEvents(runID, node, owner, worker string) EventSink {
	b := &batchSink{store: s, runID: runID, ch: make(chan engine.Event, 4096), done: make(chan struct{}),
		worker: worker, step: &stepFence{node: node, owner: owner}}
	go b.loop()
	return b
}

// stepFence is the step and execution a sink writes for.
type stepFence struct{ node, owner string }

// check locks the run and refuses the write unless the execution owns the
// step.
func (f *stepFence) check(ctx context.Context, s *sqlStore, tx *sql.Tx, runID string) error {
	if _, _, _, err := s.lockRun(ctx, tx, runID); err != nil {
		return err
	}
	var state, owner string
	err := tx.QueryRowContext(ctx, s.q(`SELECT state, owner FROM steps WHERE run_id = ? AND node = ?`), runID, f.node).Scan(&state, &owner)
	if err != nil {
		return s.fail(fmt.Errorf("step %s: %w", f.node, err))
	}
	if state != StepRunning || owner != f.owner {
		return fmt.Errorf("step %s of run %s: %w", f.node, runID, ErrNotOwner)
	}
	return nil
}

// record sets the step's state from an end event of the batch.
func (f *stepFence) record(ctx context.Context, s *sqlStore, tx *sql.Tx, runID string, batch []engine.Event) error {
	for _, e := range batch {
		if e.Node != f.node || !isStepEnd(e.Type) {
			continue
		}
		state := strings.TrimPrefix(string(e.Type), "STEP_")
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE steps SET state = ?, heartbeat_ns = NULL WHERE run_id = ? AND node = ? AND owner = ?`),
			state, runID, f.node, f.owner); err != nil {
			return s.fail(err)
		}
	}
	return nil
}

func isRunEvent(t engine.EventType) bool {
	switch t {
	case engine.EventRunStart, engine.EventRunSuccess, engine.EventRunFailure, engine.EventRunCanceled:
		return true
	}
	return false
}

func isStepEnd(t engine.EventType) bool {
	switch t {
	case engine.EventStepSuccess, engine.EventStepFailure, engine.EventStepSkipped, engine.EventStepCanceled:
		return true
	}
	return false
}

// Advance moves a run spread over workers on after a step ended: steps whose
// upstreams all succeeded become QUEUED and are returned, for the caller to
// put on the queue; steps after one that did not succeed are SKIPPED; after
// run cancel, steps not begun are CANCELED. Once every step has ended, the run
// ends: SUCCESS, FAILURE naming the failed steps, or CANCELED. worker is
// recorded on the events it writes.
func (s *sqlStore) Advance(ctx context.Context, runID, worker string, now time.Time) (ready []string, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.fail(err)
	}
	defer tx.Rollback()
	status, _, cancelled, err := s.lockRun(ctx, tx, runID)
	if err != nil || runEnded(status) {
		return nil, err
	}
	type step struct {
		node, state string
		upstream    []string
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT node, state, upstream FROM steps WHERE run_id = ? ORDER BY position`), runID)
	if err != nil {
		return nil, s.fail(err)
	}
	var steps []step
	for rows.Next() {
		var st step
		var ups string
		if err := rows.Scan(&st.node, &st.state, &ups); err != nil {
			rows.Close()
			return nil, s.fail(err)
		}
		_ = json.Unmarshal([]byte(ups), &st.upstream)
		steps = append(steps, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("run %s has no steps recorded in %s", runID, s.where)
	}
	state := make(map[string]string, len(steps))
	for _, st := range steps {
		state[st.node] = st.state
	}
	var events []engine.Event
	set := func(node, to string) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE steps SET state = ? WHERE run_id = ? AND node = ? AND state = ?`), to, runID, node, state[node])
		state[node] = to
		return err
	}
	for _, st := range steps { // plan order: an upstream's new state is known before its children
		switch {
		case cancelled && (st.state == StepPending || st.state == StepQueued):
			events = append(events, engine.Event{Type: engine.EventStepCanceled, Node: st.node, Time: now, Error: "run cancelled before the step started"})
			err = set(st.node, string(engine.StepCanceled))
		case st.state != StepPending:
			continue
		default:
			blocked, waiting := "", false
			for _, up := range st.upstream {
				switch state[up] {
				case string(engine.StepSuccess):
				case string(engine.StepFailure), string(engine.StepSkipped), string(engine.StepCanceled):
					blocked = up
				default:
					waiting = true
				}
			}
			switch {
			case blocked != "":
				events = append(events, engine.Event{Type: engine.EventStepSkipped, Node: st.node, Time: now,
					Message: "skipped: upstream " + blocked + " did not succeed"})
				err = set(st.node, string(engine.StepSkipped))
			case !waiting:
				ready = append(ready, st.node)
				err = set(st.node, StepQueued)
			}
		}
		if err != nil {
			return nil, s.fail(err)
		}
	}
	end, failed := "", []string{}
	done := true
	for _, st := range steps {
		switch state[st.node] {
		case StepPending, StepQueued, StepRunning:
			done = false
		case string(engine.StepFailure):
			failed = append(failed, st.node)
		}
	}
	var runErr string
	if done {
		switch {
		case cancelled:
			end, runErr = string(engine.RunCanceled), fmt.Sprintf("run %s canceled", runID)
		case len(failed) > 0:
			end, runErr = string(engine.RunFailure), s.failures(ctx, tx, runID, failed)
		default:
			end = string(engine.RunSuccess)
		}
		events = append(events, engine.Event{Type: engine.EventType("RUN_" + end), Time: now, Error: runErr})
	}
	if len(events) > 0 {
		seq, err := s.lastSeq(ctx, tx, runID)
		if err != nil {
			return nil, err
		}
		if _, err := s.insertEvents(ctx, tx, runID, seq, worker, events); err != nil {
			return nil, err
		}
	}
	if done {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, error = ?, ended_ns = ? WHERE run_id = ?`),
			end, runErr, now.UnixNano(), runID); err != nil {
			return nil, s.fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.fail(err)
	}
	return ready, nil
}

// failures words a failed run's error as the engine does: each failed step
// with the error of its last failure.
func (s *sqlStore) failures(ctx context.Context, tx *sql.Tx, runID string, failed []string) string {
	parts := make([]string, 0, len(failed))
	for _, node := range failed {
		var msg string
		_ = tx.QueryRowContext(ctx, s.q(`SELECT error FROM events WHERE run_id = ? AND node = ? AND type = 'STEP_FAILURE' ORDER BY seq DESC LIMIT 1`),
			runID, node).Scan(&msg)
		parts = append(parts, node+": "+msg)
	}
	return fmt.Sprintf("run %s failed: %s", runID, strings.Join(parts, "; "))
}

// QueuedSteps returns the steps of a run that wait on the queue: what a
// worker puts on it again when it cannot tell whether an earlier one did.
func (s *sqlStore) QueuedSteps(ctx context.Context, runID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT node FROM steps WHERE run_id = ? AND state = 'QUEUED' ORDER BY position`), runID)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var node string
		if err := rows.Scan(&node); err != nil {
			return nil, s.fail(err)
		}
		out = append(out, node)
	}
	return out, rows.Err()
}
