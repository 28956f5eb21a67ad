// Package runstore keeps the history of runs and their events, so users can ask
// what ran, when and how it ended, and re-run only what failed. Store is the
// interface the CLI uses; SQLite is the embedded implementation.
package runstore

import (
	"context"
	"encoding/json"
	"regexp"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// Store persists runs and their events. Implementations must accept writes from
// several processes at once.
type Store interface {
	// StartRun records a run about to start, with the nodes of its plan.
	StartRun(ctx context.Context, r Run) error
	// Events returns a sink that records a run's events in batches; closing it
	// writes what is buffered.
	Events(runID string) EventSink
	// FinishRun records how a run ended.
	FinishRun(ctx context.Context, res *engine.RunResult) error
	// Runs returns the most recent runs, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)
	// RunHeader returns one run's record without its steps, cheaply.
	RunHeader(ctx context.Context, id string) (Run, error)
	// Run returns one run with its steps and materializations.
	Run(ctx context.Context, id string) (*RunDetail, error)
	// LastMaterializationsIn returns each asset's latest materialization in
	// one environment, warehouse and database (an empty field matches any), so
	// a branch's table is never credited to production's, nor DuckDB's to
	// Snowflake's.
	LastMaterializationsIn(ctx context.Context, scope Scope) (map[string]Materialization, error)
	// LastCheckEvaluations returns each asset check's latest evaluation in
	// runs of the environment ("" for any).
	LastCheckEvaluations(ctx context.Context, env string) ([]CheckRecord, error)
	// MarkAbandoned marks FAILED the runs still STARTED whose process on this
	// host is gone, and returns how many.
	MarkAbandoned(ctx context.Context) (int, error)
	Close() error
}

// EventSink is an engine.EventSink that must be closed after the run.
type EventSink interface {
	engine.EventSink
	Close() error
}

// Run is one run's record.
type Run struct {
	ID        string        `json:"run_id"`
	Kind      string        `json:"kind"` // "assets" or "job"
	Name      string        `json:"name"` // the job's name, or "assets"
	Selection string        `json:"selection,omitempty"`
	Env       string        `json:"environment"`
	Nodes     []string      `json:"nodes"`
	Status    string        `json:"status"` // QUEUED, STARTED, SUCCESS, FAILURE, CANCELED
	Error     string        `json:"error,omitempty"`
	Start     time.Time     `json:"start"`
	Duration  time.Duration `json:"duration_ns"`
	PID       int           `json:"pid"`
	Host      string        `json:"host"`
	Warehouse string        `json:"warehouse,omitempty"` // backend and place, e.g. "duckdb /abs/folder"
	Database  string        `json:"database,omitempty"`  // the database it read and wrote
	// Config is the run config it ran with, which a re-execution from
	// failure runs with again.
	Config Config `json:"config,omitempty"`
	// Distributed is a queued run whose steps are spread over workers, each
	// step a queue job of its own (run assets --queue --distribute steps).
	Distributed bool `json:"distributed,omitempty"`
}

// Config is a run's config as recorded: node -> key -> value. Written as JSON
// (run runs --json, run show --json, the web UI's API) the values of keys named
// for a credential (password, token, secret, key ...) are ***: run config is
// meant for parameters, but one that holds a secret does not show it. The
// store keeps the values, for re-execution.
type Config map[string]map[string]any

// secretKey matches config keys named for a credential.
var secretKey = regexp.MustCompile(`(?i)pass|secret|token|credential|auth|private|(^|_)key($|_)|apikey`)

// MarshalJSON writes the config with credential values hidden.
func (c Config) MarshalJSON() ([]byte, error) {
	shown := make(map[string]map[string]any, len(c))
	for node, keys := range c {
		shown[node] = make(map[string]any, len(keys))
		for k, v := range keys {
			if secretKey.MatchString(k) {
				v = "***"
			}
			shown[node][k] = v
		}
	}
	return json.Marshal(shown)
}

// Scope is where a materialization was made; an empty field matches anything.
type Scope struct {
	Env       string
	Warehouse string
	Database  string
}

// Step is one node's outcome, folded from its events.
type Step struct {
	Node     string        `json:"node"`
	Status   string        `json:"status"` // SUCCESS, FAILURE, SKIPPED, CANCELED, or NOT STARTED
	Attempts int           `json:"attempts"`
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
	Worker   string        `json:"worker,omitempty"` // host:pid of the worker that ran it; "" in-process
}

// Materialization is one stored asset value.
type Materialization struct {
	Asset    string    `json:"asset"`
	RunID    string    `json:"run_id"`
	Time     time.Time `json:"time"`
	Location string    `json:"location"`
	Rows     int64     `json:"rows"`
	// CodeVersion is the asset's code version in that run; "" when it had none.
	CodeVersion string `json:"code_version,omitempty"`
}

// RunDetail is a run with its steps, in plan order, and materializations.
type RunDetail struct {
	Run
	Steps           []Step            `json:"steps"`
	Materialization []Materialization `json:"materializations"`
	Checks          []CheckRecord     `json:"checks,omitempty"`
}

// Rerun returns the nodes a re-execution from failure runs: every node of the
// run that did not succeed. It refuses a run that succeeded.
func (d *RunDetail) Rerun() ([]string, error) {
	if d.Status == string(engine.RunSuccess) {
		return nil, engine.Usagef("run %s succeeded: there is nothing to re-execute", d.ID)
	}
	var out []string
	for _, s := range d.Steps {
		if s.Status != string(engine.StepSuccess) {
			out = append(out, s.Node)
		}
	}
	if len(out) == 0 {
		return nil, engine.Usagef("run %s has no failed or skipped step", d.ID)
	}
	return out, nil
}
