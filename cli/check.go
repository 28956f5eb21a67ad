package cli

import (
	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
)

func (c *cli) checkCmd() *cobra.Command {
	var flags runFlags
	var selection string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run the selected assets' checks alone, against their tables as they are",
		Long: `Run the asset checks of the selected assets, without materializing anything: each
check reads the asset's table as it is in this environment's warehouse. A failing check of
severity ERROR fails the run (exit 1); a failing WARN check is reported only. Results are
recorded in the run store (run show) and shown by run list, run graph --status and
run diff.

` + engine.SelectionHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flags.fromFailure != "" {
				return engine.Usagef("run check has no --from-failure: checks are quick to run again with --select")
			}
			if flags.config != "" || len(flags.sets) > 0 {
				return engine.Usagef("run check takes no --config or --set: checks read the tables as they are")
			}
			l, _, err := c.prepare(cmd.Context(), &flags)
			if err != nil {
				return err
			}
			plan, err := l.catalog.PlanChecks(selection)
			if err != nil {
				return err
			}
			return c.execute(cmd.Context(), l, plannedRun{plan: plan, selection: selection}, flags, "checks")
		},
	}
	cmd.Flags().StringVar(&selection, "select", "*", "assets whose checks run")
	flags.register(cmd)
	return cmd
}
