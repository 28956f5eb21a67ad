package engine_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
)

// BenchmarkRunRandomDAG measures scheduling overhead: no-op nodes on a random DAG
// with about 3 upstreams each, events logged as JSON to io.Discard.
func BenchmarkRunRandomDAG(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			c, _ := load(b, randomDAG(n, 3, 7, nil)...)
			p, err := c.PlanAssets("*", nil)
			if err != nil {
				b.Fatal(err)
			}
			logger := zerolog.New(io.Discard)
			r := engine.Runner{Events: engine.LogSink{Logger: logger}, Logger: &logger, MaxConcurrency: 64}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if res := r.Run(context.Background(), p); res.Status != engine.RunSuccess {
					b.Fatal(res.Err())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/node")
		})
	}
}

// BenchmarkMakespanSkewed runs one long chain of sleeping nodes beside many short
// ones and reports the makespan divided by the critical path (1.0 is ideal).
func BenchmarkMakespanSkewed(b *testing.B) {
	const chain, step, short = 10, 20 * time.Millisecond, 300
	sleepy := func(name string, d time.Duration, deps ...string) engine.Asset {
		return engine.Asset{Name: name, Deps: deps, Compute: func(ctx *engine.Context) (any, error) {
			time.Sleep(d)
			return nil, nil
		}}
	}
	var assets []engine.Asset
	for i := 0; i < chain; i++ {
		var deps []string
		if i > 0 {
			deps = []string{fmt.Sprintf("long%02d", i-1)}
		}
		assets = append(assets, sleepy(fmt.Sprintf("long%02d", i), step, deps...))
	}
	// Short nodes in layers: each layer waits for the previous one, so a
	// level-by-level scheduler would make the chain wait for them.
	for i := 0; i < short; i++ {
		var deps []string
		if i >= 30 {
			deps = []string{fmt.Sprintf("short%03d", i-30)}
		}
		assets = append(assets, sleepy(fmt.Sprintf("short%03d", i), 5*time.Millisecond, deps...))
	}
	c, _ := load(b, assets...)
	p, _ := c.PlanAssets("*", nil)
	critical := time.Duration(chain) * step
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if res := (&engine.Runner{}).Run(context.Background(), p); res.Status != engine.RunSuccess {
			b.Fatal(res.Err())
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(critical), "makespan/critical")
}
