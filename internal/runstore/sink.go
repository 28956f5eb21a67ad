package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// flushEvery bounds how long an event waits in memory: a crash loses at most
// the events of the last flushEvery.
const (
	flushEvery = 200 * time.Millisecond
	batchSize  = 512
)

// batchSink buffers a run's events and writes them in one transaction per
// batch, from one goroutine.
type batchSink struct {
	store *sqlStore
	runID string
	ch    chan engine.Event
	done  chan struct{}
	once  sync.Once
	err   error
	seq   int64
	// Set for queued runs: the worker named on each event.
	worker string
	// Set for one step of a run spread over workers: events are written only
	// while this execution owns the step (see StepEvents).
	step *stepFence
	// Set for a queued run executed whole: events are written only while this
	// execution owns the run (see WorkerEvents).
	runOwner string
}

// shared reports whether other workers write the run's events too (a queued
// run, whole or step by step): each write then numbers after what is there,
// under the run's lock, and a step's end is written at once, so a worker
// killed after it does not leave the step to be run again.
func (b *batchSink) shared() bool { return b.runOwner != "" || b.step != nil }

// Events returns a batching sink for the run.
func (s *sqlStore) Events(runID string) EventSink {
	b := &batchSink{store: s, runID: runID, ch: make(chan engine.Event, 4096), done: make(chan struct{})}
	go b.loop()
	return b
}

// WorkerEvents returns a sink for a queued run that owner, a worker's
// execution of it on worker (host:pid), runs. It writes only while owner holds
// the run (ErrNotOwner otherwise): a worker whose run was taken over after its
// heartbeat went stale (it was starved of CPU, or cut off) cannot record a
// step's success the new owner runs again.
func (s *sqlStore) WorkerEvents(runID, owner, worker string) EventSink {
	b := &batchSink{store: s, runID: runID, ch: make(chan engine.Event, 4096), done: make(chan struct{}), worker: worker,
		runOwner: owner}
	go b.loop()
	return b
}

// Emit queues the event; it blocks only while the queue is full.
func (b *batchSink) Emit(e engine.Event) { b.ch <- e }

// Close writes what is queued and stops the writer.
func (b *batchSink) Close() error {
	b.once.Do(func() { close(b.ch) })
	<-b.done
	return b.err
}

func (b *batchSink) loop() {
	defer close(b.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	batch := make([]engine.Event, 0, batchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := b.write(batch); err != nil && b.err == nil {
			b.err = err
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-b.ch:
			if !ok {
				flush()
				return
			}
			if b.step != nil && isRunEvent(e.Type) {
				continue // the step's own one-node run; the run's events are the store's
			}
			batch = append(batch, e)
			if len(batch) == batchSize || (b.shared() && e.Type == engine.EventStepSuccess) {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// write records a batch in one transaction. A worker's sink retries a
// failed write for up to retryFor (the instance restarting, a network
// blip), since its events are how another worker knows what succeeded.
func (b *batchSink) write(batch []engine.Event) error {
	if !b.shared() {
		return b.writeOnce(batch)
	}
	deadline := time.Now().Add(retryFor)
	for wait := 50 * time.Millisecond; ; wait = min(wait*2, 2*time.Second) {
		err := b.writeOnce(batch)
		if err == nil || errors.Is(err, ErrNotOwner) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// retryFor bounds how long a worker's sink retries a write.
const retryFor = time.Minute

func (b *batchSink) writeOnce(batch []engine.Event) error {
	ctx := context.Background()
	tx, err := b.store.db.BeginTx(ctx, nil)
	if err != nil {
		return b.store.fail(err)
	}
	defer tx.Rollback()
	seq := b.seq
	if b.runOwner != "" {
		if err := b.store.ownsRun(ctx, tx, b.runID, b.runOwner); err != nil {
			return err
		}
	}
	if b.step != nil {
		if err := b.step.check(ctx, b.store, tx, b.runID); err != nil {
			return err
		}
	}
	if b.shared() { // held by the check above: number after what other workers wrote
		if seq, err = b.store.lastSeq(ctx, tx, b.runID); err != nil {
			return err
		}
	}
	seq, err = b.store.insertEvents(ctx, tx, b.runID, seq, b.worker, batch)
	if err != nil {
		return err
	}
	if b.step != nil {
		if err := b.step.record(ctx, b.store, tx, b.runID, batch); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return b.store.fail(err)
	}
	b.seq = seq
	return nil
}

// insertEvents appends events to a run's log after position seq, as written
// by worker ("" in process), and returns the last position.
func (s *sqlStore) insertEvents(ctx context.Context, tx *sql.Tx, runID string, seq int64, worker string, events []engine.Event) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO events (run_id, seq, type, node, time_ns, attempt, dur_ns, error, stack, message, mat, worker)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return 0, s.fail(err)
	}
	defer stmt.Close()
	for _, e := range events {
		seq++
		var payload any
		if e.Materialization != nil {
			j, _ := json.Marshal(e.Materialization)
			payload = string(j)
		}
		if e.Check != nil { // the payload column holds a check evaluation for its event type
			j, _ := json.Marshal(e.Check)
			payload = string(j)
		}
		if _, err := stmt.ExecContext(ctx, runID, seq, string(e.Type), e.Node, e.Time.UnixNano(), e.Attempt,
			int64(e.Duration), e.Error, e.Stack, e.Message, payload, worker); err != nil {
			return 0, s.fail(fmt.Errorf("record event: %w", err))
		}
	}
	return seq, nil
}
