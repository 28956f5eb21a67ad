package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// Each step of a plan runs apart: the inputs it took from its upstreams in the
// run are loaded through their I/O manager, and a check reads its asset's
// stored value. The upstream map is the plan's edges, blocking checks included.
func TestStepsRunApart(t *testing.T) {
	a := ok("a")
	a.Checks = []engine.Check{{Name: "is_a", Evaluate: func(ctx *engine.CheckContext) (engine.CheckResult, error) {
		v, err := engine.Input[string](ctx.Context, "a")
		if err != nil || v != "a" {
			return engine.CheckResult{FailingRows: 1}, err
		}
		return engine.CheckResult{}, nil
	}}}
	b := engine.Asset{Name: "b", Deps: []string{"a"}, Compute: func(ctx *engine.Context) (any, error) {
		v, err := engine.Input[string](ctx, "a")
		return v + "+b", err
	}}
	c, m := load(t, a, b)
	plan, err := c.PlanAssets("*", nil)
	if err != nil {
		t.Fatal(err)
	}
	ups := plan.Upstreams()
	if !slices.Equal(ups["b"], []string{"a", "a:is_a"}) || !slices.Equal(ups["a:is_a"], []string{"a"}) || len(ups["a"]) != 0 {
		t.Fatalf("upstreams: %v", ups)
	}
	for _, node := range []string{"a", "a:is_a", "b"} { // in plan order, each in a run of its own
		step, err := plan.Step(node)
		if err != nil {
			t.Fatal(err)
		}
		if got := step.Nodes(); !slices.Equal(got, []string{node}) {
			t.Fatalf("step %s plans %v", node, got)
		}
		if res := (&engine.Runner{}).Run(context.Background(), step); res.Err() != nil {
			t.Fatalf("step %s: %v", node, res.Err())
		}
	}
	if m.values["b"] != "a+b" || m.loads["a"] != 2 { // loaded by the check and by b
		t.Fatalf("b = %v, a loaded %d times", m.values["b"], m.loads["a"])
	}
	if _, err := plan.Step("nope"); !engine.IsInvalidInput(err) {
		t.Fatalf("unknown step: %v", err)
	}
}

// An op that takes another op's output cannot run apart from it: its value
// lives only in memory.
func TestOpDataCannotCrossSteps(t *testing.T) {
	mk := engine.Op{Name: "make", Compute: func(*engine.Context) (any, error) { return 1, nil }}
	use := engine.Op{Name: "use", Ins: []engine.In{{Name: "v"}}, Compute: func(*engine.Context) (any, error) { return nil, nil }}
	after := engine.Op{Name: "after", Ins: []engine.In{{Name: "done", Nothing: true}}, Compute: func(*engine.Context) (any, error) { return nil, nil }}
	g := &engine.Graph{Name: "g", Ops: []engine.Invocation{
		{Op: mk}, {Op: use, Inputs: map[string]string{"v": "make"}}, {Op: after, Inputs: map[string]string{"done": "make"}},
	}}
	defs := engine.Definitions{Env: "local", Jobs: []engine.Job{{Name: "j", Graph: g}}}
	c, err := engine.Load(defs)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.PlanJob("j", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Step("after"); err != nil {
		t.Fatalf("an op after another by a Nothing input runs apart: %v", err)
	}
	err = plan.StepsCanRunApart()
	if err == nil || !strings.Contains(err.Error(), "op use takes the output of op make") {
		t.Fatalf("got %v", err)
	}
}

// A re-execution's config is the failed run's, changed key by key by what is
// given; neither is modified.
func TestRunConfigWith(t *testing.T) {
	recorded := engine.RunConfig{"items": {"base_item_id": 80, "sleep_ms": 5}, "stories": {"engine": "go"}}
	given := engine.RunConfig{"items": {"base_item_id": 90}, "comments": {"engine": "sql"}}
	got := recorded.With(given)
	want := engine.RunConfig{"items": {"base_item_id": 90, "sleep_ms": 5}, "stories": {"engine": "go"}, "comments": {"engine": "sql"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if recorded["items"]["base_item_id"] != 80 || len(given["items"]) != 1 {
		t.Fatalf("With modified its inputs: %v %v", recorded, given)
	}
	if got := engine.RunConfig(nil).With(nil); len(got) != 0 {
		t.Fatalf("nil with nil: %v", got)
	}
}
