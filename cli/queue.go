package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/queue"
	"github.com/assetflow/assetflow/internal/runstore"
)

// openQueue opens the instance's run store and queue.
func (c *cli) openQueue(ctx context.Context) (runstore.QueueStore, *queue.Queue, error) {
	inst, err := c.instance()
	if err != nil {
		return nil, nil, err
	}
	return inst.OpenQueue(ctx)
}

// queueName is the River queue of an environment's runs: a worker executes
// only the runs of the environment it was started in.
func queueName(env string) string { return "env_" + env }

// enqueue records a run as QUEUED, puts it on the queue and prints its id.
func (c *cli) enqueue(ctx context.Context, l *loaded, p plannedRun, flags runFlags, kind string) error {
	qr := queuedRun{plan: p.plan, rc: p.rc, maxConcurrency: flags.maxConcurrency, failFast: flags.failFast,
		kind: kind, selection: p.selection, steps: flags.distribute == distributeSteps}
	if qr.steps {
		if err := p.plan.StepsCanRunApart(); err != nil {
			return err
		}
		if l.spec.Backend == "" {
			return engine.Usagef("--distribute steps: this project binds no warehouse (resources.Warehouse), so its steps could not pass data between workers; queue the run whole")
		}
	}
	store, q, err := c.openQueue(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	defer q.Close()
	runID := engine.NewRunID()
	if err := queueRun(ctx, store, q, l, qr, runID); err != nil {
		return err
	}
	c.printf("%s\n", runID)
	return nil
}

// Values of --distribute.
const (
	distributeRun   = "run"
	distributeSteps = "steps"
)

// queuedRun is a planned run to queue, with how the command line asked for it.
type queuedRun struct {
	plan            *engine.Plan
	rc              engine.RunConfig
	maxConcurrency  int
	failFast        bool
	kind, selection string
	steps           bool // one queue job per step, over any workers
}

// queueRun records a planned run as QUEUED under runID, where it will
// materialize, and puts it on the environment's queue: the whole run as one
// job, or its first steps, each a job of its own.
func queueRun(ctx context.Context, store runstore.QueueStore, q *queue.Queue, l *loaded, r queuedRun, runID string) error {
	scope := l.scope()
	ident, err := warehouseIdentity(l.spec)
	if err != nil {
		return err
	}
	args := queue.RunArgs{RunID: runID, RunKind: r.kind, Selection: r.selection, Env: scope.Env, Config: r.rc, Nodes: r.plan.Nodes(),
		MaxConcurrency: r.maxConcurrency, FailFast: r.failFast, Queue: queueName(scope.Env), Warehouse: ident}
	if r.kind == "job" {
		args.Job = r.plan.Name
	}
	if err := store.QueueRun(ctx, runstore.Run{ID: runID, Kind: r.kind, Name: r.plan.Name, Selection: r.selection, Config: runstore.Config(r.rc),
		Env: scope.Env, Warehouse: scope.Warehouse, Database: scope.Database, Nodes: r.plan.Nodes(), Start: time.Now()}); err != nil {
		return err
	}
	var jobID int64
	if r.steps {
		err = store.AddSteps(ctx, runID, r.plan.Nodes(), r.plan.Upstreams())
		var first []string
		if err == nil {
			first, err = store.Advance(ctx, runID, queue.Worker(), time.Now())
		}
		if err == nil {
			jobID, err = q.EnqueueSteps(ctx, args, first)
		}
	} else {
		jobID, err = q.Enqueue(ctx, args)
	}
	if err == nil {
		err = store.SetJob(ctx, runID, jobID)
	}
	if err != nil {
		// Nothing will execute it: say so in the history.
		_, _ = store.CancelQueued(context.WithoutCancel(ctx), runID, time.Now())
		return err
	}
	return nil
}

// workerPlanner plans queued runs in the environment l was loaded for, on the
// warehouse this worker reaches (here).
type workerPlanner struct {
	l    *loaded
	here string
}

// plan plans a queued run as the command line did, or the given nodes of it.
func (w workerPlanner) plan(a queue.RunArgs, nodes []string) (*engine.Plan, error) {
	if a.Env != w.l.env.Name {
		return nil, engine.Usagef("run %s was queued for environment %q; this worker serves %q", a.RunID, a.Env, w.l.env.Name)
	}
	if err := sameWarehouse(a.RunID, a.Warehouse, w.here); err != nil {
		return nil, err
	}
	if nodes == nil {
		nodes = a.Nodes
	}
	rc := engine.RunConfig(a.Config)
	switch a.RunKind {
	case "assets":
		return w.l.catalog.PlanAssets(assetSelection(nodes), rc)
	case "job":
		return w.l.catalog.PlanJobNodes(a.Job, nodes, rc)
	case "checks":
		return w.l.catalog.PlanChecks(a.Selection)
	}
	return nil, errors.New("unknown run kind " + a.RunKind)
}

// assetSelection selects the assets of a run's nodes; a check node selects
// its asset, whose plan brings the check back.
func assetSelection(nodes []string) string {
	var out []string
	for _, n := range nodes {
		if asset, _, isCheck := engine.SplitCheckNode(n); isCheck {
			n = asset
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// executor runs a queued run, or what is left of it, as the command line would.
func (w workerPlanner) executor() queue.Executor {
	return func(ctx context.Context, a queue.RunArgs, nodes []string, events engine.EventSink) (*engine.RunResult, error) {
		plan, err := w.plan(a, nodes)
		if err != nil {
			return nil, err
		}
		res := runPlan(ctx, w.l, plan, a.MaxConcurrency, a.FailFast, a.RunID, events)
		w.l.log.Info().Str("run_id", a.RunID).Str("status", string(res.Status)).Msg("queued run ended")
		return res, nil
	}
}

// stepExecutor runs one step of a run spread over workers: the run is planned
// whole, as queued, and the step taken out of it.
func (w workerPlanner) stepExecutor() queue.StepExecutor {
	return func(ctx context.Context, a queue.RunArgs, node string, events engine.EventSink) (*engine.RunResult, error) {
		plan, err := w.plan(a, nil)
		if err != nil {
			return nil, err
		}
		step, err := plan.Step(node)
		if err != nil {
			return nil, err
		}
		res := runPlan(ctx, w.l, step, 1, false, a.RunID, events)
		w.l.log.Info().Str("run_id", a.RunID).Str("step", node).Str("status", string(res.Status)).Msg("queued step ended")
		return res, nil
	}
}
