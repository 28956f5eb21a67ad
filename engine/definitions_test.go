package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

type itemsConfig struct {
	BaseItemID int    `yaml:"base_item_id"`
	Label      string `yaml:"label"`
}

func (c itemsConfig) Validate() error {
	if c.BaseItemID <= 0 {
		return errors.New("base_item_id must be > 0")
	}
	return nil
}

func TestLoadReportsEachProblem(t *testing.T) {
	noop := func(*engine.Context) (any, error) { return nil, nil }
	op := func(name string, ins ...engine.In) engine.Op { return engine.Op{Name: name, Ins: ins, Compute: noop} }
	cases := []struct {
		name    string
		defs    engine.Definitions
		problem engine.Problem
		msg     string
	}{
		{"duplicate asset", engine.Definitions{Assets: []engine.Asset{ok("a"), ok("a")}},
			engine.ProblemDuplicateName, `asset a: duplicate name "a"`},
		{"unknown dependency suggests", engine.Definitions{Assets: []engine.Asset{ok("items"), ok("comments", "itemz")}},
			engine.ProblemUnknownDep, `asset comments: unknown dependency "itemz": did you mean "items"?`},
		{"cycle shows its path", engine.Definitions{Assets: []engine.Asset{ok("a", "c"), ok("b", "a"), ok("c", "b"), ok("d")}},
			engine.ProblemCycle, "asset graph: cycle: a -> b -> c -> a"},
		{"self cycle", engine.Definitions{Assets: []engine.Asset{ok("a", "a")}},
			engine.ProblemCycle, "asset graph: cycle: a -> a"},
		{"unbound resource", engine.Definitions{Assets: []engine.Asset{{Name: "a", Resources: []string{"warehous"}, Compute: noop}},
			Resources: map[string]engine.Resource{"warehouse": {Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}}},
			engine.ProblemUnboundResource, `asset a: unbound resource "warehous"`},
		{"unbound io manager", engine.Definitions{Assets: []engine.Asset{{Name: "a", IOManager: "warehouse_io", Compute: noop}}},
			engine.ProblemUnboundResource, `asset a: unbound resource "warehouse_io": not bound in this environment`},
		{"job names an unknown op", engine.Definitions{Jobs: []engine.Job{{Name: "j", Graph: &engine.Graph{Ops: []engine.Invocation{
			{Op: op("first")}, {Op: op("second", engine.In{Name: "start", Nothing: true}), Inputs: map[string]string{"start": "frist"}}}}}}},
			engine.ProblemUnknownOp, `job j: op second: unknown op "frist": did you mean "first"?`},
		{"op input not connected", engine.Definitions{Jobs: []engine.Job{{Name: "j", Graph: &engine.Graph{Ops: []engine.Invocation{
			{Op: op("second", engine.In{Name: "start", Nothing: true})}}}}}},
			engine.ProblemUnknownInput, `job j: op second: unknown input "start": input is not connected`},
		{"op graph cycle", engine.Definitions{Jobs: []engine.Job{{Name: "j", Graph: &engine.Graph{Ops: []engine.Invocation{
			{Op: op("x", engine.In{Name: "i"}), Inputs: map[string]string{"i": "y"}},
			{Op: op("y", engine.In{Name: "i"}), Inputs: map[string]string{"i": "x"}}}}}}},
			engine.ProblemCycle, "job j: cycle: x -> y -> x"},
		{"duplicate job", engine.Definitions{Assets: []engine.Asset{ok("a")}, Jobs: []engine.Job{{Name: "j", Selection: "a"}, {Name: "j", Selection: "a"}}},
			engine.ProblemDuplicateName, `job j: duplicate name "j"`},
		{"job selects unknown asset", engine.Definitions{Assets: []engine.Asset{ok("items")}, Jobs: []engine.Job{{Name: "j", Selection: "itmes+"}}},
			engine.ProblemUnknownAsset, `did you mean "items"?`},
		{"invalid config defaults", engine.Definitions{Assets: []engine.Asset{{Name: "a", Config: engine.ConfigOf(itemsConfig{}), Compute: noop}}},
			engine.ProblemConfig, "asset a: invalid config: defaults: base_item_id must be > 0"},
		{"missing compute", engine.Definitions{Assets: []engine.Asset{{Name: "a"}}},
			engine.ProblemMissingCompute, "asset a: missing compute"},
		{"invalid name", engine.Definitions{Assets: []engine.Asset{ok("bad name")}},
			engine.ProblemInvalidName, `asset: invalid name "bad name"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.defs.Resources == nil {
				tc.defs.Resources = ioResources(newMemIO())
			}
			_, err := engine.Load(tc.defs)
			var de *engine.DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a DefinitionError", err)
			}
			if de.Problem != tc.problem {
				t.Errorf("problem %q, want %q (%v)", de.Problem, tc.problem, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestLoadReportsAllProblemsAtOnce(t *testing.T) {
	_, err := engine.Load(engine.Definitions{Assets: []engine.Asset{ok("a"), ok("a"), ok("b", "nope"), {Name: "c"}}})
	var ve *engine.ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want ValidationErrors", err)
	}
	problems := map[engine.Problem]bool{}
	for _, e := range ve.Errs {
		problems[e.(*engine.DefinitionError).Problem] = true
	}
	for _, p := range []engine.Problem{engine.ProblemDuplicateName, engine.ProblemUnknownDep, engine.ProblemMissingCompute, engine.ProblemUnboundResource} {
		if !problems[p] {
			t.Errorf("missing %q among %v", p, err)
		}
	}
}

func TestTopologicalOrderIsDeterministic(t *testing.T) {
	c, _ := load(t, ok("z"), ok("b", "z"), ok("a", "z"), ok("m"), ok("c", "a", "b"))
	p, err := c.PlanAssets("*", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Nodes(), " ")
	for i := 0; i < 20; i++ {
		c2, _ := load(t, ok("c", "a", "b"), ok("m"), ok("a", "z"), ok("b", "z"), ok("z"))
		p2, _ := c2.PlanAssets("*", nil)
		if again := strings.Join(p2.Nodes(), " "); again != got {
			t.Fatalf("order changed: %q then %q", got, again)
		}
	}
	pos := map[string]int{}
	for i, n := range p.Nodes() {
		pos[n] = i
	}
	if pos["z"] > pos["a"] || pos["a"] > pos["c"] || pos["b"] > pos["c"] {
		t.Errorf("not topological: %q", got)
	}
}

func TestRunConfig(t *testing.T) {
	asset := engine.Asset{Name: "items", Config: engine.ConfigOf(itemsConfig{BaseItemID: 1000}),
		Compute: func(ctx *engine.Context) (any, error) { return engine.Config[itemsConfig](ctx) }}
	c, mem := load(t, asset, ok("comments", "items"))

	rc, err := engine.ParseRunConfig([]byte("ops:\n  items:\n    config:\n      label: hn\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Set("items.base_item_id=50"); err != nil {
		t.Fatal(err)
	}
	p, err := c.PlanAssets("items", rc)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&engine.Runner{}).Run(context.Background(), p).Err(); err != nil {
		t.Fatal(err)
	}
	if got := mem.values["items"].(itemsConfig); got != (itemsConfig{BaseItemID: 50, Label: "hn"}) {
		t.Errorf("config %+v", got)
	}

	bad := []struct{ set, msg string }{
		{"items.base_item_id=abc", `base_item_id = abc: expected a whole number`},
		{"items.base_item_id=1.5", `base_item_id = 1.5: expected a whole number`},
		{"items.base_itm_id=3", `unknown key "base_itm_id": expected one of base_item_id, label`},
		{"items.base_item_id=-5", "base_item_id must be > 0"},
		{"comments.x=1", "this node takes no config"},
		{"itemz.base_item_id=1", `run config: invalid config "itemz": no such node; did you mean "items"?`},
	}
	for _, b := range bad {
		rc := engine.RunConfig{}
		if err := rc.Set(b.set); err != nil {
			t.Fatal(err)
		}
		_, err := c.PlanAssets("*", rc)
		var de *engine.DefinitionError
		if !errors.As(err, &de) || de.Problem != engine.ProblemConfig || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("--set %s: got %v, want config error containing %q", b.set, err, b.msg)
		}
	}
	if err := (engine.RunConfig{}).Set("nodot=1"); err == nil {
		t.Error("--set without NODE.KEY accepted")
	}
	if _, err := engine.ParseRunConfig([]byte("assets:\n  items: {}\n")); err == nil {
		t.Error("run config with unknown top-level key accepted")
	}
}

func TestJobOnlyInItsEnvironment(t *testing.T) {
	noop := func(*engine.Context) (any, error) { return nil, nil }
	job := engine.Job{Name: "clone_prod", Envs: []string{"branch"}, Graph: &engine.Graph{
		Ops: []engine.Invocation{{Op: engine.Op{Name: "drop", Resources: []string{"warehouse"}, Compute: noop}}}}}
	// In local the warehouse resource the job needs is not bound: still valid.
	c, err := engine.Load(engine.Definitions{Env: "local", Jobs: []engine.Job{job}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PlanJob("clone_prod", nil)
	var ju *engine.JobUnavailableError
	if !errors.As(err, &ju) || !strings.Contains(err.Error(), `defined for the branch environment only; this is the "local" environment`) || ju.Job != "clone_prod" || ju.Env != "local" {
		t.Fatalf("got %v", err)
	}
	if _, err := c.PlanJob("clone_prd", nil); err == nil || !strings.Contains(err.Error(), `did you mean "clone_prod"?`) {
		t.Errorf("unknown job: %v", err)
	}
	if _, err := engine.Load(engine.Definitions{Env: "branch", Jobs: []engine.Job{job}}); err == nil {
		t.Error("branch: unbound warehouse accepted")
	}
}
