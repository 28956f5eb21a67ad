// Package enginetest tests a project's assets and ops in a plain go test: an
// in-memory I/O manager, and Materialize and RunOp, which run one node through
// the real engine with the inputs, config and resources a test gives, and return
// its output, metadata and events.
//
//	res, err := enginetest.Materialize(ctx, assets.DailyTotals(), enginetest.Options{
//		Inputs: map[string]any{"events": eventsTable},
//		Config: map[string]any{"min_amount": 10},
//	})
//	defer res.Release()
package enginetest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/assetflow/assetflow/engine"
)

// IOManager is an in-memory engine.IOManager. Store keeps a value (retaining it
// if it has a Retain method, such as an Arrow table) and Load returns it,
// retained again, since the engine releases what it loads. Its zero value is
// ready to use. Release drops every value it holds.
type IOManager struct {
	mu     sync.Mutex
	values map[string]any
	stores map[string]int
	loads  map[string]int
}

// Set stores value as asset's materialization, as an earlier run would have.
func (m *IOManager) Set(asset string, value any) {
	retain(value)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	release(m.values[asset])
	m.values[asset] = value
}

// Value returns the stored value of asset. It stays owned by the IOManager.
func (m *IOManager) Value(asset string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[asset]
	return v, ok
}

// Stores counts the Store calls for asset.
func (m *IOManager) Stores(asset string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stores[asset]
}

// Loads counts the Load calls for asset.
func (m *IOManager) Loads(asset string) int { m.mu.Lock(); defer m.mu.Unlock(); return m.loads[asset] }

// Assets lists the stored assets, sorted.
func (m *IOManager) Assets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.values))
	for k := range m.values {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Store keeps value as asset's materialization.
func (m *IOManager) Store(_ context.Context, asset string, value any) (engine.Materialization, error) {
	retain(value)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	release(m.values[asset])
	m.values[asset] = value
	m.stores[asset]++
	return engine.Materialization{Location: "memory." + asset, Rows: rows(value)}, nil
}

// Load returns asset's stored value, or an error naming it if none was stored.
func (m *IOManager) Load(_ context.Context, asset string) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.loads[asset]++
	v, ok := m.values[asset]
	if !ok {
		return nil, fmt.Errorf("enginetest: no value for %s: give it in Options.Inputs or IOManager.Set", asset)
	}
	retain(v)
	return v, nil
}

// Release releases every held value and forgets them.
func (m *IOManager) Release() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.values {
		release(v)
		delete(m.values, k)
	}
}

// Resource binds the IOManager, e.g. under engine.DefaultIOManager.
func (m *IOManager) Resource() engine.Resource {
	return engine.Resource{Description: "in-memory I/O manager (enginetest)",
		Open: func(context.Context, engine.Deps) (any, error) { return m, nil }}
}

func (m *IOManager) init() {
	if m.values == nil {
		m.values, m.stores, m.loads = map[string]any{}, map[string]int{}, map[string]int{}
	}
}

func rows(v any) int64 {
	if t, ok := v.(interface{ NumRows() int64 }); ok {
		return t.NumRows()
	}
	return -1
}

func retain(v any) {
	if r, ok := v.(interface{ Retain() }); ok {
		r.Retain()
	}
}

func release(v any) {
	if r, ok := v.(interface{ Release() }); ok {
		r.Release()
	}
}
