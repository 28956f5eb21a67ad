package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// memIO is an in-memory I/O manager.
type memIO struct {
	mu     sync.Mutex
	values map[string]any
	loads  map[string]int
}

func newMemIO() *memIO { return &memIO{values: map[string]any{}, loads: map[string]int{}} }

func (m *memIO) Store(_ context.Context, asset string, v any) (engine.Materialization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[asset] = v
	return engine.Materialization{Location: "mem." + asset, Rows: 1}, nil
}

func (m *memIO) Load(_ context.Context, asset string) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads[asset]++
	v, ok := m.values[asset]
	if !ok {
		return nil, fmt.Errorf("%s was never stored", asset)
	}
	return v, nil
}

func ioResources(m *memIO) map[string]engine.Resource {
	return map[string]engine.Resource{engine.DefaultIOManager: {
		Open: func(context.Context, engine.Deps) (any, error) { return m, nil },
	}}
}

// ok is an asset that succeeds, returning its own name.
func ok(name string, deps ...string) engine.Asset {
	return engine.Asset{Name: name, Deps: deps, Compute: func(*engine.Context) (any, error) { return name, nil }}
}

// fail is an asset that always fails.
func fail(name string, deps ...string) engine.Asset {
	return engine.Asset{Name: name, Deps: deps, Compute: func(*engine.Context) (any, error) {
		return nil, errors.New(name + " broke")
	}}
}

// gated is an asset that waits until gate closes or its context ends.
func gated(name string, gate <-chan struct{}, deps ...string) engine.Asset {
	return engine.Asset{Name: name, Deps: deps, Compute: func(ctx *engine.Context) (any, error) {
		select {
		case <-gate:
			return name, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

// load validates definitions with an in-memory I/O manager, failing the test on error.
func load(t testing.TB, assets ...engine.Asset) (*engine.Catalog, *memIO) {
	t.Helper()
	m := newMemIO()
	c, err := engine.Load(engine.Definitions{Env: "local", Assets: assets, Resources: ioResources(m)})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c, m
}

// runAll plans every asset and runs it, recording events.
func runAll(t testing.TB, c *engine.Catalog, r engine.Runner) (*engine.RunResult, *engine.Recorder) {
	t.Helper()
	return runSel(t, c, "*", r)
}

func runSel(t testing.TB, c *engine.Catalog, sel string, r engine.Runner) (*engine.RunResult, *engine.Recorder) {
	t.Helper()
	p, err := c.PlanAssets(sel, nil)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	rec := &engine.Recorder{}
	r.Events = rec
	return r.Run(context.Background(), p), rec
}

// wantStatuses asserts each named step's status.
func wantStatuses(t *testing.T, res *engine.RunResult, want map[string]engine.StepStatus) {
	t.Helper()
	for node, status := range want {
		s, found := res.Step(node)
		if !found {
			t.Errorf("no step %s", node)
			continue
		}
		if s.Status != status {
			t.Errorf("step %s: status %s, want %s (err %v)", node, s.Status, status, s.Err)
		}
	}
}

// position returns the index of the first event of type typ for node, or -1.
func position(events []engine.Event, typ engine.EventType, node string) int {
	for i, e := range events {
		if e.Type == typ && e.Node == node {
			return i
		}
	}
	return -1
}

func count(events []engine.Event, typ engine.EventType, node string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ && (node == "" || e.Node == node) {
			n++
		}
	}
	return n
}
