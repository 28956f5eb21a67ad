package bench

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

const sfUser, sfPassword = "BENCH", "bench-password"

// snowflakeTarget is where the Snowflake benchmarks write.
var snowflakeTarget = warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}

// startDouble starts the local Snowflake test double with every real-account
// feature on, except that threshold < 0 turns the stage binding threshold off.
func startDouble(dir string, threshold int) (*sfserver.Server, error) {
	return sfserver.Start(context.Background(), sfserver.Config{Dir: dir, Users: map[string]string{sfUser: sfPassword},
		Databases: []string{"PRODUCTION"}, StageBindThreshold: threshold})
}

func openSnowflake(srv *sfserver.Server, bulkRows int) (*snowflake.Warehouse, error) {
	return snowflake.Open(context.Background(), snowflake.Config{Account: "local", User: sfUser, Password: sfPassword,
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", RequestTimeout: 10 * time.Minute, BulkLoadRows: bulkRows})
}

// SnowflakeWrite measures writing n item rows through the real driver to the
// local double, three ways: array binds kept inline (an account that sends no
// threshold), array binds through the temporary stage (a real account's
// threshold), and Parquet + PUT + COPY INTO.
func SnowflakeWrite(dir string, n, runs int) (Scenario, error) {
	tbl := warehousetest.Items(n)
	defer tbl.Release()
	measure := func(name string, threshold, bulkRows int) (Sample, error) {
		srv, err := startDouble(filepath.Join(dir, name), threshold)
		if err != nil {
			return nil, err
		}
		defer srv.Close()
		w, err := openSnowflake(srv, bulkRows)
		if err != nil {
			return nil, err
		}
		defer w.Close()
		return repeat(runs, func() (float64, error) {
			start := time.Now()
			err := w.WriteTable(context.Background(), snowflakeTarget, tbl)
			return float64(n) / time.Since(start).Seconds(), err
		})
	}
	inline, err := measure("inline", -1, -1)
	if err != nil {
		return Scenario{}, fmt.Errorf("inline binds: %w", err)
	}
	staged, err := measure("stage", 0, -1)
	if err != nil {
		return Scenario{}, fmt.Errorf("stage binds: %w", err)
	}
	bulk, err := measure("bulk", 0, 1)
	if err != nil {
		return Scenario{}, fmt.Errorf("bulk load: %w", err)
	}
	c := fmt.Sprintf("%d rows, Parquet + PUT + COPY", n)
	return Scenario{Title: "Snowflake write",
		Note: fmt.Sprintf("Median of %d runs. ", runs) + "Item rows written by the Snowflake backend through the real gosnowflake driver to the local test double (DuckDB behind a Snowflake-shaped HTTP API on 127.0.0.1): Parquet files PUT to a temporary stage and loaded by COPY INTO, against array binds of 10,000 rows kept inline (no threshold) and sent through the bind stage (the 65,280-value threshold of a real account), as rows/s. The double's costs are DuckDB's, not Snowflake's: compare the paths, not the absolute figures.",
		Rows: []Row{
			{Case: c, Unit: "rows/s", Ours: bulk, Baseline: inline, Base: "array binds, inline"},
			{Case: c, Unit: "rows/s", Ours: bulk, Baseline: staged, Base: "array binds, through the stage"},
		}}, nil
}

// SnowflakeRead measures reading n item rows back: ReadTable's Arrow batches
// against scanning the same query row by row through database/sql.
func SnowflakeRead(dir string, n, runs int) (Scenario, error) {
	tbl := warehousetest.Items(n)
	defer tbl.Release()
	srv, err := startDouble(dir, 0)
	if err != nil {
		return Scenario{}, err
	}
	defer srv.Close()
	w, err := openSnowflake(srv, 1)
	if err != nil {
		return Scenario{}, err
	}
	defer w.Close()
	if err := w.WriteTable(context.Background(), snowflakeTarget, tbl); err != nil {
		return Scenario{}, err
	}
	check := func(t arrow.Table, err error) error {
		if err != nil {
			return err
		}
		defer t.Release()
		if t.NumRows() != int64(n) {
			return fmt.Errorf("read %d of %d rows", t.NumRows(), n)
		}
		return nil
	}
	ours, err := repeat(runs, func() (float64, error) {
		start := time.Now()
		err := check(w.ReadTable(context.Background(), snowflakeTarget))
		return float64(n) / time.Since(start).Seconds(), err
	})
	if err != nil {
		return Scenario{}, fmt.Errorf("arrow batches: %w", err)
	}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "local", User: sfUser, Password: sfPassword,
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", Params: map[string]*string{}, DisableTelemetry: true,
		RequestTimeout: 10 * time.Minute}))
	defer db.Close()
	base, err := repeat(runs, func() (float64, error) {
		start := time.Now()
		err := check(scanRows(db))
		return float64(n) / time.Since(start).Seconds(), err
	})
	if err != nil {
		return Scenario{}, fmt.Errorf("row scan: %w", err)
	}
	return Scenario{Title: "Snowflake read",
		Note: fmt.Sprintf("Median of %d runs. ", runs) + "Item rows read back through the real driver from the local test double, answered in Arrow chunks as a real account answers: ReadTable's Arrow record batches converted column by column, against database/sql's row-by-row scan of the same query into the same Arrow table, as rows/s.",
		Rows: []Row{{Case: fmt.Sprintf("%d rows", n), Unit: "rows/s", Ours: ours, Baseline: base, Base: "row-by-row scan"}}}, nil
}

// scanRows is the row-by-row read the backend did before Arrow batches (it
// still does for an account that answers in JSON).
func scanRows(db *sql.DB) (arrow.Table, error) {
	rows, err := db.Query("SELECT * FROM " + snowflakeTarget.Quoted() + " ORDER BY 1")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return snowflake.ReadRows(rows)
}

// SnowflakeThreshold measures, at each table size, a bulk load (Parquet +
// PUT + COPY) against array binds as a real account takes them (through the
// stage above 65,280 values): where the bulk load starts to win is where
// the Snowflake backend switches to bulk loads by default.
func SnowflakeThreshold(dir string, sizes []int, runs int) (Scenario, error) {
	sc := Scenario{Title: "Snowflake bulk-load threshold",
		Note: fmt.Sprintf("Median of %d runs. Item rows written through the real driver to the local double: Parquet + PUT + COPY INTO against array binds of 10,000 rows (through the stage, as with a real account's threshold), as rows/s, at each table size. The double has no network latency; a real account adds a round trip per statement, which favours the bulk load (one PUT per 256 Ki rows and one COPY, against a stage, a PUT and an INSERT per 10,000 rows).", runs)}
	for _, n := range sizes {
		tbl := warehousetest.Items(n)
		measure := func(name string, bulkRows int) (Sample, error) {
			srv, err := startDouble(filepath.Join(dir, fmt.Sprintf("%s-%d", name, n)), 0)
			if err != nil {
				return nil, err
			}
			defer srv.Close()
			w, err := openSnowflake(srv, bulkRows)
			if err != nil {
				return nil, err
			}
			defer w.Close()
			return repeat(runs, func() (float64, error) {
				start := time.Now()
				err := w.WriteTable(context.Background(), snowflakeTarget, tbl)
				return float64(n) / time.Since(start).Seconds(), err
			})
		}
		bulk, err := measure("bulk", 1)
		if err != nil {
			tbl.Release()
			return sc, err
		}
		binds, err := measure("binds", -1)
		tbl.Release()
		if err != nil {
			return sc, err
		}
		sc.Rows = append(sc.Rows, Row{Case: fmt.Sprintf("%d rows, Parquet + PUT + COPY", n), Unit: "rows/s", Ours: bulk,
			Baseline: binds, Base: "array binds, through the stage"})
	}
	return sc, nil
}
