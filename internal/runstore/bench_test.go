package runstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// BenchmarkRecord10kNodes runs 10,000 no-op nodes once with an in-memory
// recorder and once recording into SQLite (the sink closed, so every event is
// on disk), and reports the time added per event.
func BenchmarkRecord10kNodes(b *testing.B) {
	const n = 10_000
	noop := func(*engine.Context) (any, error) { return nil, nil }
	assets := make([]engine.Asset, n)
	for i := range assets {
		var deps []string
		if i > 0 {
			deps = []string{fmt.Sprintf("n%05d", i/2)}
		}
		assets[i] = engine.Asset{Name: fmt.Sprintf("n%05d", i), Deps: deps, Compute: noop}
	}
	c, err := engine.Load(engine.Definitions{Assets: assets, Resources: map[string]engine.Resource{
		engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}}})
	if err != nil {
		b.Fatal(err)
	}
	p, _ := c.PlanAssets("*", nil)
	s, err := runstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "runs.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var memory, stored time.Duration
	events := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := &engine.Recorder{}
		start := time.Now()
		(&engine.Runner{Events: rec}).Run(context.Background(), p)
		memory += time.Since(start)
		events += len(rec.Events())

		id := engine.NewRunID()
		start = time.Now()
		if err := s.StartRun(context.Background(), runstore.Run{ID: id, Kind: "assets", Name: "assets", Start: start}); err != nil {
			b.Fatal(err)
		}
		sink := s.Events(id)
		res := (&engine.Runner{Events: sink, RunID: id}).Run(context.Background(), p)
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
		if err := s.FinishRun(context.Background(), res); err != nil {
			b.Fatal(err)
		}
		stored += time.Since(start)
	}
	b.ReportMetric(float64(stored-memory)/float64(events)/1e3, "µs-added/event")
	b.ReportMetric(float64(events)/float64(b.N)/n, "events/node")
}
