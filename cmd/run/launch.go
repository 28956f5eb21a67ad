package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/console"
	"github.com/assetflow/assetflow/internal/runstore"
)

// planRun builds the plan `run assets` (kind "assets") or `run job NAME` (kind
// "job") would run, with --from-failure when fromFailure is set, and returns the
// selection recorded with it. The commands and the web UI both plan through it.
func (c *cli) planRun(ctx context.Context, l *loaded, kind, job, selection, fromFailure string, rc engine.RunConfig) (*engine.Plan, string, error) {
	switch kind {
	case "assets":
		if fromFailure != "" {
			nodes, err := c.fromFailure(ctx, fromFailure, "assets", "assets")
			if err != nil {
				return nil, "", err
			}
			for _, n := range nodes {
				if !l.catalog.HasAsset(n) {
					return nil, "", engine.Usagef("step %s of run %s no longer exists: the definitions changed since that run", n, fromFailure)
				}
			}
			selection = strings.Join(nodes, ",")
		}
		plan, err := l.catalog.PlanAssets(selection, rc)
		return plan, selection, err
	case "job":
		plan, err := l.catalog.PlanJob(job, rc)
		if err == nil && fromFailure != "" {
			nodes, ferr := c.fromFailure(ctx, fromFailure, "job", job)
			if ferr != nil {
				return nil, "", ferr
			}
			plan, err = l.catalog.PlanJobNodes(job, nodes, rc)
		}
		return plan, "", err
	}
	return nil, "", engine.Usagef("unknown kind of run %q: expected assets or job", kind)
}

// recording is a run recorded in the run store as STARTED, not yet run.
type recording struct {
	store runstore.Store
	runID string
	kind  string
}

// startRecording opens the run store and records the run as STARTED, so it is
// visible (run runs, the web UI) before its first step.
func (c *cli) startRecording(ctx context.Context, l *loaded, plan *engine.Plan, kind, selection string) (*recording, error) {
	store, err := c.openStore(ctx, false)
	if err != nil {
		return nil, err
	}
	runID := engine.NewRunID()
	if err := store.StartRun(ctx, runstore.Run{ID: runID, Kind: kind, Name: plan.Name, Selection: selection,
		Env: l.env.Name, Nodes: plan.Nodes(), Start: time.Now()}); err != nil {
		store.Close()
		return nil, err
	}
	return &recording{store: store, runID: runID, kind: kind}, nil
}

// run executes the plan, logging events and recording them, records how it
// ended and closes the store.
func (rec *recording) run(ctx context.Context, l *loaded, plan *engine.Plan, flags runFlags) *engine.RunResult {
	defer rec.store.Close()
	history := rec.store.Events(rec.runID)
	for _, key := range plan.Resources() {
		for _, r := range l.catalog.Describe().Resources {
			if r.Key == key && key == "hackernews" {
				l.log.Info().Str("env", l.env.Name).Msgf("items come from %s", r.Description)
			}
		}
	}
	nodeLog := l.log
	r := engine.Runner{MaxConcurrency: flags.maxConcurrency, FailFast: flags.failFast, RunID: rec.runID,
		Events: engine.Sinks{console.Events(l.events), history}, Logger: &nodeLog}
	res := r.Run(ctx, plan)
	// Record the end even if the run was cancelled.
	if err := errors.Join(history.Close(), rec.store.FinishRun(context.WithoutCancel(ctx), res)); err != nil {
		l.log.Warn().Err(err).Msg("recording the run in the run store")
	}
	return res
}
