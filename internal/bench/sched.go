package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/assetflow/assetflow/engine"
)

// dag is a generated graph: deps[i] are the upstream positions of node i, and
// work[i] what node i does.
type dag struct {
	deps [][]int
	work []func()
}

// randomDAG has n no-op nodes with about three upstreams each.
func randomDAG(n int) dag {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	d := dag{deps: make([][]int, n), work: make([]func(), n)}
	for i := range d.deps {
		seen := map[int]bool{}
		for k := 0; k < 3 && i > 0; k++ {
			if j := rng.IntN(i); !seen[j] {
				seen[j] = true
				d.deps[i] = append(d.deps[i], j)
			}
		}
		d.work[i] = func() {}
	}
	return d
}

// skewedDAG has two chains whose long and short steps alternate out of phase,
// plus short filler nodes: a level-by-level scheduler waits for a long step at
// every level, the critical path only at half of them.
func skewedDAG(steps int, long, short time.Duration, fillers int) (dag, time.Duration) {
	d := dag{}
	add := func(deps []int, sleep time.Duration) int {
		d.deps = append(d.deps, deps)
		d.work = append(d.work, func() { time.Sleep(sleep) })
		return len(d.deps) - 1
	}
	prevA, prevB := -1, -1
	for i := 0; i < steps; i++ {
		la, lb := long, short
		if i%2 == 1 {
			la, lb = short, long
		}
		var da, db []int
		if i > 0 {
			da, db = []int{prevA}, []int{prevB}
		}
		prevA, prevB = add(da, la), add(db, lb)
		for f := 0; f < fillers; f++ {
			add(db, short)
		}
	}
	critical := time.Duration((steps+1)/2)*long + time.Duration(steps/2)*short
	return d, critical
}

// catalog turns a generated graph into engine definitions.
func (d dag) catalog() (*engine.Catalog, *engine.Plan, error) {
	assets := make([]engine.Asset, len(d.deps))
	for i := range assets {
		deps := make([]string, len(d.deps[i]))
		for k, j := range d.deps[i] {
			deps[k] = fmt.Sprintf("n%06d", j)
		}
		work := d.work[i]
		assets[i] = engine.Asset{Name: fmt.Sprintf("n%06d", i), Deps: deps,
			Compute: func(*engine.Context) (any, error) { work(); return nil, nil }}
	}
	c, err := engine.Load(engine.Definitions{Assets: assets, Resources: map[string]engine.Resource{
		engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}}})
	if err != nil {
		return nil, nil, err
	}
	p, err := c.PlanAssets("*", nil)
	return c, p, err
}

// levelByLevel is the naive baseline: run each topological level with an
// errgroup and wait for the whole level before the next.
func (d dag) levelByLevel(limit int) {
	depth := make([]int, len(d.deps))
	levels := [][]int{}
	for i, deps := range d.deps {
		for _, j := range deps {
			depth[i] = max(depth[i], depth[j]+1)
		}
		for len(levels) <= depth[i] {
			levels = append(levels, nil)
		}
		levels[depth[i]] = append(levels[depth[i]], i)
	}
	for _, level := range levels {
		var g errgroup.Group
		if limit > 0 {
			g.SetLimit(limit)
		}
		for _, i := range level {
			g.Go(func() error { d.work[i](); return nil })
		}
		_ = g.Wait()
	}
}

// Scheduling measures ns per node on random DAGs of the given sizes.
func Scheduling(sizes []int, runs int) (Scenario, error) {
	sc := Scenario{Title: "Scheduling overhead", Chart: "scheduling.png",
		Note: "No-op nodes, about 3 upstreams each, events dropped (as the baseline has none); baseline: run each topological level with errgroup and wait for the whole level. Both limited to 64 nodes at once."}
	for _, n := range sizes {
		d := randomDAG(n)
		_, plan, err := d.catalog()
		if err != nil {
			return sc, err
		}
		var allocs float64
		ours, err := repeat(runs, func() (float64, error) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			res := (&engine.Runner{MaxConcurrency: 64}).Run(context.Background(), plan)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			allocs = float64(after.Mallocs-before.Mallocs) / float64(n)
			return float64(took.Nanoseconds()) / float64(n), res.Err()
		})
		if err != nil {
			return sc, err
		}
		base, _ := repeat(runs, func() (float64, error) {
			start := time.Now()
			d.levelByLevel(64)
			return float64(time.Since(start).Nanoseconds()) / float64(n), nil
		})
		sc.Rows = append(sc.Rows, Row{Case: fmt.Sprintf("%d nodes", n), Unit: "ns/node", Ours: ours, Baseline: base,
			Base: "level by level", LowerWins: true, Extra: fmt.Sprintf("%.1f allocs/node", allocs)})
	}
	return sc, nil
}

// Makespan measures a skewed DAG of sleeping nodes against its critical path.
func Makespan(runs int) (Scenario, error) {
	d, critical := skewedDAG(10, 20*time.Millisecond, 2*time.Millisecond, 20)
	_, plan, err := d.catalog()
	if err != nil {
		return Scenario{}, err
	}
	ours, err := repeat(runs, func() (float64, error) {
		start := time.Now()
		res := (&engine.Runner{}).Run(context.Background(), plan)
		return float64(time.Since(start)) / float64(critical), res.Err()
	})
	if err != nil {
		return Scenario{}, err
	}
	base, _ := repeat(runs, func() (float64, error) {
		start := time.Now()
		d.levelByLevel(0)
		return float64(time.Since(start)) / float64(critical), nil
	})
	return Scenario{Title: "Makespan", Note: fmt.Sprintf("Two chains of 10 steps whose 20 ms and 2 ms steps alternate out of phase, "+
		"with 200 short fillers; figures are makespan / critical path (%s), 1.0 is ideal.", critical),
		Rows: []Row{{Case: "skewed DAG", Unit: "x critical path", Ours: ours, Baseline: base, Base: "level by level", LowerWins: true}}}, nil
}
