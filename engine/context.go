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
	return c.resources.get(ctx, key)
}

func (c *Context) context() context.Context { return c.Context }

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
