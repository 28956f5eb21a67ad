// Package ops holds the branch-deployment ops, the graphs that order them and
// the jobs that bind them to the warehouse: clone_prod gives a pull request a
// fresh clone of production, drop_prod_clone removes it. Like assets, this is user
// code written against the engine's public API.
package ops

import (
	"fmt"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// cloneTarget returns the bound warehouse's spec and the environment's
// database, which must be a pull-request clone: these ops never touch another.
func cloneTarget(ctx *engine.Context) (resources.WarehouseSpec, error) {
	spec, err := engine.ResourceSpec[resources.WarehouseSpec](ctx, resources.WarehouseKey.Name())
	if err != nil {
		return spec, err
	}
	if !strings.HasPrefix(spec.Database, warehouse.ClonePrefix) {
		return spec, fmt.Errorf("%s is not a pull-request clone (%s<id>): refusing", spec.Database, warehouse.ClonePrefix)
	}
	return spec, nil
}

// openCloneTarget is cloneTarget with the opened warehouse.
func openCloneTarget(ctx *engine.Context) (resources.WarehouseSpec, warehouse.Warehouse, error) {
	spec, err := cloneTarget(ctx)
	if err != nil {
		return spec, nil, err
	}
	wh, err := resources.WarehouseKey.From(ctx)
	return spec, wh, err
}

// DropDatabaseClone drops PRODUCTION_CLONE_<PR id> if it exists.
func DropDatabaseClone() engine.Op {
	return engine.Op{
		Name:        "drop_database_clone",
		Description: "drops the pull request's clone of production, if it exists",
		Resources:   []string{resources.WarehouseKey.Name()},
		Plan: func(ctx *engine.Context) ([]string, error) {
			spec, err := cloneTarget(ctx)
			if err != nil {
				return nil, err
			}
			return []string{spec.DropStatement(spec.Database)}, nil
		},
		Compute: func(ctx *engine.Context) (any, error) {
			spec, wh, err := openCloneTarget(ctx)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			if err := wh.DropDatabase(ctx, spec.Database); err != nil {
				return nil, err
			}
			ctx.Log.Info().Str("statement", spec.DropStatement(spec.Database)).Dur("duration", time.Since(start)).
				Msgf("dropped %s if it existed", spec.Database)
			return nil, nil
		},
	}
}

// CloneProductionDatabase clones PRODUCTION to PRODUCTION_CLONE_<PR id>. Its
// start input carries nothing: it orders the clone after the drop.
func CloneProductionDatabase() engine.Op {
	return engine.Op{
		Name:        "clone_production_database",
		Description: "clones production into the pull request's database",
		Ins:         []engine.In{{Name: "start", Nothing: true}},
		Resources:   []string{resources.WarehouseKey.Name()},
		Plan: func(ctx *engine.Context) ([]string, error) {
			spec, err := cloneTarget(ctx)
			if err != nil {
				return nil, err
			}
			return []string{spec.CloneStatement(spec.Production, spec.Database)}, nil
		},
		Compute: func(ctx *engine.Context) (any, error) {
			spec, wh, err := openCloneTarget(ctx)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			info, err := wh.CloneDatabase(ctx, spec.Production, spec.Database)
			if err != nil {
				return nil, err
			}
			ctx.Log.Info().Str("statement", spec.CloneStatement(spec.Production, spec.Database)).
				Str("method", info.Method).Dur("duration", time.Since(start)).
				Msgf("cloned %s to %s", spec.Production, spec.Database)
			return nil, nil
		},
	}
}

// The jobs exist only in branch deployments.
var branchOnly = []string{resources.Branch}

// Jobs returns clone_prod and drop_prod_clone.
func Jobs() []engine.Job {
	return []engine.Job{
		{
			Name:        "clone_prod",
			Description: "gives the pull request a fresh clone of production (drop, then clone)",
			Envs:        branchOnly,
			Graph: &engine.Graph{Name: "clone_prod", Ops: []engine.Invocation{
				{Op: DropDatabaseClone()},
				{Op: CloneProductionDatabase(), Inputs: map[string]string{"start": "drop_database_clone"}},
			}},
		},
		{
			Name:        "drop_prod_clone",
			Description: "drops the pull request's clone when it closes",
			Envs:        branchOnly,
			Graph: &engine.Graph{Name: "drop_prod_clone", Ops: []engine.Invocation{
				{Op: DropDatabaseClone()},
			}},
		},
		{
			Name:        "reap_stale_clones",
			Description: "drops clones that closed pull requests left behind (scheduled, e.g. nightly)",
			Envs:        []string{resources.Prod, resources.Local},
			Graph: &engine.Graph{Name: "reap_stale_clones", Ops: []engine.Invocation{
				{Op: ReapStaleClones()},
			}},
		},
	}
}
