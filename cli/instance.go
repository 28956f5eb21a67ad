package cli

import "github.com/assetflow/assetflow/internal/instance"

// instance resolves ASSETFLOW_INSTANCE and ASSETFLOW_RUNS.
func (c *cli) instance() (instance.Instance, error) {
	return instance.Resolve(c.lookup)
}
