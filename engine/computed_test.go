package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// instruction is a value its I/O manager computes, as a SQL query is.
type instruction struct{ text string }

func (instruction) ComputedByIOManager() {}

// computingIO stores an instruction as what it computes to, like a warehouse
// running a query into a table.
type computingIO struct {
	*memIO
	mu       sync.Mutex
	computed int
}

func (c *computingIO) Store(ctx context.Context, asset string, v any) (engine.Materialization, error) {
	if in, ok := v.(instruction); ok {
		c.mu.Lock()
		c.computed++
		c.mu.Unlock()
		v = "result of " + in.text
	}
	return c.memIO.Store(ctx, asset, v)
}

// Downstream nodes of an asset whose value its I/O manager computes receive what
// the I/O manager loads back, once per run, never the instruction.
func TestComputedByIOManagerIsLoadedDownstream(t *testing.T) {
	io := &computingIO{memIO: newMemIO()}
	var mu sync.Mutex
	got := map[string]any{}
	reader := func(name string) engine.Asset {
		return engine.Asset{Name: name, Deps: []string{"query"}, Compute: func(ctx *engine.Context) (any, error) {
			v, err := engine.Input[any](ctx, "query")
			mu.Lock()
			got[name] = v
			mu.Unlock()
			return name, err
		}}
	}
	query := engine.Asset{Name: "query", Compute: func(*engine.Context) (any, error) { return instruction{"SELECT 1"}, nil },
		Plan: func(*engine.Context) ([]string, error) { return []string{"SELECT 1"}, nil }}
	c, err := engine.Load(engine.Definitions{Env: "local", Assets: []engine.Asset{query, reader("a"), reader("b")},
		Resources: map[string]engine.Resource{engine.DefaultIOManager: {
			Open: func(context.Context, engine.Deps) (any, error) { return io, nil }}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.PlanAssets("*", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := (&engine.Runner{}).Run(context.Background(), p)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if got[n] != "result of SELECT 1" {
			t.Errorf("%s received %#v, want what the I/O manager stored", n, got[n])
		}
	}
	if io.computed != 1 || io.loads["query"] != 1 {
		t.Errorf("computed %d times, loaded %d times; want 1 and 1", io.computed, io.loads["query"])
	}

	steps, err := p.DryRun("dry")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[0].Node != "query" || len(steps[0].Actions) != 1 || steps[0].Actions[0] != "SELECT 1" || len(steps[1].Actions) != 0 {
		t.Errorf("dry run %+v, want the asset's plan for query alone", steps)
	}
}
