// Command weather is an example assetflow project unrelated to Hacker News:
// weather readings from a bundled CSV (a Go asset), aggregated per station and
// day inside the warehouse (a SQL asset), and the hot days above a threshold (a
// Go asset with config, downstream of the SQL asset), in schema WEATHER.
//
//	go run ./examples/weather assets
//	go run ./examples/weather assets --set hot_days.threshold_c=25
//	go run ./examples/weather graph
package main

import (
	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/ops"
	"github.com/assetflow/assetflow/resources"
)

// Schema is where the project's tables live.
const Schema = "WEATHER"

var app = cli.App{Name: "weather", Short: "weather: readings, daily station aggregates and hot days", Definitions: definitions}

func main() { cli.Main(app) }

func definitions(env cli.Env) (engine.Definitions, error) {
	res, err := resources.Warehouse(env.Environment, Schema, env.Options())
	if err != nil {
		return engine.Definitions{}, err
	}
	jobs := append(ops.Jobs(), engine.Job{Name: "refresh_hot_days", Selection: "*hot_days",
		Description: "materializes hot_days and everything upstream of it"})
	return engine.Definitions{Assets: Assets(), Jobs: jobs, Resources: res}, nil
}
