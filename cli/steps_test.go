package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// stepMids is how many assets sit between base and last: 200 steps in all.
const stepMids = 198

// stepsDefinitions is a project whose steps pass data only through the
// embedded warehouse: base is a table of 1, 2, 3; each m<i> reads it and adds
// i; last reads every m<i> and checks its sum. Each compute appends to the
// ledger ("run node pid") when it ends, and to ledger.start when it begins.
func stepsDefinitions(env cli.Env) (engine.Definitions, error) {
	sleep, _ := env.Lookup("ASSETFLOW_TEST_SLEEP")
	pause, _ := time.ParseDuration(sleep)
	ledger, _ := env.Lookup("ASSETFLOW_TEST_LEDGER")
	noop, _ := env.Lookup("ASSETFLOW_TEST_NOOP") // steps store nothing: the queue's own cost
	res, err := resources.Warehouse(env.Environment, "QFLOW", env.Options())
	if err != nil {
		return engine.Definitions{}, err
	}
	note := func(ctx *engine.Context, file string) error {
		if ledger == "" {
			return nil
		}
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = fmt.Fprintf(f, "%s %s %d\n", ctx.RunID, ctx.Node, os.Getpid())
		return err
	}
	step := func(ctx *engine.Context, compute func() (arrow.Table, error)) (any, error) {
		if err := note(ctx, ledger+".start"); err != nil {
			return nil, err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if noop == "1" {
			return nil, note(ctx, ledger)
		}
		t, err := compute()
		if err != nil {
			return nil, err
		}
		return t, note(ctx, ledger)
	}
	assets := []engine.Asset{{Name: "base", Compute: func(ctx *engine.Context) (any, error) {
		return step(ctx, func() (arrow.Table, error) { return intTable(1, 2, 3), nil })
	}}}
	var mids []string
	for i := range stepMids {
		name := fmt.Sprintf("m%03d", i)
		mids = append(mids, name)
		assets = append(assets, engine.Asset{Name: name, Deps: []string{"base"}, Compute: func(ctx *engine.Context) (any, error) {
			return step(ctx, func() (arrow.Table, error) {
				base, err := engine.Input[arrow.Table](ctx, "base")
				if err != nil {
					return nil, err
				}
				var out []int64
				for _, v := range ints(base) {
					out = append(out, v+int64(i))
				}
				return intTable(out...), nil
			})
		}})
	}
	assets = append(assets, engine.Asset{Name: "last", Deps: mids, Compute: func(ctx *engine.Context) (any, error) {
		return step(ctx, func() (arrow.Table, error) {
			for i, name := range mids {
				m, err := engine.Input[arrow.Table](ctx, name)
				if err != nil {
					return nil, err
				}
				var sum int64
				for _, v := range ints(m) {
					sum += v
				}
				if want := int64(6 + 3*i); sum != want {
					return nil, fmt.Errorf("%s sums to %d, want %d", name, sum, want)
				}
			}
			return intTable(int64(len(mids))), nil
		})
	}})
	return engine.Definitions{Assets: assets, Resources: res}, nil
}

func intTable(vals ...int64) arrow.Table {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(vals, nil)
	rec := b.NewRecord()
	defer rec.Release()
	return array.NewTableFromRecords(schema, []arrow.Record{rec})
}

func ints(t arrow.Table) []int64 {
	var out []int64
	for _, chunk := range t.Column(0).Data().Chunks() {
		switch a := chunk.(type) {
		case *array.Int64:
			out = append(out, a.Int64Values()...)
		case *array.Int32:
			for _, v := range a.Int32Values() {
				out = append(out, int64(v))
			}
		}
	}
	return out
}

// newStepsRig is a rig whose project is stepsDefinitions, on a warehouse
// folder of its own.
func newStepsRig(t testing.TB, sleep time.Duration, backend string) *queueRig {
	r := newQueueRigOn(t, sleep, backend)
	r.vars["ASSETFLOW_TEST_APP"] = "steps"
	r.vars["ASSETFLOW_WAREHOUSE"] = "duckdb://" + filepath.Join(t.TempDir(), "warehouse")
	r.vars["ASSETFLOW_LOCK_WAIT"] = "5m" // steps of every worker take turns on the one database file
	return r
}

// starts reads ledger.start: which process began each run's step.
func (r *queueRig) starts() map[string][]string {
	r.t.Helper()
	b, err := os.ReadFile(r.ledger + ".start")
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		out[f[0]+" "+f[1]] = append(out[f[0]+" "+f[1]], f[2])
	}
	return out
}

// A run of 200 steps spread over three worker processes: each step is a
// queue job of its own, taken by whichever worker is free, and its inputs
// come through the warehouse. The run succeeds, every step succeeds once, the
// steps ran on more than one worker, and last saw every m<i> as written by
// another step.
func TestDistributedStepsOnThreeWorkers(t *testing.T) {
	eachInstance(t, testDistributedStepsOnThreeWorkers)
}

func testDistributedStepsOnThreeWorkers(t *testing.T, backend string) {
	r := newStepsRig(t, 0, backend)
	for range 3 {
		r.startWorker("--concurrency", "2")
	}
	id := r.enqueue("assets", "--queue", "--distribute", "steps")
	r.waitFor("the 200-step run to end", 6*time.Minute, func() bool { return r.ended([]string{id}) })
	repeated, workers := r.checkRuns([]string{id})
	if repeated != 0 {
		t.Errorf("%d step executions repeated with no worker killed", repeated)
	}
	if len(workers) < 2 {
		t.Errorf("the run's steps were not spread over workers: %v", workers)
	}
	d, err := r.store.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Distributed || len(d.Steps) != stepMids+2 || len(d.Materialization) != stepMids+2 {
		t.Errorf("run %s: distributed %v, %d steps, %d materializations", id, d.Distributed, len(d.Steps), len(d.Materialization))
	}
	code, out, _ := r.cli("runs")
	if code != 0 || !strings.Contains(out, "steps on workers") {
		t.Errorf("runs: %d\n%s", code, out)
	}
	t.Logf("200 steps on %d workers", len(workers))
}

// A worker killed with kill -9 while it runs a step: the step is taken over
// by another worker once River hands its job on and its heartbeat is stale;
// the run succeeds and every step succeeds exactly once.
func TestDistributedStepSurvivesKilledWorker(t *testing.T) {
	r := newStepsRig(t, 200*time.Millisecond, "postgres")
	byPID := map[string]*exec.Cmd{}
	for range 3 {
		w := r.startWorker("--concurrency", "2")
		byPID[strconv.Itoa(w.Process.Pid)] = w
	}
	id := r.enqueue("assets", "--queue", "--distribute", "steps")
	// Wait for a worker in the middle of a step, after 20 steps ended.
	var victim string
	r.waitFor("a worker in the middle of a step", 3*time.Minute, func() bool {
		ends := r.executions()
		if len(ends) < 20 {
			return false
		}
		for step, pids := range r.starts() {
			if ends[step] == 0 && byPID[pids[0]] != nil && strings.HasPrefix(step, id) {
				victim = pids[0]
				return true
			}
		}
		return false
	})
	if err := byPID[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = byPID[victim].Wait()
	// The fault landed: a step the victim began and never ended.
	cut := ""
	for step, pids := range r.starts() {
		if pids[0] == victim && strings.HasPrefix(step, id) && r.executions()[step] == 0 {
			cut = step
		}
	}
	if cut == "" {
		t.Fatalf("the kill of %s landed between steps", victim)
	}
	r.waitFor("the run to end after the kill", 5*time.Minute, func() bool { return r.ended([]string{id}) })
	r.checkRuns([]string{id})
	if pids := r.starts()[cut]; len(pids) < 2 || pids[len(pids)-1] == victim {
		t.Errorf("step %s, cut by the kill, was begun by %v: want another worker after %s", cut, pids, victim)
	}
	t.Logf("killed worker %s in the middle of %s", victim, cut)
}

// run cancel stops a run spread over workers: the steps running end
// CANCELED, the steps not begun are cancelled, and the run ends CANCELED.
func TestCancelDistributedRun(t *testing.T) {
	r := newStepsRig(t, 300*time.Millisecond, "sqlite")
	r.startWorker("--concurrency", "1")
	id := r.enqueue("assets", "--queue", "--distribute", "steps")
	r.waitFor("a few steps to end", 2*time.Minute, func() bool { return len(r.executions()) >= 3 })
	if code, out, errOut := r.cli("cancel", id); code != 0 || !strings.Contains(out, "cancellation sent") {
		t.Fatalf("cancel: %d %q %q", code, out, errOut)
	}
	r.waitFor("the run to end", 2*time.Minute, func() bool { return r.ended([]string{id}) })
	d, err := r.store.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, st := range d.Steps {
		counts[st.Status]++
	}
	if d.Status != "CANCELED" || counts["CANCELED"] < stepMids-10 || counts["SUCCESS"] < 3 || counts["SUCCESS"]+counts["CANCELED"] != len(d.Steps) {
		t.Errorf("run %s: %s, steps %v", id, d.Status, counts)
	}
}

// What cannot be spread is refused before anything is queued, and a worker
// that reaches another warehouse folder refuses the run's steps by name.
func TestDistributeRefusals(t *testing.T) {
	r := newStepsRig(t, 0, "sqlite")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"assets", "--distribute", "steps"}, "add --queue"},
		{[]string{"assets", "--queue", "--distribute", "step"}, `--distribute "step": expected run or steps`},
	} {
		if code, _, errOut := r.cli(c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %d %q, want %q", c.args, code, errOut, c.want)
		}
	}
	r.vars["ASSETFLOW_TEST_APP"] = "" // the in-memory project: no warehouse to pass data
	if code, _, errOut := r.cli("assets", "--queue", "--distribute", "steps"); code != 2 || !strings.Contains(errOut, "binds no warehouse") {
		t.Errorf("no warehouse: %d %q", code, errOut)
	}
	r.vars["ASSETFLOW_TEST_APP"] = "steps"
	ids := []string{
		r.enqueue("assets", "--queue", "--distribute", "steps", "--select", "base"),
		r.enqueue("assets", "--queue", "--select", "base"), // a whole run is checked the same way
	}
	r.vars["ASSETFLOW_WAREHOUSE"] = "duckdb://" + filepath.Join(t.TempDir(), "elsewhere")
	r.startWorker()
	r.waitFor("the runs to end", 2*time.Minute, func() bool { return r.ended(ids) })
	for _, id := range ids {
		d, err := r.store.Run(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %s: %s %s", id, d.Status, d.Error)
		if d.Status != "FAILURE" || !strings.Contains(d.Error, "but this worker reaches") {
			t.Errorf("run %s on another warehouse: %s %q", id, d.Status, d.Error)
		}
	}
	if n := len(r.executions()); n != 0 {
		t.Errorf("%d steps executed on a worker that reaches another warehouse", n)
	}
}

// PostgreSQL restarted (every connection cut) in the middle of a run spread
// over workers: the workers reconnect, the run completes, and every step's
// success is recorded once.
func TestDistributedRunSurvivesPostgresRestart(t *testing.T) {
	r := newStepsRig(t, 100*time.Millisecond, "postgres")
	for range 2 {
		r.startWorker("--concurrency", "2")
	}
	id := r.enqueue("assets", "--queue", "--distribute", "steps")
	r.waitFor("the run to be under way", 2*time.Minute, func() bool { return len(r.executions()) >= 10 })
	r.restartMidRun(t, id)
}
