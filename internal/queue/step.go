package queue

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// StepArgs is one step of a run spread over workers. It carries the run's
// arguments, so any worker can plan the run and take the step out of it.
// River keeps one job per run and step (the unique fields), so two workers
// that queue the same step at once queue it once.
type StepArgs struct {
	Run  RunArgs `json:"run"`
	Key  string  `json:"key" river:"unique"` // run id and node
	Node string  `json:"node"`
}

// Kind names the job kind in River.
func (StepArgs) Kind() string { return "assetflow_step" }

// InsertOpts makes a step's job unique per run and step, with many attempts:
// an attempt ends early only when its worker dies or stops.
func (StepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// NewStepArgs is the job of one step of the run a.
func NewStepArgs(a RunArgs, node string) StepArgs {
	return StepArgs{Run: a, Key: a.RunID + "/" + node, Node: node}
}

// EnqueueSteps puts steps of a run on its queue. A step already there is
// left as it is. It returns the id of the first step's job.
func (q *Queue) EnqueueSteps(ctx context.Context, a RunArgs, nodes []string) (int64, error) {
	if len(nodes) == 0 {
		return 0, nil
	}
	c, err := q.insertClient()
	if err != nil {
		return 0, err
	}
	params := make([]river.InsertManyParams, len(nodes))
	for i, node := range nodes {
		opts := StepArgs{}.InsertOpts()
		opts.Queue = a.Queue
		params[i] = river.InsertManyParams{Args: NewStepArgs(a, node), InsertOpts: &opts}
	}
	res, err := c.InsertMany(ctx, params)
	if err != nil {
		return 0, fmt.Errorf("instance %s: queue steps: %w", q.where, err)
	}
	return res[0].Job.ID, nil
}

// StepExecutor runs one step of a queued run in this process, exactly as the
// command line would run it within the whole run, its inputs loaded through
// their I/O managers, sending its events to events. An error means the step
// could not be planned (the definitions changed, a worker that cannot reach
// the run's warehouse).
type StepExecutor func(ctx context.Context, args RunArgs, node string, events engine.EventSink) (*engine.RunResult, error)

type stepWorker struct {
	river.WorkerDefaults[StepArgs]
	exec     StepExecutor
	store    runstore.QueueStore
	queue    *Queue
	cfg      WorkerConfig
	stopping atomic.Bool
	stop     chan struct{} // closed when the worker stops
}

// Work executes one step: claim it, beat its heartbeat, run it, and move the
// run on (queue the steps it unblocked, end the run after its last step).
func (w *stepWorker) Work(ctx context.Context, job *river.Job[StepArgs]) error {
	a, node := job.Args.Run, job.Args.Node
	a.Queue = job.Queue // the steps it unblocks go on the same queue
	owner, worker := newOwner(), Worker()
	stale := w.cfg.staleAfter()
	now := time.Now()
	state, err := w.store.ClaimStep(ctx, a.RunID, node, owner, worker, now, now.Add(-stale))
	if err != nil {
		return err
	}
	switch state {
	case runstore.Busy:
		return river.JobSnooze(stale)
	case runstore.Finished:
		// This job may be the retry of one whose worker died after the step
		// ended but before it queued what came next: queue it now.
		return w.advance(ctx, a, true)
	}
	runCtx, cancel, wg := outlive(ctx, w.stop)
	wg.Add(1)
	go func() {
		defer wg.Done()
		heartbeat(runCtx, w.cfg.Heartbeat, cancel, a.RunID, fmt.Errorf("step %s of run %s was taken over by another worker", node, a.RunID),
			func(ctx context.Context, now time.Time) (bool, bool, error) {
				return w.store.StepHeartbeat(ctx, a.RunID, node, owner, now)
			})
	}()
	sink := w.store.StepEvents(a.RunID, node, owner, worker)
	res, err := w.exec(runCtx, a, node, handBack{sink, &w.stopping})
	if err != nil { // not planned: the step fails with the reason
		sink.Emit(engine.Event{RunID: a.RunID, Type: engine.EventStepFailure, Node: node, Time: time.Now(), Attempt: 1, Error: err.Error()})
	} else if res != nil && len(res.Steps) == 0 {
		sink.Emit(engine.Event{RunID: a.RunID, Type: engine.EventStepFailure, Node: node, Time: time.Now(), Attempt: 1, Error: "the step did not run"})
	}
	closeErr := sink.Close()
	cancel(nil)
	wg.Wait()
	end := context.WithoutCancel(ctx)
	if w.stopping.Load() {
		// This worker is shutting down: hand the step back for another.
		return errors.Join(errors.New("worker stopped"), w.store.ReleaseStep(end, a.RunID, node, owner))
	}
	if errors.Is(closeErr, runstore.ErrNotOwner) {
		if w.cfg.Logger != nil {
			w.cfg.Logger.Warn("step taken over by another worker: what this worker did of it is not recorded", "run_id", a.RunID, "step", node)
		}
		return nil // another worker took the step over; it moves the run on
	}
	if closeErr != nil {
		return closeErr // River retries; the claim finds the step as it was left
	}
	return w.advance(end, a, false)
}

// handBack drops the end a step's execution records when its worker stops:
// the step is handed back to the queue, not cancelled.
type handBack struct {
	engine.EventSink
	stopping *atomic.Bool
}

// Emit passes the event on, unless it ends a step cut short by the worker
// stopping.
func (h handBack) Emit(e engine.Event) {
	if e.Type == engine.EventStepCanceled && h.stopping.Load() {
		return
	}
	h.EventSink.Emit(e)
}

// advance moves the run on and queues the steps that became ready; with all,
// every step still waiting on the queue is queued again (River keeps one job
// per step, so what is there stays as it is).
func (w *stepWorker) advance(ctx context.Context, a RunArgs, all bool) error {
	ready, err := w.store.Advance(ctx, a.RunID, Worker(), time.Now())
	if err != nil {
		return err
	}
	if all {
		if ready, err = w.store.QueuedSteps(ctx, a.RunID); err != nil {
			return err
		}
	}
	_, err = w.queue.EnqueueSteps(ctx, a, ready)
	return err
}

// Timeout is how long an attempt may run before River's rescuer may hand the
// job to another worker (which takes the step over only if its heartbeat is
// stale). It does not stop the step.
func (w *stepWorker) Timeout(*river.Job[StepArgs]) time.Duration { return w.cfg.RescueAfter }
