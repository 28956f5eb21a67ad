package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/csv"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/arrow/scalar"

	"github.com/assetflow/assetflow/engine"
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
		Compute: func(ctx *engine.Context) (any, error) {
			return ReadReadings(bytes.NewReader(readingsCSV))
		},
	}
}

// ReadReadings reads readings CSV (with a header line). The caller releases the
// table.
func ReadReadings(r io.Reader) (arrow.Table, error) {
	rd := csv.NewReader(r, ReadingSchema, csv.WithHeader(true), csv.WithChunk(4096))
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

// DailySchema is the schema of daily_stations.
var DailySchema = arrow.NewSchema([]arrow.Field{
	{Name: "day", Type: arrow.BinaryTypes.String},
	{Name: "station", Type: arrow.BinaryTypes.String},
	{Name: "readings", Type: arrow.PrimitiveTypes.Int64},
	{Name: "min_temp_c", Type: arrow.PrimitiveTypes.Float64},
	{Name: "max_temp_c", Type: arrow.PrimitiveTypes.Float64},
	{Name: "rain_mm", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// DailyStations aggregates the readings per station and day.
//
// SQL ASSET: this is where the example's SQL asset goes, once assetflow's SQL
// assets are available; it then runs inside the warehouse:
//
//	SELECT day, station, count(*) AS readings, min(temp_c) AS min_temp_c,
//	       max(temp_c) AS max_temp_c, sum(rain_mm) AS rain_mm
//	FROM {{ ref "readings" }} GROUP BY day, station ORDER BY day, station
func DailyStations() engine.Asset {
	return engine.Asset{
		Name:        "daily_stations",
		Description: "per station and day: readings, lowest and highest temperature, total rain",
		Group:       Group,
		Deps:        []string{"readings"},
		Compute: func(ctx *engine.Context) (any, error) {
			readings, err := engine.Input[arrow.Table](ctx, "readings")
			if err != nil {
				return nil, err
			}
			return Daily(readings)
		},
	}
}

type dayStation struct{ day, station string }

type aggregate struct {
	n        int64
	min, max float64
	rain     float64
}

// Daily aggregates readings per day and station, sorted by both.
func Daily(readings arrow.Table) (arrow.Table, error) {
	aggs := map[dayStation]*aggregate{}
	tr := array.NewTableReader(readings, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		day, ok1 := rec.Column(0).(*array.String)
		station, ok2 := rec.Column(1).(*array.String)
		temp, ok3 := rec.Column(2).(*array.Float64)
		rain, ok4 := rec.Column(3).(*array.Float64)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, fmt.Errorf("readings: unexpected schema %s", rec.Schema())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			k := dayStation{day.Value(i), station.Value(i)}
			a := aggs[k]
			if a == nil {
				a = &aggregate{min: temp.Value(i), max: temp.Value(i)}
				aggs[k] = a
			}
			a.n++
			a.min, a.max = min(a.min, temp.Value(i)), max(a.max, temp.Value(i))
			if rain.IsValid(i) {
				a.rain += rain.Value(i)
			}
		}
	}
	keys := make([]dayStation, 0, len(aggs))
	for k := range aggs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].day != keys[j].day {
			return keys[i].day < keys[j].day
		}
		return keys[i].station < keys[j].station
	})
	b := array.NewRecordBuilder(memory.DefaultAllocator, DailySchema)
	defer b.Release()
	for _, k := range keys {
		a := aggs[k]
		b.Field(0).(*array.StringBuilder).Append(k.day)
		b.Field(1).(*array.StringBuilder).Append(k.station)
		b.Field(2).(*array.Int64Builder).Append(a.n)
		b.Field(3).(*array.Float64Builder).Append(a.min)
		b.Field(4).(*array.Float64Builder).Append(a.max)
		b.Field(5).(*array.Float64Builder).Append(a.rain)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return array.NewTableFromRecords(DailySchema, []arrow.Record{rec}), nil
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
