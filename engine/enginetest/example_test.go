package enginetest_test

import (
	"context"
	"fmt"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/engine/enginetest"
)

type scaleConfig struct {
	Factor int `yaml:"factor"`
}

// Materialize one asset with a given upstream value and config.
func ExampleMaterialize() {
	scaled := engine.Asset{
		Name: "scaled", Deps: []string{"base"},
		Config: engine.ConfigOf(scaleConfig{Factor: 2}),
		Compute: func(ctx *engine.Context) (any, error) {
			cfg, err := engine.Config[scaleConfig](ctx)
			if err != nil {
				return nil, err
			}
			base, err := engine.Input[int](ctx, "base")
			if err != nil {
				return nil, err
			}
			ctx.AddMetadata("factor", cfg.Factor)
			return base * cfg.Factor, nil
		},
	}
	res, err := enginetest.Materialize(context.Background(), scaled, enginetest.Options{
		Inputs: map[string]any{"base": 21},
		Config: scaleConfig{Factor: 3},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Release()
	fmt.Println(res.Output, res.Metadata["factor"], res.Step.Status)
	// Output: 63 3 SUCCESS
}
