package ui

import (
	"context"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// The states an asset is shown in.
const (
	StateNever   = "never"   // never materialized
	StateFresh   = "fresh"   // materialized, and nothing upstream changed since
	StateStale   = "stale"   // an upstream was materialized after it
	StateFailed  = "failed"  // its last step failed (after its last materialization)
	StateRunning = "running" // part of a run in progress, not finished in it yet
)

// AssetState is how an asset stands, from the run store alone: the UI never
// opens the warehouse to draw the graph, so it never waits on a warehouse lock.
type AssetState struct {
	State        string                `json:"state"`
	RunningRunID string                `json:"running_run_id,omitempty"`
	LastOutcome  *runstore.StepOutcome `json:"last_outcome,omitempty"`
}

// runningSteps maps each node not yet finished in a run in progress to that run.
func (s *Server) runningSteps(ctx context.Context) (map[string]string, error) {
	runs, err := s.cfg.Store.Runs(ctx, 100)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range runs {
		if r.Status != "STARTED" {
			continue
		}
		d, err := s.cfg.Store.Run(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, st := range d.Steps {
			if st.Status == "STARTED" || st.Status == "NOT STARTED" {
				out[st.Node] = r.ID
			}
		}
	}
	return out, nil
}

// assetStates works out every shown asset's state and fills its Status (as
// `run graph --status` would, but from the run store's last materialization).
func (s *Server) assetStates(ctx context.Context, view *engine.GraphView) (map[string]AssetState, error) {
	last, err := s.cfg.Store.LastMaterializationsIn(ctx, s.cfg.Scope)
	if err != nil {
		return nil, err
	}
	outcomes, err := s.cfg.Store.LastStepOutcomes(ctx)
	if err != nil {
		return nil, err
	}
	running, err := s.runningSteps(ctx)
	if err != nil {
		return nil, err
	}
	states := make(map[string]AssetState, len(view.Assets))
	for i := range view.Assets {
		a := &view.Assets[i]
		m, materialized := last[a.Name]
		if materialized {
			a.Status = &engine.AssetStatus{Exists: true, Location: m.Location, Rows: m.Rows, MaterializedAt: m.Time, LastRunID: m.RunID}
		}
		st := AssetState{State: StateNever}
		if o, ok := outcomes[a.Name]; ok {
			st.LastOutcome = &o
		}
		switch {
		case running[a.Name] != "":
			st.State, st.RunningRunID = StateRunning, running[a.Name]
		case st.LastOutcome != nil && st.LastOutcome.Status == "FAILURE" && (!materialized || st.LastOutcome.Time.After(m.Time)):
			st.State = StateFailed
		case !materialized:
		case upstreamNewer(a.Deps, m, last):
			st.State = StateStale
		default:
			st.State = StateFresh
		}
		states[a.Name] = st
	}
	return states, nil
}

func upstreamNewer(deps []string, m runstore.Materialization, last map[string]runstore.Materialization) bool {
	for _, d := range deps {
		if u, ok := last[d]; ok && u.Time.After(m.Time) {
			return true
		}
	}
	return false
}
