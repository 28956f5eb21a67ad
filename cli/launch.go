package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/console"
	"github.com/assetflow/assetflow/internal/runstore"
)

// errNothingChanged is a `--select changed` run with nothing to build: every
// asset's code version matches PRODUCTION's last materialization.
var errNothingChanged = errors.New("nothing changed")

// plannedRun is a run ready to start: its plan, the selection and run config
// recorded with it.
type plannedRun struct {
	plan      *engine.Plan
	selection string
	rc        engine.RunConfig
}

// planRun plans what `run assets` (kind "assets") or `run job NAME` (kind
// "job") would run. With fromFailure it plans that run's failed steps, with
// the config that run had, changed by rc. The commands and the web UI both
// plan through it. A selection naming `changed` with nothing changed is
// errNothingChanged.
func (c *cli) planRun(ctx context.Context, l *loaded, kind, job, selection, fromFailure string, rc engine.RunConfig) (plannedRun, error) {
	switch kind {
	case "assets":
		if fromFailure != "" {
			nodes, recorded, err := c.fromFailure(ctx, l, fromFailure, "assets", "assets")
			if err != nil {
				return plannedRun{}, err
			}
			rc = recorded.With(rc)
			var again []string
			for _, n := range nodes {
				if asset, _, isCheck := engine.SplitCheckNode(n); isCheck {
					n = asset // a failed check runs again with its asset
				}
				if !l.catalog.HasAsset(n) {
					return plannedRun{}, engine.Usagef("step %s of run %s no longer exists: the definitions changed since that run", n, fromFailure)
				}
				if !slices.Contains(again, n) {
					again = append(again, n)
				}
			}
			selection = strings.Join(again, ",")
		}
		selection, none, err := c.resolveChanged(ctx, l, rc, selection)
		if err != nil {
			return plannedRun{}, err
		}
		if none {
			return plannedRun{}, errNothingChanged
		}
		plan, err := l.catalog.PlanAssets(selection, rc)
		return plannedRun{plan, selection, rc}, err
	case "job":
		plan, err := l.catalog.PlanJob(job, rc)
		err = c.withBranchHint(err)
		if err == nil && fromFailure != "" {
			nodes, recorded, ferr := c.fromFailure(ctx, l, fromFailure, "job", job)
			if ferr != nil {
				return plannedRun{}, ferr
			}
			rc = recorded.With(rc)
			plan, err = l.catalog.PlanJobNodes(job, nodes, rc)
		}
		return plannedRun{plan, "", rc}, err
	}
	return plannedRun{}, engine.Usagef("unknown kind of run %q: expected assets or job", kind)
}

// recording is a run recorded in the run store as STARTED, not yet run.
type recording struct {
	store runstore.Store
	runID string
	kind  string
}

// startRecording opens the run store and records the run as STARTED, so it is
// visible (run runs, the web UI) before its first step.
func (c *cli) startRecording(ctx context.Context, l *loaded, p plannedRun, kind string) (*recording, error) {
	store, err := c.openStore(ctx, false)
	if err != nil {
		return nil, err
	}
	runID := engine.NewRunID()
	scope := l.scope()
	if err := store.StartRun(ctx, runstore.Run{ID: runID, Kind: kind, Name: p.plan.Name, Selection: p.selection, Config: runstore.Config(p.rc),
		Env: l.env.Name, Warehouse: scope.Warehouse, Database: scope.Database, Nodes: p.plan.Nodes(), Start: time.Now()}); err != nil {
		store.Close()
		return nil, err
	}
	return &recording{store: store, runID: runID, kind: kind}, nil
}

// run executes the plan, logging events and recording them, records how it
// ended and closes the store. It returns the result and the tally of asset
// checks, which the command line prints after the summary.
func (rec *recording) run(ctx context.Context, l *loaded, plan *engine.Plan, flags runFlags) (*engine.RunResult, *checkTally) {
	defer rec.store.Close()
	history := rec.store.Events(rec.runID)
	checks := &checkTally{}
	stopBeat := runstore.KeepAlive(ctx, rec.store, rec.runID)
	res := runPlan(ctx, l, plan, flags.maxConcurrency, flags.failFast, rec.runID, history, checks)
	stopBeat()
	// Record the end even if the run was cancelled.
	if err := errors.Join(history.Close(), rec.store.FinishRun(context.WithoutCancel(ctx), res)); err != nil {
		l.log.Warn().Err(err).Msg("recording the run in the run store")
	}
	return res, checks
}

// runPlan runs a plan in this process, logging its events and sending them to
// the sinks (the run's history, a tally): the command line, the web UI and a
// worker run plans the same way.
func runPlan(ctx context.Context, l *loaded, plan *engine.Plan, maxConcurrency int, failFast bool, runID string, sinks ...engine.EventSink) *engine.RunResult {
	for _, key := range plan.Resources() {
		if notice := l.catalog.ResourceNotice(key); notice != "" {
			l.log.Info().Str("env", l.env.Name).Msg(notice)
		}
	}
	nodeLog := l.log
	r := engine.Runner{MaxConcurrency: maxConcurrency, FailFast: failFast, RunID: runID,
		Events: append(engine.Sinks{console.Events(l.events)}, sinks...), Logger: &nodeLog, Progress: l.progress}
	return r.Run(ctx, plan)
}
