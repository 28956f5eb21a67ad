// Command run is the Hacker News project on assetflow: its assets (items,
// comments, stories) and the branch-deployment jobs, with every command of
// package cli.
//
//	run assets                 materialize every asset
//	run job clone_prod         run a job (branch deployments)
//	run graph                  show the asset graph and jobs
//	run list | run env         what is defined and bound here
package main

import (
	"github.com/assetflow/assetflow/assets"
	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/ops"
)

var app = cli.App{Name: "run", Definitions: definitions}

func main() { cli.Main(app) }

// definitions registers the project's assets, jobs and resources explicitly.
func definitions(env cli.Env) (engine.Definitions, error) {
	res, err := assets.Resources(env.Environment, env.Options())
	if err != nil {
		return engine.Definitions{}, err
	}
	return engine.Definitions{Assets: assets.All(), Jobs: ops.Jobs(), Resources: res, Schedules: ops.Schedules()}, nil
}
