package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/assetflow/assetflow/assets"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// SQLAsset measures the Hacker News comments and stories assets over n item
// rows stored in the embedded warehouse, each a real engine run of the two
// assets with items loaded from its table: with engine: sql (CREATE TABLE AS
// SELECT inside DuckDB, then the swap) against the default Go variant (ITEMS
// loaded into Go as Arrow, filtered with Arrow compute, both tables written
// back). Both must write the same row counts. With remoteItems > 0 a second
// row does the same through the real gosnowflake driver against the local
// Snowflake double, where the round trip's rows cross HTTP both ways.
func SQLAsset(dir string, n, remoteItems, runs int) (Scenario, error) {
	ctx := context.Background()
	w, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
	if err != nil {
		return Scenario{}, err
	}
	defer w.Close()
	sc := Scenario{Title: "SQL assets",
		Note: "The comments and stories assets over N item rows, one engine run of both, items loaded from its table: " +
			"with `engine: sql` (CREATE TABLE AS SELECT inside the warehouse, then the swap; no row passes through Go); " +
			"baseline: the default Go variant, the Arrow round trip (ITEMS read into Go, filtered with Arrow compute, both tables written back), in ms. " +
			"On the embedded warehouse it is not the order of magnitude one might expect, because the filter is cheap (a count with the same WHERE takes milliseconds) and " +
			"most of the SQL variant's time is DuckDB writing the new tables' string columns into compressed storage, which both variants pay; " +
			"the SQL variant saves what the round trip adds: reading every item into Go and appending the rows back. " +
			"Through the Snowflake double (gosnowflake over HTTP on 127.0.0.1, Arrow results and staged loads) the round trip also moves every item over the wire twice, as it would to a real account."}
	row, err := sqlAssetRow(w, "embedded DuckDB", n, runs)
	if err != nil {
		return sc, err
	}
	sc.Rows = append(sc.Rows, row)
	if remoteItems > 0 {
		srv, sw, err := startSQLDouble(ctx, filepath.Join(dir, "sf"))
		if err != nil {
			return sc, err
		}
		defer srv.Close()
		defer sw.Close()
		row, err := sqlAssetRow(sw, "Snowflake double", remoteItems, runs)
		if err != nil {
			return sc, fmt.Errorf("snowflake double: %w", err)
		}
		sc.Rows = append(sc.Rows, row)
	}
	return sc, nil
}

// startSQLDouble starts the local Snowflake double and connects to it.
func startSQLDouble(ctx context.Context, dir string) (*sfserver.Server, *snowflake.Warehouse, error) {
	srv, err := sfserver.Start(ctx, sfserver.Config{Dir: dir, Users: map[string]string{"BENCH": "bench-password"}, Databases: []string{"BENCH"}})
	if err != nil {
		return nil, nil, err
	}
	w, err := snowflake.Open(ctx, snowflake.Config{Account: "local", User: "BENCH", Password: "bench-password",
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", RequestTimeout: 10 * time.Minute})
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return srv, w, nil
}

// sqlAssetRow measures both variants over n items stored in w, alternating.
func sqlAssetRow(w warehouse.Warehouse, where string, n, runs int) (Row, error) {
	ctx := context.Background()
	io := &warehouse.IOManager{Warehouse: w, Database: "BENCH", Schema: "HACKER_NEWS"}
	items := warehousetest.Items(n)
	err := w.WriteTable(ctx, io.Ref("items"), items)
	items.Release()
	if err != nil {
		return Row{}, err
	}
	cat, err := engine.Load(engine.Definitions{Env: "bench", Assets: []engine.Asset{
		{Name: "items", Compute: func(*engine.Context) (any, error) { return nil, errors.New("items is loaded, not run") }},
		withoutChecks(assets.Comments()), withoutChecks(assets.Stories()),
	}, Resources: map[string]engine.Resource{engine.DefaultIOManager: {
		Spec: io,
		Open: func(context.Context, engine.Deps) (any, error) { return io, nil },
	}}})
	if err != nil {
		return Row{}, err
	}
	plans := map[string]*engine.Plan{}
	for _, variant := range []string{"sql", "go"} {
		rc := engine.RunConfig{}
		for _, a := range []string{"comments", "stories"} {
			if err := rc.Set(a + ".engine=" + variant); err != nil {
				return Row{}, err
			}
		}
		if plans[variant], err = cat.PlanAssets("comments,stories", rc); err != nil {
			return Row{}, err
		}
	}
	// measure runs one variant once and returns its time and the rows written.
	measure := func(variant string) (float64, []int64, error) {
		start := time.Now()
		res := (&engine.Runner{}).Run(ctx, plans[variant])
		took := time.Since(start)
		if err := res.Err(); err != nil {
			return 0, nil, fmt.Errorf("%s variant: %w", variant, err)
		}
		var rows []int64
		for _, step := range res.Steps {
			if step.Materialization != nil {
				rows = append(rows, step.Materialization.Rows)
			}
		}
		return ms(took), rows, nil
	}
	// Alternate the variants' runs so that neither gets a warmer machine.
	var sqlTimes, goTimes Sample
	var sqlRows, goRows []int64
	for i := 0; i < runs; i++ {
		s, r, err := measure("sql")
		if err != nil {
			return Row{}, err
		}
		sqlTimes, sqlRows = append(sqlTimes, s), r
		g, r, err := measure("go")
		if err != nil {
			return Row{}, err
		}
		goTimes, goRows = append(goTimes, g), r
	}
	if fmt.Sprint(sqlRows) != fmt.Sprint(goRows) || len(sqlRows) != 2 || sqlRows[0] == 0 {
		return Row{}, fmt.Errorf("the variants disagree: SQL wrote %v rows, Go %v", sqlRows, goRows)
	}
	row := Row{Case: fmt.Sprintf("%s: %d items -> %d comments + %d stories", where, n, sqlRows[0], sqlRows[1]), Unit: "ms",
		Ours: sqlTimes, Baseline: goTimes, Base: "Arrow round trip (Go)", LowerWins: true}
	row.Extra = fmt.Sprintf("SQL %.1fx faster", 1/row.Ratio())
	return row, nil
}

// withoutChecks drops an asset's checks: the scenario times computing and
// storing the table, which is all the two variants differ in.
func withoutChecks(a engine.Asset) engine.Asset {
	a.Checks = nil
	return a
}
