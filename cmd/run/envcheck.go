package main

import (
	"context"

	"github.com/assetflow/assetflow/resources"
)

const envCheckHelp = `Show the environment, how it was decided, and every bound resource.

With --check, sign in to the warehouse with the environment's credentials and read the
role's privileges (SHOW GRANTS, through every role it inherits). In branch, a role that
can write PRODUCTION is refused with a non-zero exit: a branch deployment must stand
behind a privilege wall, not only behind assetflow's own guard. Run it first in CI.`

// checkAccess runs `run env --check`.
func (c *cli) checkAccess(ctx context.Context, env resources.Environment) error {
	c.printf("\ncheck:\n")
	report, err := resources.CheckAccess(ctx, env, resources.Options{Lookup: c.lookup})
	for _, line := range report.Lines {
		c.printf("  %s\n", line)
	}
	if err != nil {
		return err
	}
	c.printf("  ok\n")
	return nil
}
