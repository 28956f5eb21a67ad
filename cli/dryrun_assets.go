package cli

import "github.com/assetflow/assetflow/engine"

// dryRunAssets prints the assets of a plan in order with what each would do:
// the resolved SQL of a SQL asset, or that a Go asset computes in Go.
func (c *cli) dryRunAssets(plan *engine.Plan) error {
	steps, err := plan.DryRun("dry-run")
	if err != nil {
		return err
	}
	c.printf("assets (dry run: nothing connects, nothing runs)\n")
	for i, s := range steps {
		c.printf("%d. %s\n", i+1, s.Node)
		for _, a := range s.Actions {
			c.printf("   %s\n", a)
		}
		if len(s.Actions) == 0 {
			c.printf("   (computed in Go, stored through its I/O manager)\n")
		}
	}
	return nil
}
