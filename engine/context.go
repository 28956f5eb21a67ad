package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/rs/zerolog"
)

// Context is what a node's Compute receives: the run's context (cancelled when the
// run is, with the node's timeout applied), its identity, a logger, and access to
// its config (Config), inputs (Input) and resources (ResourceKey.From).
type Context struct {
	context.Context
	RunID   string
	Node    string
	Attempt int // 1 for the first attempt
	Log     zerolog.Logger

	config    any
	resources *resourceSet
	node      *planNode
	run       *run

	mu       sync.Mutex
	metadata map[string]any
}

func (c *Context) resolve(ctx context.Context, key string) (any, error) {
	if c.resources == nil {
		return nil, fmt.Errorf("resource %s: this context belongs to no run (to test a node, use package enginetest)", key)
	}
	return c.resources.get(ctx, key)
}

func (c *Context) context() context.Context {
	if c.Context == nil {
		return context.Background()
	}
	return c.Context
}

// Progress starts reporting one step's progress: what it does and how many units
// it will do. It returns the function to call with the units done so far.
type Progress func(ctx *Context, what string, total int) func(done int)

// Progress returns the function a long step calls after each of total units of
// work, named what ("fetch items"). The runner's Progress shows it (a line on a
// terminal, periodic events elsewhere); without one it does nothing.
func (c *Context) Progress(what string, total int) func(done int) {
	if c.run == nil || c.run.progress == nil {
		return func(int) {}
	}
	return c.run.progress(c, what, total)
}

// AddMetadata attaches a value to the node's materialization event, such as the
// number of items skipped.
func (c *Context) AddMetadata(key string, value any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.metadata == nil {
		c.metadata = map[string]any{}
	}
	c.metadata[key] = value
}

// Input returns the value of the named input: the upstream's output when the
// upstream ran in this run, otherwise the value its I/O manager loads. Values
// passed between nodes are borrowed; the engine releases them at the end of the
// run. A loaded value is released by the engine too.
func Input[T any](c *Context, name string) (T, error) {
	var zero T
	if c.node == nil || c.run == nil {
		return zero, fmt.Errorf("input %s: this context belongs to no run (to test a node, use package enginetest)", name)
	}
	for _, in := range c.node.inputs {
		if in.name != name {
			continue
		}
		if in.nothing {
			return zero, fmt.Errorf("input %s of %s carries no data", name, c.Node)
		}
		v, err := c.run.inputValue(c, in)
		if err != nil {
			return zero, err
		}
		t, ok := v.(T)
		if !ok {
			return zero, fmt.Errorf("input %s of %s is a %T, not a %T", name, c.Node, v, zero)
		}
		return t, nil
	}
	return zero, fmt.Errorf("%s has no input %q", c.Node, name)
}
