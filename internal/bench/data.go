package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/assetflow/assetflow/assets/hackernews"
	"github.com/assetflow/assetflow/internal/memstat"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// Fetch measures the items fetch from a local server with fixed latency at each
// concurrency, against the ideal ceil(n/limit) x latency.
func Fetch(n int, limits []int, runs int) (Scenario, []float64, error) {
	const latency = 20 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		var id int64
		fmt.Sscanf(r.URL.Path, "/v0/item/%d.json", &id)
		fmt.Fprintf(w, `{"id":%d,"type":"story","by":"pg","time":1160418111,"title":"t"}`, id)
	}))
	defer srv.Close()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	sc := Scenario{Title: "Fetch", Chart: "fetch.png",
		Note: fmt.Sprintf("The items fetch of %d items from a local server answering each request after %s; baseline: the ideal ceil(n/limit) x latency, as items/s.", n, latency)}
	var rates []float64
	for _, limit := range limits {
		c := hackernews.New(hackernews.Config{BaseURL: srv.URL + "/v0", Concurrency: limit})
		r := runs
		if limit == 1 {
			r = 1 // sequential is 40 s a run; once is enough to show it
		}
		ours, err := repeat(r, func() (float64, error) {
			start := time.Now()
			got, err := c.Items(context.Background(), ids, nil)
			if err == nil && len(got.Items) != n {
				err = fmt.Errorf("fetched %d of %d", len(got.Items), n)
			}
			return float64(n) / time.Since(start).Seconds(), err
		})
		c.Close()
		if err != nil {
			return sc, nil, err
		}
		ideal := float64(n) / (math.Ceil(float64(n)/float64(limit)) * latency.Seconds())
		sc.Rows = append(sc.Rows, Row{Case: fmt.Sprintf("concurrency %d", limit), Unit: "items/s", Ours: ours,
			Baseline: Sample{ideal}, Base: "ideal"})
		rates = append(rates, ours.Median())
	}
	return sc, rates, nil
}

// Write measures writing item rows from Arrow into the embedded warehouse,
// against DuckDB loading the same rows from a Parquet file by itself.
func Write(dir string, n, runs int) (Scenario, error) {
	tbl := warehousetest.Items(n)
	defer tbl.Release()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: dir})
	if err != nil {
		return Scenario{}, err
	}
	defer w.Close()
	ref := warehouse.TableRef{Database: "BENCH", Schema: "HACKER_NEWS", Table: "ITEMS"}
	var peak int64
	ours, err := repeat(runs, func() (float64, error) {
		memstat.ResetPeak()
		start := time.Now()
		err := w.WriteTable(context.Background(), ref, tbl)
		took := time.Since(start)
		peak = max(peak, memstat.PeakRSS())
		return float64(n) / took.Seconds(), err
	})
	if err != nil {
		return Scenario{}, err
	}
	file := filepath.Join(dir, "items.parquet")
	f, err := os.Create(file)
	if err != nil {
		return Scenario{}, err
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy))
	if err := pqarrow.WriteTable(tbl, f, 64*1024, props, pqarrow.DefaultWriterProps()); err != nil {
		return Scenario{}, err
	}
	f.Close()
	if err := w.Attach(context.Background(), "BENCH", true); err != nil {
		return Scenario{}, err
	}
	base, err := repeat(runs, func() (float64, error) {
		start := time.Now()
		err := w.Exec(context.Background(), fmt.Sprintf(`CREATE OR REPLACE TABLE "BENCH"."HACKER_NEWS"."FROM_FILE" AS SELECT * FROM read_parquet('%s')`, file))
		return float64(n) / time.Since(start).Seconds(), err
	})
	if err != nil {
		return Scenario{}, err
	}
	return Scenario{Title: "Write", Note: "Item rows from an Arrow table into the embedded DuckDB warehouse (staging table, swap in one transaction); baseline: DuckDB loading the same rows from a Parquet file by itself (read_parquet), as rows/s.",
		Rows: []Row{{Case: fmt.Sprintf("%d rows", n), Unit: "rows/s", Ours: ours, Baseline: base, Base: "DuckDB read_parquet",
			Extra: fmt.Sprintf("peak RSS %d MiB", peak>>20)}}}, nil
}

// Clone measures cloning databases of the given sizes against cp of the file.
func Clone(dir string, sizes []int, runs int) (Scenario, []float64, error) {
	sc := Scenario{Title: "Clone", Chart: "clone.png", Note: "Cloning PRODUCTION in the embedded warehouse (copy under a lock to a temp file, rename into place); baseline: `cp` of the same file, in ms."}
	var times []float64
	for _, n := range sizes {
		sub := filepath.Join(dir, fmt.Sprintf("clone-%d", n))
		w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: sub})
		if err != nil {
			return sc, nil, err
		}
		tbl := warehousetest.Items(n)
		err = w.WriteTable(context.Background(), warehouse.TableRef{Database: warehouse.Production, Schema: "HACKER_NEWS", Table: "ITEMS"}, tbl)
		tbl.Release()
		if err != nil {
			w.Close()
			return sc, nil, err
		}
		ours, err := repeat(runs, func() (float64, error) {
			start := time.Now()
			_, err := w.CloneDatabase(context.Background(), warehouse.Production, "PRODUCTION_CLONE_1")
			return ms(time.Since(start)), err
		})
		w.Close()
		if err != nil {
			return sc, nil, err
		}
		src := filepath.Join(sub, "PRODUCTION.duckdb")
		base, err := repeat(runs, func() (float64, error) {
			start := time.Now()
			err := exec.Command("cp", src, filepath.Join(sub, "copy.bin")).Run()
			return ms(time.Since(start)), err
		})
		if err != nil {
			return sc, nil, err
		}
		st, _ := os.Stat(src)
		sc.Rows = append(sc.Rows, Row{Case: fmt.Sprintf("%d rows", n), Unit: "ms", Ours: ours, Baseline: base, Base: "cp",
			LowerWins: true, Extra: fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20))})
		times = append(times, ours.Median())
	}
	return sc, times, nil
}

// Startup times whole `run graph` and `run list` processes, against spawning
// /bin/true.
func Startup(runBinary string, runs int) (Scenario, error) {
	sc := Scenario{Title: "Startup", Note: "Wall time of whole processes on the real definitions (no warehouse opened); baseline: spawning /bin/true, in ms."}
	base, err := repeat(runs, func() (float64, error) {
		start := time.Now()
		err := exec.Command("true").Run()
		return ms(time.Since(start)), err
	})
	if err != nil {
		return sc, err
	}
	for _, cmd := range []string{"graph", "list"} {
		ours, err := repeat(runs, func() (float64, error) {
			c := exec.Command(runBinary, cmd)
			c.Env = []string{"ASSETFLOW_HN_SNAPSHOT=x", "ASSETFLOW_RUNS=" + filepath.Join(os.TempDir(), "assetflow-bench-none.db")}
			start := time.Now()
			out, err := c.CombinedOutput()
			if err != nil {
				err = fmt.Errorf("run %s: %v: %s", cmd, err, out)
			}
			return ms(time.Since(start)), err
		})
		if err != nil {
			return sc, err
		}
		sc.Rows = append(sc.Rows, Row{Case: "run " + cmd, Unit: "ms", Ours: ours, Baseline: base, Base: "/bin/true", LowerWins: true})
	}
	return sc, nil
}
