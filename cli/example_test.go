package cli_test

import (
	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/ops"
	"github.com/assetflow/assetflow/resources"
)

// A project's whole main.go: its definitions, bound for the environment the
// command line decides, and every command.
func Example() {
	definitions := func(env cli.Env) (engine.Definitions, error) {
		res, err := resources.Warehouse(env.Environment, "SALES", env.Options())
		if err != nil {
			return engine.Definitions{}, err
		}
		orders := engine.Asset{Name: "orders", Compute: func(*engine.Context) (any, error) { return nil, nil }}
		return engine.Definitions{Assets: []engine.Asset{orders}, Jobs: ops.Jobs(), Resources: res}, nil
	}
	app := cli.App{Name: "sales", Definitions: definitions}
	_ = app // in main: cli.Main(app)
}
