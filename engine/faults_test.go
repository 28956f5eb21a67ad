package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// hangDeadline turns a hang into a failure. It is generous on purpose: it only
// catches a run that would never end, and asserts nothing about speed.
const hangDeadline = 2 * time.Minute

// runWithin runs p under ctx and fails the test if the run has not ended by
// hangDeadline; it then cancels the run and waits for it to return.
func runWithin(t *testing.T, ctx context.Context, r engine.Runner, p *engine.Plan) (*engine.RunResult, *engine.Recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rec := &engine.Recorder{}
	if r.Events != nil {
		r.Events = engine.Sinks{rec, r.Events}
	} else {
		r.Events = rec
	}
	out := make(chan *engine.RunResult, 1)
	go func() { out <- r.Run(ctx, p) }()
	select {
	case res := <-out:
		return res, rec
	case <-time.After(hangDeadline):
		cancel()
		t.Errorf("the run of %s did not end within %s: it hangs", p.Name, hangDeadline)
		return <-out, rec
	}
}

// waitFor fails the test if ch is not closed by hangDeadline.
func waitFor(t *testing.T, ch <-chan struct{}, what string) bool {
	t.Helper()
	select {
	case <-ch:
		return true
	case <-time.After(hangDeadline):
		t.Errorf("%s did not happen within %s", what, hangDeadline)
		return false
	}
}

// One node's timeout firing while a shared resource opens must not fail the
// open for the rest of the run: resources open under the run's context.
func TestTimeoutDuringOpenDoesNotPoisonSharedResource(t *testing.T) {
	var opens atomic.Int32
	quickEnded := make(chan struct{})
	resources := ioResources(newMemIO())
	resources["db"] = engine.Resource{Open: func(ctx context.Context, _ engine.Deps) (any, error) {
		opens.Add(1)
		select {
		case <-quickEnded: // the open outlives the node that started it
			return "db", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	db := engine.Key[string]("db")
	quick := engine.Asset{Name: "quick", Resources: []string{"db"}, Timeout: 10 * time.Millisecond,
		Compute: func(ctx *engine.Context) (any, error) {
			defer close(quickEnded)
			return db.From(ctx)
		}}
	other := engine.Asset{Name: "other", Resources: []string{"db"}, Compute: func(ctx *engine.Context) (any, error) {
		<-quickEnded // ask only after quick's timeout fired mid-open
		return db.From(ctx)
	}}
	c, err := engine.Load(engine.Definitions{Assets: []engine.Asset{quick, other}, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.PlanAssets("*", nil)
	res, _ := runWithin(t, context.Background(), engine.Runner{}, p)
	wantStatuses(t, res, map[string]engine.StepStatus{"quick": engine.StepFailure, "other": engine.StepSuccess})
	if s, _ := res.Step("quick"); !errors.Is(s.Err, context.DeadlineExceeded) {
		t.Errorf("quick: %v, want its own timeout", s.Err)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("db opened %d times, want once", n)
	}
}

// The same for an upstream value loaded once through an I/O manager and shared.
type gatedLoadIO struct {
	*memIO
	gate  <-chan struct{}
	loads atomic.Int32
}

func (g *gatedLoadIO) Load(ctx context.Context, asset string) (any, error) {
	g.loads.Add(1)
	select {
	case <-g.gate:
		return g.memIO.Load(ctx, asset)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestTimeoutDuringLoadDoesNotPoisonSharedInput(t *testing.T) {
	quickEnded := make(chan struct{})
	mem := newMemIO()
	mem.values["up"] = "up"
	io := &gatedLoadIO{memIO: mem, gate: quickEnded}
	resources := map[string]engine.Resource{engine.DefaultIOManager: {
		Open: func(context.Context, engine.Deps) (any, error) { return io, nil }}}
	quick := engine.Asset{Name: "quick", Deps: []string{"up"}, Timeout: 10 * time.Millisecond,
		Compute: func(ctx *engine.Context) (any, error) {
			defer close(quickEnded)
			return engine.Input[string](ctx, "up")
		}}
	other := engine.Asset{Name: "other", Deps: []string{"up"}, Compute: func(ctx *engine.Context) (any, error) {
		<-quickEnded
		return engine.Input[string](ctx, "up")
	}}
	c, err := engine.Load(engine.Definitions{Assets: []engine.Asset{ok("up"), quick, other}, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.PlanAssets("quick,other", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := runWithin(t, context.Background(), engine.Runner{}, p)
	wantStatuses(t, res, map[string]engine.StepStatus{"quick": engine.StepFailure, "other": engine.StepSuccess})
	if n := io.loads.Load(); n != 1 {
		t.Errorf("up loaded %d times, want once", n)
	}
}

// A node waiting out its retry backoff gives its slot back: with one slot, an
// unrelated node runs during the wait instead of after it.
func TestRetryBackoffFreesItsSlot(t *testing.T) {
	bRan := make(chan struct{})
	var calls atomic.Int32
	a := engine.Asset{Name: "a", Retry: engine.RetryPolicy{MaxAttempts: 2, Delay: time.Hour},
		Compute: func(*engine.Context) (any, error) {
			calls.Add(1)
			return nil, errors.New("transient")
		}}
	b := engine.Asset{Name: "b", Compute: func(*engine.Context) (any, error) {
		return "b", nil
	}}
	c, _ := load(t, a, b)
	p, _ := c.PlanAssets("*", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	bDone := sinkFunc(func(e engine.Event) { // b has finished, stored and all
		if e.Type == engine.EventStepSuccess && e.Node == "b" {
			once.Do(func() { close(bRan) })
		}
	})
	go func() {
		// b can run only while a waits out its hour-long backoff; then stop.
		if waitFor(t, bRan, "b succeeding while a waits to retry") {
			cancel()
		}
	}()
	res, rec := runWithin(t, ctx, engine.Runner{MaxConcurrency: 1, Events: bDone}, p)
	wantStatuses(t, res, map[string]engine.StepStatus{"a": engine.StepCanceled, "b": engine.StepSuccess})
	ev := rec.Events()
	if bStart := position(ev, engine.EventStepStart, "b"); bStart >= 0 && position(ev, engine.EventStepRetry, "a") > bStart {
		t.Error("b started before a's first attempt: the test did not exercise the backoff")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("a attempted %d times, want 1 (cancelled during its backoff)", n)
	}
	if s, _ := res.Step("a"); s.Err == nil || !strings.Contains(s.Err.Error(), "transient") {
		t.Errorf("a cancelled during backoff should keep its last error: %v", s.Err)
	}
}

// Retries still respect the limit: a node back from its backoff queues for a
// slot like any other.
func TestRetriesKeepTheConcurrencyLimit(t *testing.T) {
	const limit = 2
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	failed := map[string]bool{}
	var assets []engine.Asset
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		assets = append(assets, engine.Asset{Name: name, Retry: engine.RetryPolicy{MaxAttempts: 3, Delay: time.Millisecond},
			Compute: func(*engine.Context) (any, error) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				mu.Lock()
				defer mu.Unlock()
				if !failed[name] {
					failed[name] = true
					return nil, errors.New("first attempt fails")
				}
				return name, nil
			}})
	}
	c, _ := load(t, assets...)
	p, _ := c.PlanAssets("*", nil)
	res, rec := runWithin(t, context.Background(), engine.Runner{MaxConcurrency: limit}, p)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if n := count(rec.Events(), engine.EventStepRetry, ""); n != 6 {
		t.Errorf("%d retries, want 6", n)
	}
	if pk := peak.Load(); pk > limit {
		t.Errorf("peak in flight %d, limit %d", pk, limit)
	}
}

// sinkFunc is an event sink made of a function.
type sinkFunc func(engine.Event)

func (f sinkFunc) Emit(e engine.Event) { f(e) }
