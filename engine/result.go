package engine

import "time"

// RunStatus is how a run ended.
type RunStatus string

// Run statuses.
const (
	RunSuccess  RunStatus = "SUCCESS"
	RunFailure  RunStatus = "FAILURE"
	RunCanceled RunStatus = "CANCELED"
)

// StepStatus is how one node of a run ended.
type StepStatus string

// Step statuses. SKIPPED means an upstream failed, so the node never ran; CANCELED
// means the run was cancelled (or failed fast) before or while it ran.
const (
	StepSuccess  StepStatus = "SUCCESS"
	StepFailure  StepStatus = "FAILURE"
	StepSkipped  StepStatus = "SKIPPED"
	StepCanceled StepStatus = "CANCELED"
)

// StepResult is the outcome of one node.
type StepResult struct {
	Node            string
	Kind            NodeKind
	Status          StepStatus
	Attempts        int
	Start           time.Time
	Duration        time.Duration
	Err             error
	Materialization *Materialization
}

// RunResult is the outcome of a run, steps in plan order.
type RunResult struct {
	RunID    string
	Name     string
	Status   RunStatus
	Start    time.Time
	Duration time.Duration
	Steps    []StepResult
}

// Step returns the named step's result.
func (r *RunResult) Step(node string) (StepResult, bool) {
	for _, s := range r.Steps {
		if s.Node == node {
			return s, true
		}
	}
	return StepResult{}, false
}

// Err returns nil for a successful run, else a *RunFailedError listing the root
// failures only (skipped steps are not repeated).
func (r *RunResult) Err() error {
	if r.Status == RunSuccess {
		return nil
	}
	e := &RunFailedError{RunID: r.RunID, Status: r.Status}
	for _, s := range r.Steps {
		if s.Status == StepFailure {
			e.Failures = append(e.Failures, s)
		}
	}
	return e
}

// Count returns how many steps ended with the given status.
func (r *RunResult) Count(status StepStatus) int {
	n := 0
	for _, s := range r.Steps {
		if s.Status == status {
			n++
		}
	}
	return n
}
