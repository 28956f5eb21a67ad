package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// Executor plans and executes a queued run exactly as the command line does,
// sending its events to events. nodes is nil for the whole run, or the steps
// left when a worker continues a run another worker began. An error means the
// run could not be planned (the definitions changed, a bad config).
type Executor func(ctx context.Context, args RunArgs, nodes []string, events engine.EventSink) (*engine.RunResult, error)

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	exec     Executor
	store    runstore.QueueStore
	cfg      WorkerConfig
	stopping atomic.Bool
	stop     chan struct{} // closed when the worker stops
}

// Worker names this process in run history: host:pid.
func Worker() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

func newOwner() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return Worker() + ":" + hex.EncodeToString(b)
}

// Work executes one queued run: claim it, keep its heartbeat, run the steps
// that have not succeeded, record the end. A run another live worker executes
// is snoozed; a run that has ended is done.
func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	a := job.Args
	owner := newOwner()
	stale := w.cfg.staleAfter()
	now := time.Now()
	state, err := w.store.Claim(ctx, a.RunID, owner, now, now.Add(-stale))
	if err != nil {
		return err
	}
	switch state {
	case runstore.Finished:
		return nil
	case runstore.Busy:
		return river.JobSnooze(stale)
	}
	d, err := w.store.Run(ctx, a.RunID)
	if err != nil {
		return w.release(ctx, a.RunID, owner, err)
	}
	var nodes []string // nil: the whole run
	remaining := d.Remaining()
	if len(remaining) < len(d.Steps) {
		nodes = remaining // a run begun by a worker that died
	}
	runCtx, cancel, wg := outlive(ctx, w.stop)
	wg.Add(1)
	go func() {
		defer wg.Done()
		heartbeat(runCtx, w.cfg.Heartbeat, cancel, a.RunID, fmt.Errorf("run %s was taken over by another worker", a.RunID),
			func(ctx context.Context, now time.Time) (bool, bool, error) {
				return w.store.Heartbeat(ctx, a.RunID, owner, now)
			})
	}()
	var res *engine.RunResult
	if len(remaining) == 0 {
		// Its worker died after the last step succeeded, before recording
		// the end: nothing is left to run. (Remaining is nil then: running
		// "nodes" would run the whole run again.)
		res = &engine.RunResult{RunID: a.RunID, Status: engine.RunSuccess}
	} else {
		sink := w.store.WorkerEvents(a.RunID, owner, Worker())
		res, err = w.exec(runCtx, a, nodes, sink)
		err = errors.Join(err, sink.Close())
	}
	cancel(nil)
	wg.Wait()
	end := context.WithoutCancel(ctx)
	if w.stopping.Load() {
		// This worker is shutting down: hand the run back for another.
		return w.release(end, a.RunID, owner, errors.New("worker stopped"))
	}
	status, msg := "FAILURE", ""
	switch {
	case res == nil:
		msg = err.Error()
	default:
		status = string(res.Status)
		if rerr := res.Err(); rerr != nil {
			msg = rerr.Error()
		}
	}
	if _, ferr := w.store.FinishOwned(end, owner, a.RunID, status, msg, time.Now()); ferr != nil {
		return ferr // River retries; the next attempt finds what succeeded
	}
	return nil
}

// outlive returns the context a job's work runs under. River's job timeout
// (RescueAfter) only makes the job eligible for rescue, so the work goes on
// past it for as long as it takes; cancellation (run cancel, through River)
// and the worker stopping still end it, as does the returned cancel. Wait for
// the returned group after cancel: it ends the watcher, and any goroutine the
// caller adds to it.
func outlive(ctx context.Context, stop <-chan struct{}) (context.Context, context.CancelCauseFunc, *sync.WaitGroup) {
	workCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	wg := &sync.WaitGroup{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				cancel(context.Cause(ctx))
				return
			}
			select { // past River's timeout: only a stop or the work's end
			case <-stop:
				cancel(errors.New("worker stopped"))
			case <-workCtx.Done():
			}
		case <-stop:
			cancel(errors.New("worker stopped"))
		case <-workCtx.Done():
		}
	}()
	return workCtx, cancel, wg
}

// Timeout is how long an attempt may run before River's rescuer may hand the
// job to another worker (which takes the run over only if its heartbeat is
// stale). It does not stop the run.
func (w *runWorker) Timeout(*river.Job[RunArgs]) time.Duration { return w.cfg.RescueAfter }

// release puts a run this worker claimed back to QUEUED and returns err, so
// River retries the job.
func (w *runWorker) release(ctx context.Context, runID, owner string, err error) error {
	return errors.Join(err, w.store.Release(ctx, runID, owner))
}

// heartbeat writes a heartbeat every beat until ctx ends, through write,
// which reports whether this execution still holds what it beats for and
// whether run cancel asked to stop. When it no longer holds it (another
// worker took it over), cancel ends the execution with takenOver; after run
// cancel, with that. An unreachable instance is tried again at the next beat.
func heartbeat(ctx context.Context, every time.Duration, cancel context.CancelCauseFunc, runID string, takenOver error,
	write func(ctx context.Context, now time.Time) (mine, cancelled bool, err error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			mine, cancelled, err := write(ctx, time.Now())
			switch {
			case err != nil:
			case !mine:
				cancel(takenOver)
				return
			case cancelled:
				cancel(fmt.Errorf("run %s was cancelled (run cancel)", runID))
				return
			}
		}
	}
}
