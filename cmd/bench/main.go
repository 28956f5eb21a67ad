// Command bench runs assetflow's benchmark suite and writes BENCHMARKS.md and
// PNG charts: every scenario beside its baseline, measured in the same run.
//
//	go run ./cmd/bench            # the full suite, a few minutes
//	go run ./cmd/bench --quick    # under a minute, for CI (numbers not for quoting)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/assetflow/assetflow/internal/bench"
)

func main() {
	quick := flag.Bool("quick", false, "smaller sizes and fewer runs (under a minute)")
	out := flag.String("out", ".", "folder for BENCHMARKS.md and benchmarks/*.png")
	flag.Parse()
	if err := run(*quick, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sizes of each scenario, full and quick.
type sizes struct {
	runs          int
	dags          []int
	fetchItems    int
	fetchLimits   []int
	writeRows     int
	snowflakeRows int
	// table sizes at which bulk loads and array binds are compared
	snowflakeThresholds []int
	cloneRows           []int
	sqlItems            int
	sqlRemote           int // items through the Snowflake double
	diffRows            int
}

func run(quick bool, out string) error {
	s := sizes{runs: 5, dags: []int{100, 1_000, 10_000, 100_000}, fetchItems: 2000, fetchLimits: []int{1, 8, 32, 64, 128},
		writeRows: 1_000_000, snowflakeRows: 1_000_000,
		snowflakeThresholds: []int{10_000, 25_000, 50_000, 100_000, 200_000}, cloneRows: []int{10_000, 100_000, 1_000_000},
		sqlItems: 1_000_000, sqlRemote: 20_000, diffRows: 1_000_000}
	if quick {
		s = sizes{runs: 3, dags: []int{100, 1_000, 10_000}, fetchItems: 256, fetchLimits: []int{8, 64},
			writeRows: 100_000, snowflakeRows: 20_000,
			snowflakeThresholds: []int{10_000, 50_000}, cloneRows: []int{10_000, 100_000}, sqlItems: 100_000, sqlRemote: 2_000, diffRows: 100_000}
	}
	tmp, err := os.MkdirTemp("", "assetflow-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	runBinary := filepath.Join(tmp, "run")
	if b, err := exec.Command("go", "build", "-o", runBinary, "github.com/assetflow/assetflow/cmd/run").CombinedOutput(); err != nil {
		return fmt.Errorf("build run: %v: %s", err, b)
	}
	charts := filepath.Join(out, "benchmarks")
	var scenarios []bench.Scenario
	step := func(name string) { fmt.Fprintf(os.Stderr, "bench: %s\n", name) }

	step("scheduling")
	sched, err := bench.Scheduling(s.dags, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, sched)
	xs, ours, base := []float64{}, []float64{}, []float64{}
	for i, r := range sched.Rows {
		xs = append(xs, float64(s.dags[i]))
		ours, base = append(ours, r.Ours.Median()), append(base, r.Baseline.Median())
	}
	if err := bench.LineChart(filepath.Join(charts, sched.Chart), "Scheduling overhead", "nodes in the DAG", "ns per node", xs,
		map[string][]float64{"assetflow": ours, "level by level": base}, true); err != nil {
		return err
	}

	step("makespan")
	mk, err := bench.Makespan(s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, mk)

	step("fetch")
	fetch, rates, err := bench.Fetch(s.fetchItems, s.fetchLimits, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, fetch)
	xs, ideal := []float64{}, []float64{}
	for i, r := range fetch.Rows {
		xs, ideal = append(xs, float64(s.fetchLimits[i])), append(ideal, r.Baseline.Median())
	}
	if err := bench.LineChart(filepath.Join(charts, fetch.Chart), "Fetch", "concurrency", "items/s", xs,
		map[string][]float64{"assetflow": rates, "ideal": ideal}, true); err != nil {
		return err
	}

	step("write")
	write, err := bench.Write(filepath.Join(tmp, "write"), s.writeRows, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, write)

	if err := snowflakeScenarios(&scenarios, filepath.Join(tmp, "snowflake"), s, step); err != nil {
		return err
	}

	step("clone")
	clone, times, err := bench.Clone(filepath.Join(tmp, "clone"), s.cloneRows, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, clone)
	xs, cp := []float64{}, []float64{}
	for i, r := range clone.Rows {
		xs, cp = append(xs, float64(s.cloneRows[i])), append(cp, r.Baseline.Median())
	}
	if err := bench.LineChart(filepath.Join(charts, clone.Chart), "Clone time against database size", "rows", "ms", xs,
		map[string][]float64{"assetflow clone": times, "cp": cp}, true); err != nil {
		return err
	}

	step("sql assets")
	sqlAssets, err := bench.SQLAsset(filepath.Join(tmp, "sql"), s.sqlItems, s.sqlRemote, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, sqlAssets)

	step("diff")
	df, err := bench.Diff(filepath.Join(tmp, "diff"), s.diffRows, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, df)

	step("startup")
	st, err := bench.Startup(runBinary, s.runs)
	if err != nil {
		return err
	}
	scenarios = append(scenarios, st)

	f, err := os.Create(filepath.Join(out, "BENCHMARKS.md"))
	if err != nil {
		return err
	}
	if err := bench.WriteReport(f, scenarios, s.runs, quick); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s and %s\n", f.Name(), charts)
	return f.Close()
}
