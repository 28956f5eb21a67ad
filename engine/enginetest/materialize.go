package enginetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/assetflow/assetflow/engine"
)

// Options are what one node is run with.
type Options struct {
	// Inputs maps an upstream asset (or an op's input name) to its value. Every
	// dependency of an asset and every data input of an op must be given.
	Inputs map[string]any
	// Config is the node's config: nil for its defaults, a map of keys to
	// values as in run config, or a value of the node's config struct type.
	// It is decoded and validated as in a real run.
	Config any
	// Resources maps resource keys to values, given to the node as opened
	// resources, or to engine.Resource definitions, opened as in a run. As in a
	// run, a value with a Close() error method is closed when the run ends.
	Resources map[string]any
	// IOManager stores the asset's output; nil: a new in-memory one.
	IOManager engine.IOManager
	// Env is the environment name given to the definitions; default "test".
	Env string
	// Checks also runs the asset's checks after it, as a real run does. Off by
	// default: SQL checks (warehouse.NotNull and the like) need the warehouse
	// I/O manager, which an in-memory test does not have; Go checks work.
	Checks bool
}

// Result is the outcome of running one node.
type Result struct {
	// Output is the node's returned value. An asset's output is held by the
	// in-memory I/O manager until Release.
	Output any
	// Metadata is what the node attached with AddMetadata, plus what the I/O
	// manager reported.
	Metadata map[string]any
	// Materialization is the asset's materialization; nil for an op.
	Materialization *engine.Materialization
	// Step is the node's step result: status, attempts, error.
	Step engine.StepResult
	// Events are every event of the run, in order.
	Events []engine.Event
	// Progress holds, for each progress report the node started, the last
	// number of units reported done.
	Progress map[string]int

	io *IOManager
}

// Release releases the values the in-memory I/O manager holds, the output
// included.
func (r *Result) Release() {
	if r != nil && r.io != nil {
		r.io.Release()
	}
}

// Materialize runs one asset through the engine: its upstream assets are not
// run; their values come from opt.Inputs through an in-memory I/O manager. It
// returns an error if the asset failed (the Result still holds the events).
func Materialize(ctx context.Context, asset engine.Asset, opt Options) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var mem *IOManager // owned by this call, released by Result.Release
	if opt.IOManager == nil {
		mem = &IOManager{}
		opt.IOManager = mem
	}
	defs := []engine.Asset{asset}
	for _, dep := range asset.Deps {
		v, ok := opt.Inputs[dep]
		if !ok {
			mem.Release()
			return nil, fmt.Errorf("enginetest: asset %s depends on %s: give its value in Options.Inputs", asset.Name, dep)
		}
		if m, ok := opt.IOManager.(*IOManager); ok {
			m.Set(dep, v)
		} else if _, err := opt.IOManager.Store(ctx, dep, v); err != nil {
			mem.Release()
			return nil, fmt.Errorf("enginetest: store input %s: %w", dep, err)
		}
		defs = append(defs, engine.Asset{Name: dep, Compute: func(*engine.Context) (any, error) {
			return nil, errors.New("enginetest: upstream assets are not run")
		}})
	}
	for name := range opt.Inputs {
		if !contains(asset.Deps, name) {
			mem.Release()
			return nil, fmt.Errorf("enginetest: asset %s has no dependency %q (deps: %v)", asset.Name, name, asset.Deps)
		}
	}
	res, err := resources(opt)
	if err != nil {
		mem.Release()
		return nil, err
	}
	iom := opt.IOManager
	ioRes := engine.Resource{Open: func(context.Context, engine.Deps) (any, error) { return iom, nil }}
	key := asset.IOManager
	if key == "" {
		key = engine.DefaultIOManager
	}
	res[key] = ioRes
	var output any
	compute := asset.Compute
	asset.Compute = func(c *engine.Context) (any, error) {
		v, err := compute(c)
		output = v
		return v, err
	}
	if !opt.Checks {
		asset.Checks = nil
	}
	defs[0] = asset
	cat, err := engine.Load(engine.Definitions{Env: env(opt), Assets: defs, Resources: res})
	if err != nil {
		mem.Release()
		return nil, err
	}
	rc, err := runConfig(asset.Name, opt.Config)
	if err != nil {
		mem.Release()
		return nil, err
	}
	plan, err := cat.PlanAssets(asset.Name, rc)
	if err != nil {
		mem.Release()
		return nil, err
	}
	r, err := run(ctx, plan, asset.Name)
	r.io = mem
	if r.Step.Status == engine.StepSuccess {
		r.Output = output
	}
	return r, err
}

// RunOp runs one op through the engine. Each data input's value comes from
// opt.Inputs; Nothing inputs need none. It returns an error if the op failed.
func RunOp(ctx context.Context, op engine.Op, opt Options) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var invs []engine.Invocation
	inputs := map[string]string{}
	for _, in := range op.Ins {
		stub := "enginetest_input_" + in.Name
		v, ok := opt.Inputs[in.Name]
		if !ok && !in.Nothing {
			return nil, fmt.Errorf("enginetest: op %s takes input %s: give its value in Options.Inputs", op.Name, in.Name)
		}
		invs = append(invs, engine.Invocation{Op: engine.Op{Name: stub, Compute: func(*engine.Context) (any, error) { return v, nil }}})
		inputs[in.Name] = stub
	}
	for name := range opt.Inputs {
		found := false
		for _, in := range op.Ins {
			found = found || in.Name == name
		}
		if !found {
			return nil, fmt.Errorf("enginetest: op %s has no input %q", op.Name, name)
		}
	}
	var output any
	compute := op.Compute
	op.Compute = func(c *engine.Context) (any, error) {
		v, err := compute(c)
		output = v
		return v, err
	}
	invs = append(invs, engine.Invocation{Op: op, Inputs: inputs})
	res, err := resources(opt)
	if err != nil {
		return nil, err
	}
	const job = "enginetest"
	cat, err := engine.Load(engine.Definitions{Env: env(opt), Resources: res,
		Jobs: []engine.Job{{Name: job, Graph: &engine.Graph{Name: job, Ops: invs}}}})
	if err != nil {
		return nil, err
	}
	rc, err := runConfig(op.Name, opt.Config)
	if err != nil {
		return nil, err
	}
	plan, err := cat.PlanJob(job, rc)
	if err != nil {
		return nil, err
	}
	r, err := run(ctx, plan, op.Name)
	if r.Step.Status == engine.StepSuccess {
		r.Output = output
	}
	return r, err
}

// run executes the plan, recording events and progress, and picks node's step.
func run(ctx context.Context, plan *engine.Plan, node string) (*Result, error) {
	rec := &engine.Recorder{}
	var mu sync.Mutex
	r := &Result{Progress: map[string]int{}, Metadata: map[string]any{}}
	progress := func(_ *engine.Context, what string, _ int) func(int) {
		mu.Lock()
		r.Progress[what] = 0
		mu.Unlock()
		return func(done int) {
			mu.Lock()
			r.Progress[what] = max(r.Progress[what], done)
			mu.Unlock()
		}
	}
	rr := (&engine.Runner{Events: rec, Progress: progress}).Run(ctx, plan)
	r.Events = rec.Events()
	r.Step, _ = rr.Step(node)
	if m := r.Step.Materialization; m != nil {
		r.Materialization = m
		for k, v := range m.Metadata {
			r.Metadata[k] = v
		}
	}
	return r, rr.Err()
}

// resources turns Options.Resources into definitions.
func resources(opt Options) (map[string]engine.Resource, error) {
	out := map[string]engine.Resource{}
	keys := make([]string, 0, len(opt.Resources))
	for k := range opt.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := opt.Resources[k].(type) {
		case engine.Resource:
			out[k] = v
		case *engine.Resource:
			if v == nil {
				return nil, fmt.Errorf("enginetest: resource %s is a nil *engine.Resource", k)
			}
			out[k] = *v
		default:
			out[k] = engine.Resource{Description: fmt.Sprintf("%T given by the test", v),
				Open: func(context.Context, engine.Deps) (any, error) { return v, nil }}
		}
	}
	return out, nil
}

// runConfig turns Options.Config into run config for node.
func runConfig(node string, cfg any) (engine.RunConfig, error) {
	switch c := cfg.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return engine.RunConfig{node: c}, nil
	}
	if k := reflect.Indirect(reflect.ValueOf(cfg)).Kind(); k != reflect.Struct {
		return nil, fmt.Errorf("enginetest: config of %s is a %T: expected a map or the node's config struct", node, cfg)
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("enginetest: config of %s: %w", node, err)
	}
	values := map[string]any{}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return nil, fmt.Errorf("enginetest: config of %s: %w", node, err)
	}
	return engine.RunConfig{node: values}, nil
}

func env(opt Options) string {
	if opt.Env == "" {
		return "test"
	}
	return opt.Env
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
