package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/assetflow/assetflow/engine"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A node whose only upstream is fast starts while an unrelated slow node is still
// running: dispatch follows each node's own upstreams, not levels. Level-by-level
// dispatch would deadlock here (slow waits for b, b for slow's level), so the run
// has a deadline that turns that hang into a failure.
func TestDispatchFollowsOwnUpstreams(t *testing.T) {
	gate := make(chan struct{})
	bStarted := make(chan struct{})
	b := engine.Asset{Name: "b", Deps: []string{"a"}, Compute: func(*engine.Context) (any, error) {
		close(bStarted)
		return "b", nil
	}}
	// slow (level 0) holds until b (level 1) has started.
	slow := gated("slow", gate)
	c, _ := load(t, ok("a"), b, slow, ok("after_slow", "slow"))
	go func() {
		<-bStarted
		close(gate)
	}()
	p, _ := c.PlanAssets("*", nil)
	res, rec := runWithin(t, context.Background(), engine.Runner{}, p)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	ev := rec.Events()
	if position(ev, engine.EventStepStart, "b") > position(ev, engine.EventStepSuccess, "slow") {
		t.Error("b started only after the unrelated slow node finished")
	}
	if position(ev, engine.EventStepStart, "after_slow") < position(ev, engine.EventStepSuccess, "slow") {
		t.Error("after_slow started before its upstream finished")
	}
}

func TestFailureSkipsDownstreamOnly(t *testing.T) {
	c, _ := load(t, fail("a"), ok("b", "a"), ok("c", "b"), ok("d"), ok("e", "d"), ok("f", "a", "d"))
	res, rec := runAll(t, c, engine.Runner{})
	wantStatuses(t, res, map[string]engine.StepStatus{
		"a": engine.StepFailure, "b": engine.StepSkipped, "c": engine.StepSkipped, "f": engine.StepSkipped,
		"d": engine.StepSuccess, "e": engine.StepSuccess,
	})
	if res.Status != engine.RunFailure {
		t.Errorf("run status %s", res.Status)
	}
	var rf *engine.RunFailedError
	if err := res.Err(); !errors.As(err, &rf) || len(rf.Failures) != 1 || rf.Failures[0].Node != "a" {
		t.Errorf("run error should name only the root cause a: %v", err)
	}
	if n := count(rec.Events(), engine.EventStepStart, ""); n != 3 {
		t.Errorf("%d steps started, want 3 (a, d, e)", n)
	}
	if rec.Events()[len(rec.Events())-1].Type != engine.EventRunFailure {
		t.Error("last event is not RUN_FAILURE")
	}
}

func TestFailFastCancelsTheRest(t *testing.T) {
	never := make(chan struct{})
	c, _ := load(t, fail("a"), gated("slow", never), ok("after", "slow"), ok("b", "a"))
	res, _ := runAll(t, c, engine.Runner{FailFast: true})
	wantStatuses(t, res, map[string]engine.StepStatus{
		"a": engine.StepFailure, "slow": engine.StepCanceled, "after": engine.StepCanceled, "b": engine.StepSkipped,
	})
	if res.Status != engine.RunFailure {
		t.Errorf("run status %s", res.Status)
	}
}

func TestCancelEndsRunPromptly(t *testing.T) {
	started := make(chan struct{}, 2)
	wait := func(name string, deps ...string) engine.Asset {
		return engine.Asset{Name: name, Deps: deps, Compute: func(ctx *engine.Context) (any, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}}
	}
	c, _ := load(t, wait("x"), wait("y"), ok("z", "x"))
	p, _ := c.PlanAssets("*", nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		<-started
		cancel()
	}()
	res, _ := runWithin(t, ctx, engine.Runner{}, p) // a deadline catches a hang; no timing is asserted
	if res.Status != engine.RunCanceled {
		t.Fatalf("run status %s", res.Status)
	}
	wantStatuses(t, res, map[string]engine.StepStatus{"x": engine.StepCanceled, "y": engine.StepCanceled, "z": engine.StepCanceled})
	var rf *engine.RunFailedError
	if !errors.As(res.Err(), &rf) || rf.Status != engine.RunCanceled {
		t.Errorf("a cancelled run must be a RunFailedError: %v", res.Err())
	}
	goleak.VerifyNone(t)
}

func TestPanicBecomesFailureWithStack(t *testing.T) {
	boom := engine.Asset{Name: "boom", Compute: func(*engine.Context) (any, error) { panic("kaboom") }}
	c, _ := load(t, boom, ok("after", "boom"), ok("other"))
	res, rec := runAll(t, c, engine.Runner{})
	wantStatuses(t, res, map[string]engine.StepStatus{"boom": engine.StepFailure, "after": engine.StepSkipped, "other": engine.StepSuccess})
	ev := rec.Events()[position(rec.Events(), engine.EventStepFailure, "boom")]
	if ev.Error != "panic: kaboom" || !strings.Contains(ev.Stack, "runner_test.go") {
		t.Errorf("failure event: error %q, stack %q", ev.Error, ev.Stack)
	}
	var pe *engine.PanicError
	if s, _ := res.Step("boom"); !errors.As(s.Err, &pe) {
		t.Errorf("step error %v is not a PanicError", s.Err)
	}
}

func TestRetry(t *testing.T) {
	flaky := func(name string, failures int32, attempts int) (engine.Asset, *atomic.Int32) {
		var calls atomic.Int32
		return engine.Asset{Name: name, Retry: engine.RetryPolicy{MaxAttempts: attempts, Delay: time.Millisecond, Jitter: 0.5},
			Compute: func(ctx *engine.Context) (any, error) {
				if n := calls.Add(1); n <= failures {
					return nil, fmt.Errorf("transient %d", n)
				}
				return ctx.Attempt, nil
			}}, &calls
	}
	recovers, recoverCalls := flaky("recovers", 2, 3)
	exhausts, exhaustCalls := flaky("exhausts", 5, 3)
	c, mem := load(t, recovers, exhausts)
	res, rec := runAll(t, c, engine.Runner{})
	wantStatuses(t, res, map[string]engine.StepStatus{"recovers": engine.StepSuccess, "exhausts": engine.StepFailure})
	if recoverCalls.Load() != 3 || exhaustCalls.Load() != 3 {
		t.Errorf("calls: recovers %d, exhausts %d; want 3 and 3", recoverCalls.Load(), exhaustCalls.Load())
	}
	if s, _ := res.Step("recovers"); s.Attempts != 3 || mem.values["recovers"] != 3 {
		t.Errorf("recovers: %d attempts, stored %v", s.Attempts, mem.values["recovers"])
	}
	if n := count(rec.Events(), engine.EventStepRetry, "recovers"); n != 2 {
		t.Errorf("%d retry events for recovers, want 2", n)
	}
	if n := count(rec.Events(), engine.EventStepRetry, "exhausts"); n != 2 {
		t.Errorf("%d retry events for exhausts, want 2", n)
	}
}

func TestTimeout(t *testing.T) {
	hang := engine.Asset{Name: "hang", Timeout: 20 * time.Millisecond, Compute: func(ctx *engine.Context) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	c, _ := load(t, hang, ok("sibling"))
	res, _ := runAll(t, c, engine.Runner{})
	wantStatuses(t, res, map[string]engine.StepStatus{"hang": engine.StepFailure, "sibling": engine.StepSuccess})
	if s, _ := res.Step("hang"); !errors.Is(s.Err, context.DeadlineExceeded) || !strings.Contains(s.Err.Error(), "timed out after 20ms") {
		t.Errorf("hang: %v", s.Err)
	}
}

func TestConcurrencyLimitNeverExceeded(t *testing.T) {
	const limit = 3
	var inFlight, peak atomic.Int32
	var assets []engine.Asset
	for i := 0; i < 40; i++ {
		var deps []string
		if i >= 10 {
			deps = []string{fmt.Sprintf("n%02d", i%10)}
		}
		assets = append(assets, engine.Asset{Name: fmt.Sprintf("n%02d", i), Deps: deps, Compute: func(*engine.Context) (any, error) {
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			inFlight.Add(-1)
			return nil, nil
		}})
	}
	c, _ := load(t, assets...)
	res, _ := runAll(t, c, engine.Runner{MaxConcurrency: limit})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak in flight %d, want 2..%d", p, limit)
	}
}

func TestResourcesOpenOnceAndAlwaysClose(t *testing.T) {
	type conn struct{ closed *atomic.Int32 }
	var opened, closed, unusedOpened atomic.Int32
	key := engine.Key[*conn]("db")
	resources := ioResources(newMemIO())
	resources["db"] = engine.Resource{Open: func(context.Context, engine.Deps) (any, error) {
		opened.Add(1)
		return &closer{conn: &conn{closed: &closed}, closed: &closed}, nil
	}}
	resources["unused"] = engine.Resource{Open: func(context.Context, engine.Deps) (any, error) {
		unusedOpened.Add(1)
		return nil, nil
	}}
	var assets []engine.Asset
	for i := 0; i < 20; i++ {
		assets = append(assets, engine.Asset{Name: fmt.Sprintf("a%d", i), Resources: []string{"db"},
			Compute: func(ctx *engine.Context) (any, error) {
				if _, err := engine.Key[*closer]("db").From(ctx); err != nil {
					return nil, err
				}
				return nil, nil
			}})
	}
	assets = append(assets, engine.Asset{Name: "broken", Resources: []string{"db"}, Compute: func(ctx *engine.Context) (any, error) {
		if _, err := key.From(ctx); err == nil {
			return nil, errors.New("a typed key of the wrong type must fail")
		}
		return nil, errors.New("fails after using db")
	}})
	c, err := engine.Load(engine.Definitions{Assets: assets, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		res, _ := runAll(t, c, engine.Runner{})
		if res.Status != engine.RunFailure {
			t.Fatalf("run status %s", res.Status)
		}
		if opened.Load() != int32(round) || closed.Load() != int32(round) {
			t.Errorf("round %d: opened %d, closed %d", round, opened.Load(), closed.Load())
		}
	}
	if unusedOpened.Load() != 0 {
		t.Error("a resource no node needs was opened")
	}
}

type closer struct {
	conn   any
	closed *atomic.Int32
}

func (c *closer) Close() error {
	c.closed.Add(1)
	return nil
}

func TestSubsetLoadsUpstreamThroughIOManager(t *testing.T) {
	var got atomic.Value
	comments := engine.Asset{Name: "comments", Deps: []string{"items"}, Compute: func(ctx *engine.Context) (any, error) {
		v, err := engine.Input[string](ctx, "items")
		got.Store(v)
		return "comments of " + v, err
	}}
	stories := engine.Asset{Name: "stories", Deps: []string{"items"}, Compute: func(ctx *engine.Context) (any, error) {
		return engine.Input[string](ctx, "items")
	}}
	c, mem := load(t, ok("items"), comments, stories)
	res, _ := runSel(t, c, "comments,stories", engine.Runner{})
	if res.Status != engine.RunFailure || !strings.Contains(res.Err().Error(), "items was never stored") {
		t.Fatalf("without a stored items the subset run must fail clearly: %v", res.Err())
	}
	if full, _ := runAll(t, c, engine.Runner{}); full.Status != engine.RunSuccess {
		t.Fatal("full run failed")
	}
	mem.loads["items"] = 0
	res, rec := runSel(t, c, "comments,stories", engine.Runner{})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if got.Load() != "items" || mem.loads["items"] != 1 {
		t.Errorf("comments got %v; items loaded %d times, want once", got.Load(), mem.loads["items"])
	}
	if count(rec.Events(), engine.EventStepStart, "items") != 0 {
		t.Error("items ran in a run that did not select it")
	}
	m := rec.Events()[position(rec.Events(), engine.EventMaterialization, "comments")].Materialization
	if m == nil || m.Location != "mem.comments" {
		t.Errorf("materialization %+v", m)
	}
}

// randomDAG builds n assets, each depending on up to `fanIn` earlier ones, and
// checks at run time that every upstream had finished before a node started.
func randomDAG(n, fanIn int, seed uint64, violations *atomic.Int32) []engine.Asset {
	rng := rand.New(rand.NewPCG(seed, seed))
	finished := make([]atomic.Bool, n)
	assets := make([]engine.Asset, n)
	for i := 0; i < n; i++ {
		var deps []string
		var depIdx []int
		for k := 0; k < fanIn && i > 0; k++ {
			j := rng.IntN(i)
			deps = append(deps, fmt.Sprintf("n%06d", j))
			depIdx = append(depIdx, j)
		}
		i := i
		assets[i] = engine.Asset{Name: fmt.Sprintf("n%06d", i), Deps: dedupe(deps), Compute: func(*engine.Context) (any, error) {
			if violations != nil {
				for _, j := range depIdx {
					if !finished[j].Load() {
						violations.Add(1)
					}
				}
				finished[i].Store(true)
			}
			return nil, nil
		}}
	}
	return assets
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func TestRandomDAG10000(t *testing.T) {
	var violations atomic.Int32
	c, _ := load(t, randomDAG(10000, 3, 42, &violations)...)
	res, rec := runAll(t, c, engine.Runner{MaxConcurrency: 8})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Count(engine.StepSuccess) != 10000 || violations.Load() != 0 {
		t.Errorf("%d succeeded, %d nodes started before an upstream finished", res.Count(engine.StepSuccess), violations.Load())
	}
	if n := count(rec.Events(), engine.EventStepStart, ""); n != 10000 {
		t.Errorf("%d start events", n)
	}
}

// Events carry the run id and a node; the runner is safe for concurrent use.
func TestConcurrentRunsKeepTheirOwnIDs(t *testing.T) {
	c, _ := load(t, ok("a"), ok("b", "a"))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, rec := runAll(t, c, engine.Runner{})
			for _, e := range rec.Events() {
				if e.RunID != res.RunID || e.Time.IsZero() {
					t.Errorf("event %+v of run %s", e, res.RunID)
				}
			}
		}()
	}
	wg.Wait()
}
