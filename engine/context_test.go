package engine_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// A bare Context, as a user writes in a unit test, gives errors, never panics.
func TestBareContextGivesErrors(t *testing.T) {
	ctx := &engine.Context{Node: "a"}
	if _, err := engine.Input[string](ctx, "up"); err == nil || !strings.Contains(err.Error(), "enginetest") {
		t.Errorf("Input: %v", err)
	}
	if _, err := engine.Config[itemsConfig](ctx); err == nil || !strings.Contains(err.Error(), "has no config") {
		t.Errorf("Config: %v", err)
	}
	if _, err := engine.Key[string]("warehouse").From(ctx); err == nil || !strings.Contains(err.Error(), "resource warehouse") {
		t.Errorf("From: %v", err)
	}
	if _, err := engine.ResourceSpec[string](ctx, "warehouse"); err == nil {
		t.Error("ResourceSpec: no error")
	}
	ctx.Progress("work", 3)(1) // no runner: does nothing
}

// badBatch is a user's own validation error type.
type badBatch struct{ size int }

func (e *badBatch) Error() string { return "batch size must be positive" }

type batchConfig struct {
	Size int `yaml:"size"`
}

func (c batchConfig) Validate() error {
	if c.Size <= 0 {
		return &badBatch{size: c.Size}
	}
	return nil
}

// errors.As reaches a config's own Validate error through the definition error.
func TestDefinitionErrorKeepsTheValidateCause(t *testing.T) {
	a := engine.Asset{Name: "a", Config: engine.ConfigOf(batchConfig{Size: 1}), Compute: func(*engine.Context) (any, error) { return 1, nil }}
	c, _ := load(t, a)
	rc := engine.RunConfig{}
	if err := rc.Set("a.size=-4"); err != nil {
		t.Fatal(err)
	}
	_, err := c.PlanAssets("a", rc)
	var bb *badBatch
	if !errors.As(err, &bb) || bb.size != -4 {
		t.Fatalf("errors.As did not find the Validate error in %v", err)
	}
	var de *engine.DefinitionError
	if !errors.As(err, &de) || de.Problem != engine.ProblemConfig {
		t.Fatalf("not a config DefinitionError: %v", err)
	}
	// Invalid defaults are caught at load, with the same cause.
	bad := engine.Asset{Name: "b", Config: engine.ConfigOf(batchConfig{}), Compute: a.Compute}
	_, err = engine.Load(engine.Definitions{Assets: []engine.Asset{bad}, Resources: ioResources(newMemIO())})
	if !errors.As(err, &bb) {
		t.Fatalf("load: errors.As did not find the Validate error in %v", err)
	}
}

// Context.Progress reaches the runner's Progress with the node's context.
func TestProgressIsAnEngineService(t *testing.T) {
	var mu sync.Mutex
	var got []int
	a := engine.Asset{Name: "a", Compute: func(ctx *engine.Context) (any, error) {
		report := ctx.Progress("count", 3)
		for i := 1; i <= 3; i++ {
			report(i)
		}
		return 1, nil
	}}
	c, _ := load(t, a)
	res, _ := runAll(t, c, engine.Runner{Progress: func(ctx *engine.Context, what string, total int) func(int) {
		if ctx.Node != "a" || what != "count" || total != 3 {
			t.Errorf("progress of %s %q %d", ctx.Node, what, total)
		}
		return func(done int) { mu.Lock(); got = append(got, done); mu.Unlock() }
	}})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2] != 3 {
		t.Errorf("progress reports %v, want 1 2 3", got)
	}
}
