package graphview_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/graphview"
)

// BenchmarkGraphJSON10k is what `run graph --format json` does on a generated
// definition of 10,000 assets (about 3 upstreams each): validate and load the
// catalog, describe it, and write the JSON.
func BenchmarkGraphJSON10k(b *testing.B) {
	const n = 10_000
	rng := rand.New(rand.NewPCG(1, 2))
	noop := func(*engine.Context) (any, error) { return nil, nil }
	assets := make([]engine.Asset, n)
	for i := range assets {
		seen := map[string]bool{}
		var deps []string
		for k := 0; k < 3 && i > 0; k++ {
			d := fmt.Sprintf("asset_%05d", rng.IntN(i))
			if !seen[d] {
				seen[d] = true
				deps = append(deps, d)
			}
		}
		assets[i] = engine.Asset{Name: fmt.Sprintf("asset_%05d", i), Group: fmt.Sprintf("g%d", i%17), Deps: deps, Compute: noop}
	}
	io := map[string]engine.Resource{engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := engine.Load(engine.Definitions{Env: "bench", Assets: assets, Resources: io})
		if err != nil {
			b.Fatal(err)
		}
		if err := graphview.Render(io2discard{}, c.Describe(), "json"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/graph")
}

type io2discard struct{}

func (io2discard) Write(p []byte) (int, error) { return io.Discard.Write(p) }
