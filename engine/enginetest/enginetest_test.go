package enginetest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/engine/enginetest"
)

type limitConfig struct {
	Min int64 `yaml:"min"`
}

var errTooLow = errors.New("min must not be negative")

func (c limitConfig) Validate() error {
	if c.Min < 0 {
		return errTooLow
	}
	return nil
}

type greeter struct{ greeting string }

// bigOrders keeps the rows of orders whose amount is at least min, and uses a
// resource, metadata and progress.
func bigOrders(alloc memory.Allocator) engine.Asset {
	return engine.Asset{
		Name: "big_orders", Deps: []string{"orders"}, Resources: []string{"greeter"},
		Config: engine.ConfigOf(limitConfig{Min: 10}),
		Compute: func(ctx *engine.Context) (any, error) {
			cfg, err := engine.Config[limitConfig](ctx)
			if err != nil {
				return nil, err
			}
			g, err := engine.Key[*greeter]("greeter").From(ctx)
			if err != nil {
				return nil, err
			}
			orders, err := engine.Input[arrow.Table](ctx, "orders")
			if err != nil {
				return nil, err
			}
			b := array.NewInt64Builder(alloc)
			defer b.Release()
			tr := array.NewTableReader(orders, 0)
			defer tr.Release()
			report := ctx.Progress("scan", int(orders.NumRows()))
			done := 0
			for tr.Next() {
				col := tr.Record().Column(0).(*array.Int64)
				for i := 0; i < col.Len(); i++ {
					if col.Value(i) >= cfg.Min {
						b.Append(col.Value(i))
					}
					done++
					report(done)
				}
			}
			ctx.AddMetadata("greeting", g.greeting)
			arr := b.NewArray()
			defer arr.Release()
			schema := arrow.NewSchema([]arrow.Field{{Name: "amount", Type: arrow.PrimitiveTypes.Int64}}, nil)
			rec := array.NewRecord(schema, []arrow.Array{arr}, int64(arr.Len()))
			defer rec.Release()
			return array.NewTableFromRecords(schema, []arrow.Record{rec}), nil
		},
	}
}

func orders(t *testing.T, alloc memory.Allocator, amounts ...int64) arrow.Table {
	t.Helper()
	b := array.NewInt64Builder(alloc)
	defer b.Release()
	b.AppendValues(amounts, nil)
	arr := b.NewArray()
	defer arr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "amount", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecord(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return array.NewTableFromRecords(schema, []arrow.Record{rec})
}

func amounts(t *testing.T, v any) []int64 {
	t.Helper()
	tbl, ok := v.(arrow.Table)
	if !ok {
		t.Fatalf("output is a %T", v)
	}
	var out []int64
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		out = append(out, tr.Record().Column(0).(*array.Int64).Int64Values()...)
	}
	return out
}

func TestMaterializeAnAsset(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0) // every table released: nothing borrowed leaks
	in := orders(t, alloc, 5, 12, 30, 9)
	defer in.Release()
	for name, cfg := range map[string]any{"map": map[string]any{"min": 10}, "struct": limitConfig{Min: 10}, "defaults": nil} {
		t.Run(name, func(t *testing.T) {
			res, err := enginetest.Materialize(context.Background(), bigOrders(alloc), enginetest.Options{
				Inputs:    map[string]any{"orders": in},
				Config:    cfg,
				Resources: map[string]any{"greeter": &greeter{greeting: "hi"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			if got := amounts(t, res.Output); len(got) != 2 || got[0] != 12 || got[1] != 30 {
				t.Errorf("output %v, want [12 30]", got)
			}
			if res.Metadata["greeting"] != "hi" || res.Materialization == nil || res.Materialization.Rows != 2 {
				t.Errorf("metadata %v, materialization %+v", res.Metadata, res.Materialization)
			}
			if res.Progress["scan"] != 4 {
				t.Errorf("progress %v, want scan: 4", res.Progress)
			}
			if res.Step.Status != engine.StepSuccess || len(res.Events) == 0 {
				t.Errorf("step %+v, %d events", res.Step, len(res.Events))
			}
		})
	}
}

func TestMaterializeRefusals(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	in := orders(t, alloc, 1)
	defer in.Release()
	greet := map[string]any{"greeter": &greeter{}}
	ctx := context.Background()

	_, err := enginetest.Materialize(ctx, bigOrders(alloc), enginetest.Options{Resources: greet})
	if err == nil || !strings.Contains(err.Error(), "depends on orders") {
		t.Errorf("missing input: %v", err)
	}
	_, err = enginetest.Materialize(ctx, bigOrders(alloc), enginetest.Options{Resources: greet,
		Inputs: map[string]any{"orders": in, "ordres": in}})
	if err == nil || !strings.Contains(err.Error(), `no dependency "ordres"`) {
		t.Errorf("unknown input: %v", err)
	}
	_, err = enginetest.Materialize(ctx, bigOrders(alloc), enginetest.Options{Resources: greet,
		Inputs: map[string]any{"orders": in}, Config: limitConfig{Min: -1}})
	if !errors.Is(err, errTooLow) {
		t.Errorf("invalid config: errors.Is does not find the Validate error in %v", err)
	}
	_, err = enginetest.Materialize(ctx, bigOrders(alloc), enginetest.Options{Inputs: map[string]any{"orders": in}})
	if err == nil || !strings.Contains(err.Error(), `"greeter"`) {
		t.Errorf("unbound resource: %v", err)
	}
	// The asset fails: the error and the events come back.
	failing := engine.Asset{Name: "x", Compute: func(*engine.Context) (any, error) { return nil, errors.New("boom") }}
	res, err := enginetest.Materialize(ctx, failing, enginetest.Options{})
	if err == nil || !strings.Contains(err.Error(), "boom") || res.Step.Status != engine.StepFailure || res.Output != nil {
		t.Errorf("failing asset: %v, %+v", err, res)
	}
}

func TestRunOp(t *testing.T) {
	double := engine.Op{Name: "double", Ins: []engine.In{{Name: "start", Nothing: true}, {Name: "n"}},
		Config: engine.ConfigOf(struct {
			Times int `yaml:"times"`
		}{Times: 2}),
		Compute: func(ctx *engine.Context) (any, error) {
			n, err := engine.Input[int](ctx, "n")
			if err != nil {
				return nil, err
			}
			ctx.AddMetadata("seen", n)
			return n * 2, nil
		}}
	res, err := enginetest.RunOp(context.Background(), double, enginetest.Options{Inputs: map[string]any{"n": 21}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != 42 || res.Step.Status != engine.StepSuccess {
		t.Errorf("output %v, step %+v", res.Output, res.Step)
	}
	if _, err := enginetest.RunOp(context.Background(), double, enginetest.Options{}); err == nil || !strings.Contains(err.Error(), "takes input n") {
		t.Errorf("missing input: %v", err)
	}
	if _, err := enginetest.RunOp(context.Background(), double, enginetest.Options{Inputs: map[string]any{"n": 1},
		Config: map[string]any{"times": "many"}}); err == nil || !strings.Contains(err.Error(), "times") {
		t.Errorf("bad config: %v", err)
	}
}

// The IOManager keeps what it stores whole after the engine releases its
// references, and its counters see every call.
func TestIOManager(t *testing.T) {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	m := &enginetest.IOManager{}
	tbl := orders(t, alloc, 1, 2, 3)
	mat, err := m.Store(context.Background(), "orders", tbl)
	tbl.Release() // the caller's reference; the manager holds its own
	if err != nil || mat.Rows != 3 {
		t.Fatalf("store: %v %+v", err, mat)
	}
	v, err := m.Load(context.Background(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if got := amounts(t, v); len(got) != 3 {
		t.Errorf("loaded %v", got)
	}
	v.(arrow.Table).Release()
	if _, err := m.Load(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing asset: %v", err)
	}
	if m.Stores("orders") != 1 || m.Loads("orders") != 1 || len(m.Assets()) != 1 {
		t.Errorf("counts: %d stores, %d loads, assets %v", m.Stores("orders"), m.Loads("orders"), m.Assets())
	}
	m.Release()
}
