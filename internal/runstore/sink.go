package runstore

import (
	"context"
	"encoding/json"
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
	// Set for queued runs: the worker named on each event; the run may have
	// events of an earlier worker already (seq continues after them); and a
	// step's end is written at once, so a worker killed after it does not
	// leave the step to be run again.
	worker    string
	continued bool
}

// Events returns a batching sink for the run.
func (s *sqlStore) Events(runID string) EventSink {
	b := &batchSink{store: s, runID: runID, ch: make(chan engine.Event, 4096), done: make(chan struct{})}
	go b.loop()
	return b
}

// WorkerEvents returns a sink for a queued run executed by a worker (host:pid).
func (s *sqlStore) WorkerEvents(runID, worker string) EventSink {
	b := &batchSink{store: s, runID: runID, ch: make(chan engine.Event, 4096), done: make(chan struct{}), worker: worker, continued: true}
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
			batch = append(batch, e)
			if len(batch) == batchSize || (b.continued && e.Type == engine.EventStepSuccess) {
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
	if !b.continued {
		return b.writeOnce(batch)
	}
	deadline := time.Now().Add(retryFor)
	for wait := 50 * time.Millisecond; ; wait = min(wait*2, 2*time.Second) {
		err := b.writeOnce(batch)
		if err == nil || time.Now().After(deadline) {
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
	if b.continued && seq == 0 {
		if err := tx.QueryRowContext(ctx, b.store.q(`SELECT COALESCE(max(seq), 0) FROM events WHERE run_id = ?`), b.runID).Scan(&seq); err != nil {
			return b.store.fail(err)
		}
	}
	stmt, err := tx.PrepareContext(ctx, b.store.q(`INSERT INTO events (run_id, seq, type, node, time_ns, attempt, dur_ns, error, stack, message, mat, worker)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return b.store.fail(err)
	}
	defer stmt.Close()
	for _, e := range batch {
		seq++
		var mat any
		if e.Materialization != nil {
			j, _ := json.Marshal(e.Materialization)
			mat = string(j)
		}
		if e.Check != nil { // the payload column holds a check evaluation for its event type
			j, _ := json.Marshal(e.Check)
			mat = string(j)
		}
		if _, err := stmt.ExecContext(ctx, b.runID, seq, string(e.Type), e.Node, e.Time.UnixNano(), e.Attempt,
			int64(e.Duration), e.Error, e.Stack, e.Message, mat, b.worker); err != nil {
			return b.store.fail(fmt.Errorf("record event: %w", err))
		}
	}
	if err := tx.Commit(); err != nil {
		return b.store.fail(err)
	}
	b.seq = seq
	return nil
}
