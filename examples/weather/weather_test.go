package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/engine/enginetest"
	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// Unit tests: each asset alone. daily_stations is a SQL asset, so it runs in a
// warehouse of its own (an embedded DuckDB in a temporary folder, filled with
// the given readings by enginetest through the warehouse I/O manager); hot_days
// runs in memory.

func TestDailyStationsInDuckDB(t *testing.T) {
	ctx := context.Background()
	wh, err := duckdb.Open(ctx, duckdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	io := &warehouse.IOManager{Warehouse: wh, Database: warehouse.Production, Schema: Schema}
	readings, err := ReadReadings(strings.NewReader("day,station,temp_c,rain_mm\n" +
		"2026-07-02,oslo,11.5,\n2026-07-01,oslo,9,1.5\n2026-07-01,oslo,14,2\n2026-07-01,cairo,31,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer readings.Release()
	res, err := enginetest.Materialize(ctx, DailyStations(), enginetest.Options{
		Inputs: map[string]any{"readings": readings}, IOManager: io, Checks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if m := res.Materialization; m.Location != "PRODUCTION.WEATHER.DAILY_STATIONS" || m.Rows != 3 || res.Metadata["computed_in"] != "duckdb" {
		t.Errorf("materialization %+v, metadata %v", m, res.Metadata)
	}
	v, err := io.Load(ctx, "daily_stations")
	if err != nil {
		t.Fatal(err)
	}
	daily := v.(arrow.Table)
	defer daily.Release()
	got := rows(t, daily)
	sort.Strings(got)
	want := "2026-07-01 cairo 1 31 31 0|2026-07-01 oslo 2 9 14 3.5|2026-07-02 oslo 1 11.5 11.5 0"
	if strings.Join(got, "|") != want {
		t.Errorf("daily rows\n got %q\nwant %q", strings.Join(got, "|"), want)
	}
}

func TestHotDaysInMemory(t *testing.T) {
	daily := dailyTable(t, "2026-07-01 oslo 19", "2026-07-01 cairo 31", "2026-07-02 cairo 25")
	defer daily.Release()
	for threshold, want := range map[float64]int{30: 1, 25: 2, 0: 3, 40: 0} {
		res, err := enginetest.Materialize(context.Background(), HotDays(), enginetest.Options{
			Inputs: map[string]any{"daily_stations": daily}, Config: HotConfig{ThresholdC: threshold}})
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Output.(arrow.Table).NumRows(); n != int64(want) || res.Metadata["hot_days"] != want {
			t.Errorf("threshold %g: %d rows, metadata %v; want %d", threshold, n, res.Metadata, want)
		}
		res.Release()
	}
	_, err := enginetest.Materialize(context.Background(), HotDays(), enginetest.Options{
		Inputs: map[string]any{"daily_stations": daily}, Config: map[string]any{"threshold_c": 99}})
	var de *engine.DefinitionError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "threshold_c = 99: expected a temperature from -90 to 60") {
		t.Errorf("threshold 99: %v", err)
	}
}

// dailyTable builds a daily_stations table from "day station max_temp_c" rows,
// each with one reading.
func dailyTable(t *testing.T, rows ...string) arrow.Table {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "day", Type: arrow.BinaryTypes.String},
		{Name: "station", Type: arrow.BinaryTypes.String},
		{Name: "readings", Type: arrow.PrimitiveTypes.Int64},
		{Name: "min_temp_c", Type: arrow.PrimitiveTypes.Float64},
		{Name: "max_temp_c", Type: arrow.PrimitiveTypes.Float64},
		{Name: "rain_mm", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		f := strings.Fields(r)
		temp, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		b.Field(0).(*array.StringBuilder).Append(f[0])
		b.Field(1).(*array.StringBuilder).Append(f[1])
		b.Field(2).(*array.Int64Builder).Append(1)
		b.Field(3).(*array.Float64Builder).Append(temp)
		b.Field(4).(*array.Float64Builder).Append(temp)
		b.Field(5).(*array.Float64Builder).Append(0)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return array.NewTableFromRecords(schema, []arrow.Record{rec})
}

func rows(t *testing.T, tbl arrow.Table) []string {
	t.Helper()
	var out []string
	for r := 0; r < int(tbl.NumRows()); r++ {
		var cells []string
		for c := 0; c < int(tbl.NumCols()); c++ {
			cells = append(cells, tbl.Column(c).Data().Chunk(0).ValueStr(r))
		}
		out = append(out, strings.Join(cells, " "))
	}
	return out
}

// expectedFromCSV reads the bundled CSV on its own: the number of station days,
// and how many reach threshold.
func expectedFromCSV(t *testing.T, threshold float64) (stationDays, hot int) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(readingsCSV)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	maxT := map[string]float64{}
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		k := r[0] + "/" + r[1]
		if old, ok := maxT[k]; !ok || v > old {
			maxT[k] = v
		}
	}
	for _, v := range maxT {
		if v >= threshold {
			hot++
		}
	}
	return len(maxT), hot
}

// The whole command line, in process, as the project's binary runs it.

type project struct {
	t    *testing.T
	vars map[string]string
}

func (p *project) run(extra map[string]string, args ...string) (int, string, string) {
	p.t.Helper()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) {
		if v, ok := extra[k]; ok {
			return v, true
		}
		v, ok := p.vars[k]
		return v, ok
	}
	code := cli.Run(context.Background(), app, append(args, "--log-format", "json"), &out, &errOut, lookup)
	return code, out.String(), errOut.String()
}

func (p *project) must(extra map[string]string, args ...string) string {
	p.t.Helper()
	code, out, errOut := p.run(extra, args...)
	if code != 0 {
		p.t.Fatalf("weather %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// status returns each asset's table and row count, as graph --status reports them.
func (p *project) status(extra map[string]string) map[string]engine.AssetStatus {
	p.t.Helper()
	var v engine.GraphView
	if err := json.Unmarshal([]byte(p.must(extra, "graph", "--status", "--format", "json")), &v); err != nil {
		p.t.Fatal(err)
	}
	out := map[string]engine.AssetStatus{}
	for _, a := range v.Assets {
		if a.Status != nil {
			out[a.Name] = *a.Status
		}
	}
	return out
}

// The example materializes on both backends, in prod and in a pull request's
// clone, with numbers that match the CSV read independently.
func TestWeatherProjectEndToEnd(t *testing.T) {
	backends := map[string]func(t *testing.T, dir string) map[string]string{
		"duckdb": func(t *testing.T, dir string) map[string]string {
			return map[string]string{"ASSETFLOW_WAREHOUSE": "duckdb://" + filepath.Join(dir, "warehouse")}
		},
		"snowflake": func(t *testing.T, dir string) map[string]string {
			srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: filepath.Join(dir, "sf"),
				Users: map[string]string{"CI": "pw"}, Databases: []string{"PRODUCTION"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			return map[string]string{"SYSTEM_SNOWFLAKE_PASSWORD": "pw",
				"ASSETFLOW_WAREHOUSE": fmt.Sprintf("snowflake://CI@local?host=127.0.0.1&port=%d&protocol=http", srv.Port())}
		},
	}
	for name, backend := range backends {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := &project{t: t, vars: backend(t, dir)}
			p.vars["ASSETFLOW_RUNS"] = filepath.Join(dir, "runs.db")
			out := p.must(nil, "assets")
			days, hot30 := expectedFromCSV(t, 30)
			for _, want := range []string{"PRODUCTION.WEATHER.READINGS: 160 rows", "checks: 1 passed, 0 failed",
				fmt.Sprintf("PRODUCTION.WEATHER.DAILY_STATIONS: %d rows", days),
				fmt.Sprintf("PRODUCTION.WEATHER.HOT_DAYS: %d rows", hot30)} {
				if !strings.Contains(out, want) {
					t.Errorf("summary lacks %q:\n%s", want, out)
				}
			}
			if hot30 == 0 || hot30 == days {
				t.Fatalf("the CSV makes a poor test: %d hot days of %d", hot30, days)
			}

			// A pull request's clone: its own threshold, production untouched.
			branch := map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1", "DAGSTER_CLOUD_PULL_REQUEST_ID": "7"}
			p.must(branch, "job", "clone_prod")
			// The SQL asset reads the clone's readings and writes the clone's table.
			out = p.must(branch, "assets", "--select", "daily_stations+", "--set", "hot_days.threshold_c=20")
			for _, want := range []string{fmt.Sprintf("PRODUCTION_CLONE_7.WEATHER.DAILY_STATIONS: %d rows", days),
				"daily_stations:unique_day_station", "checks: 1 passed, 0 failed"} {
				if !strings.Contains(out, want) {
					t.Errorf("branch summary lacks %q:\n%s", want, out)
				}
			}
			_, hot20 := expectedFromCSV(t, 20)
			clone, prod := p.status(branch), p.status(nil)
			if s := clone["daily_stations"]; s.Location != "PRODUCTION_CLONE_7.WEATHER.DAILY_STATIONS" || s.Rows != int64(days) {
				t.Errorf("clone daily_stations %+v, want %d rows", s, days)
			}
			if s := clone["hot_days"]; s.Location != "PRODUCTION_CLONE_7.WEATHER.HOT_DAYS" || s.Rows != int64(hot20) {
				t.Errorf("clone hot_days %+v, want %d rows", s, hot20)
			}
			if s := prod["hot_days"]; s.Location != "PRODUCTION.WEATHER.HOT_DAYS" || s.Rows != int64(hot30) {
				t.Errorf("production hot_days %+v, want %d rows (untouched)", s, hot30)
			}
			if code, _, errOut := p.run(branch, "assets", "--set", "hot_days.threshold_c=99"); code != 2 || !strings.Contains(errOut, "threshold_c = 99") {
				t.Errorf("bad threshold: exit %d: %s", code, errOut)
			}
			p.must(branch, "job", "drop_prod_clone")
			if runs := p.must(nil, "runs"); strings.Count(runs, "SUCCESS") < 4 {
				t.Errorf("runs:\n%s", runs)
			}
		})
	}
}
