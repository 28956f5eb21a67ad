package engine

import "time"

// In declares an op input. A Nothing input carries no data: it only orders the op
// after its upstream, like Dagster's In(Nothing).
type In struct {
	Name    string
	Nothing bool
}

// Op is a task inside a graph. Unlike an asset its output is not stored: it passes
// in memory to the ops that take it as an input.
type Op struct {
	Name        string
	Description string
	Ins         []In
	Resources   []string
	Config      ConfigSchema
	Retry       RetryPolicy
	Timeout     time.Duration
	// Plan describes, without side effects, what Compute would do with this
	// config; `run job --dry-run` prints it. Optional.
	Plan    func(ctx *Context) ([]string, error)
	Compute func(ctx *Context) (any, error)
}

// Invocation places an op in a graph. Inputs maps each of the op's input names to
// the name of the upstream op whose output feeds it.
type Invocation struct {
	Op     Op
	Inputs map[string]string
}

// Graph orders ops: each op runs after the ops its inputs name.
type Graph struct {
	Name        string
	Description string
	Ops         []Invocation
}
