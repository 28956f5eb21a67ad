package main

import (
	"path/filepath"

	"github.com/assetflow/assetflow/internal/bench"
)

// snowflakeRuns bounds the runs of the Snowflake scenarios, which take tens of
// seconds each at a million rows.
const snowflakeRuns = 3

// snowflakeScenarios measures writes and reads through the real driver
// against the local Snowflake double.
func snowflakeScenarios(scenarios *[]bench.Scenario, dir string, s sizes, step func(string)) error {
	runs := min(s.runs, snowflakeRuns)
	step("snowflake write")
	w, err := bench.SnowflakeWrite(filepath.Join(dir, "write"), s.snowflakeRows, runs)
	if err != nil {
		return err
	}
	step("snowflake read")
	r, err := bench.SnowflakeRead(filepath.Join(dir, "read"), s.snowflakeRows, runs)
	if err != nil {
		return err
	}
	step("snowflake bulk-load threshold")
	th, err := bench.SnowflakeThreshold(filepath.Join(dir, "threshold"), s.snowflakeThresholds, runs)
	if err != nil {
		return err
	}
	*scenarios = append(*scenarios, w, r, th)
	return nil
}
