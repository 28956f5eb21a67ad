package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Runner executes plans.
//
// Contract:
//   - A node starts as soon as every upstream of it in the plan has succeeded, and
//     not before; nodes with no path between them run at once, so a slow node never
//     holds back an unrelated branch. Dispatch is not level by level.
//   - At most MaxConcurrency nodes run at once (0: no limit). Among ready nodes the
//     earliest in topological order goes first. A node waiting out its retry
//     backoff is not running: it gives its slot back and queues again when the
//     wait is over.
//   - A failed node marks every node downstream of it SKIPPED; independent nodes
//     run to the end. With FailFast the first failure cancels the run's context
//     instead, and nodes not yet started end CANCELED.
//   - A panic in Compute is that node's failure, with the stack in its event.
//   - Cancelling ctx (SIGINT in the CLI) cancels every running node's context; no
//     further node starts; the run ends CANCELED once running nodes return.
//   - Resources open lazily on first use, under the run's context (not the first
//     caller's, whose timeout must not fail the open for everyone), and are all
//     closed before Run returns. An input loaded through an I/O manager is loaded
//     once, likewise under the run's context.
//
// Cost: one scheduling loop, in the caller's goroutine, plus one goroutine per
// running node and one per node waiting out a retry backoff; no polling. Readiness is a counter of unfinished upstreams per node, owned by the
// scheduling goroutine alone. A Runner holds no run state and may run many plans.
type Runner struct {
	MaxConcurrency int
	FailFast       bool
	Events         EventSink       // nil: events are dropped
	Logger         *zerolog.Logger // for nodes' own log lines; nil: dropped
	RunID          string          // nil: a new random id per run
	Progress       Progress        // shows nodes' Context.Progress; nil: dropped
}

// NewRunID returns a random run id.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run is the state of one execution of a plan.
type run struct {
	id        string
	plan      *Plan
	sink      EventSink
	log       zerolog.Logger
	resources *resourceSet
	progress  Progress
	steps     []StepResult // index i written only by node i's worker before it reports
	outputs   []any        // likewise

	loadMu  sync.Mutex
	loaded  map[string]*loadedValue
	loadCtx context.Context // the run's context, for loads shared by nodes
	loading sync.WaitGroup  // loads in flight, waited for by release
}

type loadedValue struct {
	ready chan struct{} // closed once the load returned; value and err are then set
	value any
	err   error
}

// attemptDone is what a worker reports after one attempt of node: the node
// ended, or it failed and waits retryIn before its next attempt.
type attemptDone struct {
	node    int
	retry   bool
	retryIn time.Duration
}

// Run executes the plan and returns its result; result.Err() tells success.
func (r *Runner) Run(ctx context.Context, p *Plan) *RunResult {
	rn := &run{
		id: r.RunID, plan: p, sink: r.Events, resources: newResourceSet(p.resources), progress: r.Progress,
		steps: make([]StepResult, len(p.nodes)), outputs: make([]any, len(p.nodes)),
		loaded: map[string]*loadedValue{},
	}
	if rn.id == "" {
		rn.id = NewRunID()
	}
	if rn.sink == nil {
		rn.sink = discard{}
	}
	rn.log = zerolog.Nop()
	if r.Logger != nil {
		rn.log = *r.Logger
	}
	for i, n := range p.nodes {
		rn.steps[i] = StepResult{Node: n.name, Kind: n.kind}
	}

	start := time.Now()
	rn.emit(Event{Type: EventRunStart, Message: fmt.Sprintf("run %s: %d nodes", p.Name, len(p.nodes))})
	canceled := rn.schedule(ctx, r.MaxConcurrency, r.FailFast)

	res := &RunResult{RunID: rn.id, Name: p.Name, Start: start, Steps: rn.steps, Status: RunSuccess}
	for _, s := range rn.steps {
		if s.Status != StepSuccess && res.Status == RunSuccess {
			res.Status = RunFailure
		}
	}
	if canceled && res.Status != RunSuccess { // a cancel after every step succeeded changes nothing
		res.Status = RunCanceled
	}
	msg := rn.release()
	res.Duration = time.Since(start)
	end := Event{Type: EventRunSuccess, Duration: res.Duration, Message: msg}
	switch res.Status {
	case RunFailure:
		end.Type = EventRunFailure
		if err := res.Err(); err != nil {
			end.Error = err.Error()
		}
	case RunCanceled:
		end.Type = EventRunCanceled
	}
	rn.emit(end)
	return res
}

// schedule dispatches nodes until none is running or ready. It reports whether the
// caller's context was cancelled.
func (rn *run) schedule(ctx context.Context, limit int, failFast bool) (canceled bool) {
	nodes := rn.plan.nodes
	if limit <= 0 || limit > len(nodes) {
		limit = max(len(nodes), 1)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	rn.resources.openCtx, rn.loadCtx = runCtx, runCtx // set before any worker starts

	pending := make([]int, len(nodes))
	blocked := make([]bool, len(nodes)) // an upstream did not succeed
	var ready readyQueue
	for i, n := range nodes {
		pending[i] = n.nUp
		if n.nUp == 0 {
			ready.push(i)
		}
	}
	// Each node has at most one report outstanding, in done or in woken, so
	// neither channel ever blocks a sender.
	done := make(chan attemptDone, len(nodes))
	woken := make(chan int, len(nodes)) // a node whose retry backoff is over
	var g errgroup.Group
	inFlight, waiting, stopping := 0, 0, false
	outside := ctx.Done()

	// settle tells node i's children that it finished. Children of a node that
	// did not succeed can no longer run: they are skipped as soon as their last
	// upstream finishes, and so on downstream. Children of a cancelled node are
	// left to end CANCELED.
	var skipped []int
	settle := func(i int) {
		status := rn.steps[i].Status
		if status == StepCanceled {
			return
		}
		ok := status == StepSuccess
		for u := i; ; {
			for _, c := range nodes[u].children {
				if !ok {
					blocked[c] = true
				}
				if pending[c]--; pending[c] > 0 {
					continue
				}
				if !blocked[c] {
					ready.push(c)
					continue
				}
				rn.steps[c].Status = StepSkipped
				rn.emit(Event{Type: EventStepSkipped, Node: nodes[c].name, Message: "an upstream did not succeed"})
				skipped = append(skipped, c)
			}
			if len(skipped) == 0 {
				return
			}
			u, ok = skipped[len(skipped)-1], false
			skipped = skipped[:len(skipped)-1]
		}
	}

	for {
		for !stopping && inFlight < limit && len(ready) > 0 {
			i := ready.pop()
			inFlight++
			g.Go(func() error {
				done <- rn.execute(runCtx, i)
				return nil
			})
		}
		if inFlight == 0 && waiting == 0 {
			break
		}
		select {
		case d := <-done:
			inFlight--
			if d.retry {
				// The slot is free while the node waits; it queues again after.
				waiting++
				g.Go(func() error {
					sleep(runCtx, d.retryIn)
					woken <- d.node
					return nil
				})
				continue
			}
			i := d.node
			if rn.steps[i].Status == StepFailure && failFast && !stopping {
				stopping = true
				cancel()
			}
			settle(i)
		case i := <-woken:
			waiting--
			if stopping || runCtx.Err() != nil {
				rn.cancelStep(i)
				continue
			}
			ready.push(i)
		case <-outside:
			outside = nil
			stopping = true
			canceled = true
			cancel()
		}
	}
	_ = g.Wait()
	for i := range rn.steps {
		if rn.steps[i].Status == "" {
			rn.steps[i].Status = StepCanceled
			rn.emit(Event{Type: EventStepCanceled, Node: nodes[i].name, Message: "not started: the run was stopped"})
		}
	}
	return canceled || ctx.Err() != nil
}

// execute runs the next attempt of node i and records its result. A failed
// attempt with attempts left is reported as a retry with its backoff; the
// scheduler waits it out without holding a concurrency slot, then calls execute
// again. Step i is written only here and by cancelStep, never at the same time.
func (rn *run) execute(runCtx context.Context, i int) attemptDone {
	pn := rn.plan.nodes[i]
	step := &rn.steps[i]
	if step.Attempts == 0 {
		step.Start = time.Now()
		rn.emit(Event{Type: EventStepStart, Node: pn.name, Time: step.Start})
	}
	attempts := pn.retry.attempts()
	step.Attempts++
	a := step.Attempts
	value, m, err := rn.attempt(runCtx, pn, a)
	if err == nil {
		rn.outputs[i] = value
		step.Status, step.Duration, step.Materialization = StepSuccess, time.Since(step.Start), m
		rn.emit(Event{Type: EventStepSuccess, Node: pn.name, Attempt: a, Duration: step.Duration})
		return attemptDone{node: i}
	}
	step.Err = err
	if runCtx.Err() != nil {
		rn.cancelStep(i)
		return attemptDone{node: i}
	}
	if a >= attempts {
		step.Status, step.Duration = StepFailure, time.Since(step.Start)
		ev := Event{Type: EventStepFailure, Node: pn.name, Attempt: a, Duration: step.Duration, Error: err.Error()}
		var pe *PanicError
		if errors.As(err, &pe) {
			ev.Stack = pe.Stack
		}
		rn.emit(ev)
		return attemptDone{node: i}
	}
	wait := pn.retry.backoff(a)
	rn.emit(Event{Type: EventStepRetry, Node: pn.name, Attempt: a, Error: err.Error(),
		Message: fmt.Sprintf("attempt %d of %d failed; retrying in %s", a, attempts, wait.Round(time.Millisecond))})
	return attemptDone{node: i, retry: true, retryIn: wait}
}

// cancelStep ends a started node as CANCELED, keeping its last error.
func (rn *run) cancelStep(i int) {
	step := &rn.steps[i]
	step.Status, step.Duration = StepCanceled, time.Since(step.Start)
	ev := Event{Type: EventStepCanceled, Node: rn.plan.nodes[i].name, Attempt: step.Attempts, Duration: step.Duration}
	if step.Err != nil {
		ev.Error = step.Err.Error()
	}
	rn.emit(ev)
}

// attempt runs Compute once, under the node's timeout, and stores an asset's value
// through its I/O manager.
func (rn *run) attempt(runCtx context.Context, pn *planNode, attempt int) (any, *Materialization, error) {
	ctx := runCtx
	if pn.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(runCtx, pn.timeout)
		defer cancel()
	}
	start := time.Now()
	nc := &Context{Context: ctx, RunID: rn.id, Node: pn.name, Attempt: attempt,
		Log:    rn.log.With().Str("run_id", rn.id).Str("node", pn.name).Logger(),
		config: pn.config, resources: rn.resources, node: pn, run: rn}
	value, err := callCompute(nc, pn.compute)
	if err == nil && pn.kind == KindAsset && value != nil {
		var m *Materialization
		if m, err = rn.store(nc, pn, value); err == nil {
			rn.emit(Event{Type: EventMaterialization, Node: pn.name, Attempt: attempt,
				Duration: time.Since(start), Materialization: m})
			return value, m, nil
		}
		release(value)
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && runCtx.Err() == nil {
		err = fmt.Errorf("timed out after %s: %w", pn.timeout, err)
	}
	return value, nil, err
}

// store hands an asset's value to its I/O manager.
func (rn *run) store(nc *Context, pn *planNode, value any) (*Materialization, error) {
	iom, err := rn.ioManager(nc, pn.ioManager)
	if err != nil {
		return nil, err
	}
	m, err := iom.Store(nc, pn.name, value)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", pn.name, err)
	}
	m.CodeVersion = pn.version
	nc.mu.Lock()
	if len(nc.metadata) > 0 && m.Metadata == nil {
		m.Metadata = make(map[string]any, len(nc.metadata))
	}
	for k, v := range nc.metadata {
		m.Metadata[k] = v
	}
	nc.mu.Unlock()
	return &m, nil
}

func (rn *run) ioManager(ctx context.Context, key string) (IOManager, error) {
	v, err := rn.resources.get(ctx, key)
	if err != nil {
		return nil, err
	}
	iom, ok := v.(IOManager)
	if !ok {
		return nil, fmt.Errorf("resource %s is a %T, not an I/O manager", key, v)
	}
	return iom, nil
}

// inputValue returns an input's value: the upstream's output in this run, or what
// its I/O manager loads (once per run, shared by every node that needs it). An
// output its I/O manager computed is loaded too.
func (rn *run) inputValue(c *Context, in planInput) (any, error) {
	if in.upstream >= 0 {
		v := rn.outputs[in.upstream]
		if _, computed := v.(ComputedByIOManager); !computed {
			return v, nil
		}
	}
	rn.loadMu.Lock()
	lv := rn.loaded[in.from]
	if lv == nil {
		lv = &loadedValue{ready: make(chan struct{})}
		rn.loaded[in.from] = lv
		rn.loading.Add(1)
		// Loaded under the run's context: the value is shared, so one node's
		// timeout must not become every node's load error.
		go func(ctx context.Context) {
			defer rn.loading.Done()
			defer close(lv.ready)
			iom, err := rn.ioManager(ctx, in.ioManager)
			if err != nil {
				lv.err = err
				return
			}
			lv.value, lv.err = iom.Load(ctx, in.from)
			if lv.err != nil {
				lv.err = fmt.Errorf("load %s: %w", in.from, lv.err)
			}
		}(rn.loadCtx)
	}
	rn.loadMu.Unlock()
	select {
	case <-lv.ready:
		return lv.value, lv.err
	default:
	}
	select {
	case <-lv.ready:
		return lv.value, lv.err
	case <-c.Done():
		return nil, c.Err()
	}
}

// release frees every value the run holds and closes its resources. It returns a
// message describing close failures, if any.
func (rn *run) release() string {
	rn.loading.Wait()
	for i, v := range rn.outputs {
		release(v)
		rn.outputs[i] = nil
	}
	for _, lv := range rn.loaded {
		release(lv.value)
	}
	if err := rn.resources.close(); err != nil {
		rn.log.Warn().Err(err).Str("run_id", rn.id).Msg("closing resources")
		return err.Error()
	}
	return ""
}

func release(v any) {
	if r, ok := v.(interface{ Release() }); ok {
		r.Release()
	}
}

func (rn *run) emit(e Event) {
	e.RunID = rn.id
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	rn.sink.Emit(e)
}
