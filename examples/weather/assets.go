package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/csv"
	"github.com/apache/arrow/go/v15/arrow/scalar"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/sqlasset"
)

// Group is the asset group of the weather assets.
const Group = "weather"

// Assets returns the weather assets.
func Assets() []engine.Asset {
	return []engine.Asset{Readings(), DailyStations(), HotDays()}
}

//go:embed data/readings.csv
var readingsCSV []byte

// ReadingSchema is the schema of data/readings.csv.
var ReadingSchema = arrow.NewSchema([]arrow.Field{
	{Name: "day", Type: arrow.BinaryTypes.String},
	{Name: "station", Type: arrow.BinaryTypes.String},
	{Name: "temp_c", Type: arrow.PrimitiveTypes.Float64},
	{Name: "rain_mm", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// Readings is a Go asset: the bundled CSV as a table.
func Readings() engine.Asset {
	return engine.Asset{
		Name:        "readings",
		Description: "weather readings of data/readings.csv: day, station, temperature, rain",
		Group:       Group,
		CodeVersion: "1", // bumped when the logic changes, so --select changed rebuilds it
		Compute: func(ctx *engine.Context) (any, error) {
			return ReadReadings(bytes.NewReader(readingsCSV))
		},
	}
}

// ReadReadings reads readings CSV (with a header line); an empty cell is a
// null, e.g. a reading without a rain gauge. The caller releases the table.
func ReadReadings(r io.Reader) (arrow.Table, error) {
	rd := csv.NewReader(r, ReadingSchema, csv.WithHeader(true), csv.WithChunk(4096), csv.WithNullReader(true, ""))
	defer rd.Release()
	var recs []arrow.Record
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	for rd.Next() {
		rec := rd.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("readings CSV: %w", err)
	}
	return array.NewTableFromRecords(ReadingSchema, recs), nil
}

// DailyStations is a SQL asset: it aggregates the readings per station and
// day inside the warehouse, where the readings table lives; no row passes
// through Go. Column names are quoted: the tables keep them in lower case on
// DuckDB and Snowflake alike.
func DailyStations() engine.Asset {
	return sqlasset.Must(sqlasset.Definition{
		Name:        "daily_stations",
		Description: "per station and day: readings, lowest and highest temperature, total rain",
		Group:       Group,
		Key:         []string{"day", "station"},
		Checks:      []engine.Check{warehouse.Unique(engine.SeverityError, "day", "station")},
		SQL: `SELECT "day", "station", count(*) AS "readings",
       min("temp_c") AS "min_temp_c", max("temp_c") AS "max_temp_c",
       coalesce(sum("rain_mm"), 0) AS "rain_mm"
FROM {{ ref "readings" }}
GROUP BY "day", "station"
ORDER BY "day", "station"`,
	}.Asset())
}

// HotConfig configures hot_days.
type HotConfig struct {
	ThresholdC float64 `yaml:"threshold_c" doc:"a day is hot at a station when its highest temperature reaches this, in °C"`
}

// Validate keeps the threshold to temperatures that occur on Earth.
func (c HotConfig) Validate() error {
	if c.ThresholdC < -90 || c.ThresholdC > 60 {
		return fmt.Errorf("threshold_c = %g: expected a temperature from -90 to 60", c.ThresholdC)
	}
	return nil
}

// HotDays is a Go asset with config: the station days at or above the
// threshold.
func HotDays() engine.Asset {
	return engine.Asset{
		Name:        "hot_days",
		Description: "the station days whose highest temperature reached threshold_c",
		Group:       Group,
		CodeVersion: "1",
		Deps:        []string{"daily_stations"},
		Config:      engine.ConfigOf(HotConfig{ThresholdC: 30}),
		Compute: func(ctx *engine.Context) (any, error) {
			cfg, err := engine.Config[HotConfig](ctx)
			if err != nil {
				return nil, err
			}
			daily, err := engine.Input[arrow.Table](ctx, "daily_stations")
			if err != nil {
				return nil, err
			}
			out, n, err := hot(ctx, daily, cfg.ThresholdC)
			if err != nil {
				return nil, err
			}
			ctx.AddMetadata("threshold_c", cfg.ThresholdC)
			ctx.AddMetadata("hot_days", n)
			return out, nil
		},
	}
}

// hot keeps the rows of daily whose max_temp_c reaches threshold, with Arrow's
// compute kernels.
func hot(ctx context.Context, daily arrow.Table, threshold float64) (arrow.Table, int, error) {
	idx := daily.Schema().FieldIndices("max_temp_c")
	if len(idx) != 1 {
		return nil, 0, fmt.Errorf("daily_stations has no max_temp_c column")
	}
	mask, err := compute.CallFunction(ctx, "greater_equal", nil,
		compute.NewDatum(daily.Column(idx[0]).Data()), compute.NewDatum(scalar.NewFloat64Scalar(threshold)))
	if err != nil {
		return nil, 0, fmt.Errorf("hot days: %w", err)
	}
	defer mask.Release()
	out, err := compute.FilterTable(ctx, daily, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, 0, fmt.Errorf("hot days: %w", err)
	}
	return out, int(out.NumRows()), nil
}
