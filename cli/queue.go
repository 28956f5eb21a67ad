package cli

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/queue"
	"github.com/assetflow/assetflow/internal/runstore"
)

// openQueue opens the instance's run store and queue: River on PostgreSQL,
// or on SQLite (queue.db beside the run store) for workers on this machine.
func (c *cli) openQueue(ctx context.Context) (runstore.QueueStore, *queue.Queue, error) {
	inst, err := c.instance()
	if err != nil {
		return nil, nil, err
	}
	if !inst.IsPostgres() {
		s, err := runstore.OpenSQLite(ctx, inst.RunsDB)
		if err != nil {
			return nil, nil, err
		}
		q, err := queue.OpenSQLite(ctx, filepath.Join(filepath.Dir(inst.RunsDB), "queue.db"))
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		return s, q, nil
	}
	s, err := runstore.OpenPostgres(ctx, inst.URL)
	if err != nil {
		return nil, nil, err
	}
	q, err := queue.Open(ctx, inst.URL)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, q, nil
}

// queueName is the River queue of an environment's runs: a worker executes
// only the runs of the environment it was started in.
func queueName(env string) string { return "env_" + env }

// enqueue records a run as QUEUED, puts it on the queue and prints its id.
func (c *cli) enqueue(ctx context.Context, l *loaded, plan *engine.Plan, flags runFlags, kind, selection string) error {
	store, q, err := c.openQueue(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	defer q.Close()
	rc, err := flags.runConfig(ctx, l.catalog)
	if err != nil {
		return err
	}
	runID := engine.NewRunID()
	if err := queueRun(ctx, store, q, l.scope(), plan, rc, flags.maxConcurrency, flags.failFast, kind, selection, runID); err != nil {
		return err
	}
	c.printf("%s\n", runID)
	return nil
}

// queueRun records a planned run as QUEUED under runID, where it will
// materialize (scope), and puts it on the environment's queue.
func queueRun(ctx context.Context, store runstore.QueueStore, q *queue.Queue, scope runstore.Scope, plan *engine.Plan, rc engine.RunConfig,
	maxConcurrency int, failFast bool, kind, selection, runID string) error {
	env := scope.Env
	args := queue.RunArgs{RunID: runID, RunKind: kind, Selection: selection, Env: env, Config: rc, Nodes: plan.Nodes(),
		MaxConcurrency: maxConcurrency, FailFast: failFast, Queue: queueName(env)}
	if kind == "job" {
		args.Job = plan.Name
	}
	if err := store.QueueRun(ctx, runstore.Run{ID: runID, Kind: kind, Name: plan.Name, Selection: selection,
		Env: env, Warehouse: scope.Warehouse, Database: scope.Database, Nodes: plan.Nodes(), Start: time.Now()}); err != nil {
		return err
	}
	jobID, err := q.Enqueue(ctx, args)
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

// executor plans and runs a queued run as the command line would, in the
// environment l was loaded for.
func (c *cli) executor(l *loaded) queue.Executor {
	return func(ctx context.Context, a queue.RunArgs, nodes []string, events engine.EventSink) (*engine.RunResult, error) {
		if a.Env != l.env.Name {
			return nil, engine.Usagef("run %s was queued for environment %q; this worker serves %q", a.RunID, a.Env, l.env.Name)
		}
		if nodes == nil {
			nodes = a.Nodes
		}
		rc := engine.RunConfig(a.Config)
		var plan *engine.Plan
		var err error
		switch a.RunKind {
		case "assets":
			plan, err = l.catalog.PlanAssets(strings.Join(nodes, ","), rc)
		case "job":
			plan, err = l.catalog.PlanJobNodes(a.Job, nodes, rc)
		default:
			err = errors.New("unknown run kind " + a.RunKind)
		}
		if err != nil {
			return nil, err
		}
		res := runPlan(ctx, l, plan, a.MaxConcurrency, a.FailFast, a.RunID, events)
		l.log.Info().Str("run_id", a.RunID).Str("status", string(res.Status)).Msg("queued run ended")
		return res, nil
	}
}
