package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/clones"
	"github.com/assetflow/assetflow/resources/warehouse"
)

func (c *cli) clonesCmd() *cobra.Command {
	var asJSON bool
	list := &cobra.Command{
		Use:   "clones",
		Short: "List every pull-request clone: PR, age, last refresh, size, whether this environment owns it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := c.load()
			if err != nil {
				return err
			}
			return l.catalog.WithResource(cmd.Context(), resources.WarehouseKey.Name(), func(v any) error {
				list, err := v.(warehouse.Warehouse).ListClones(cmd.Context())
				if err != nil {
					return err
				}
				verdicts := clones.Decide(list, clones.ReapRules{Now: time.Now(), OlderThan: 1 << 62})
				if asJSON {
					return writeJSON(c.stdout, verdicts)
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "CLONE\tPR\tAGE\tLAST REFRESH\tSIZE\tORIGIN\tOWNED HERE\tTEMP FILES\n")
				for _, v := range verdicts {
					refreshed, age := "unknown", "-"
					if !v.ClonedAt.IsZero() {
						refreshed, age = v.ClonedAt.Local().Format("2006-01-02 15:04"), clones.FormatAge(v.Age)
					}
					temp := "-"
					if v.TempBytes > 0 {
						temp = clones.FormatSize(v.TempBytes)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Name, v.PRID, age, refreshed, clones.FormatSize(v.Bytes),
						dash(v.Origin), yesNo(v.PRID == l.env.PRID), temp)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "write JSON")
	list.AddCommand(c.reapCmd())
	return list
}

func (c *cli) reapCmd() *cobra.Command {
	var olderThan, keep, openFile string
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "reap --older-than 14d [--keep 42,43] [--open-prs-file FILE] [--yes]",
		Short: "Drop clones that closed pull requests left behind (prints the plan; drops only with --yes)",
		Long: `Drop pull-request clones not refreshed for longer than --older-than, except those of the
PRs in --keep or listed in --open-prs-file (one PR id a line). Without --yes it only
prints what it would drop. It never touches a database that is not a clone by name
(PRODUCTION_CLONE_<id>) and by its recorded origin, and never PRODUCTION: a database
named like a clone but with no recorded origin is reported, not dropped.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if olderThan == "" {
				return engine.Usagef("reap: --older-than is required, e.g. --older-than 14d")
			}
			age, err := clones.ParseAge(olderThan)
			if err != nil {
				return engine.Usagef("--older-than: %v", err)
			}
			rules := clones.ReapRules{OlderThan: age, Now: time.Now(), Open: map[string]bool{}}
			if rules.Keep, err = clones.ParsePRIDs(keep); err != nil {
				return engine.Usagef("--keep: %v", err)
			}
			if openFile != "" {
				if rules.Open, err = clones.ReadOpenPRs(openFile); err != nil {
					return engine.Usagef("--open-prs-file: %v", err)
				}
			}
			l, err := c.load()
			if err != nil {
				return err
			}
			if l.env.Name == resources.Branch {
				return engine.Usagef("clones reap is refused in branch (%s): a branch deployment may drop only its own clone (run job drop_prod_clone); reap from prod or local, as the scheduled reap workflow does",
					l.env.Source)
			}
			return l.catalog.WithResource(cmd.Context(), resources.WarehouseKey.Name(), func(v any) error {
				verdicts, err := clones.Reap(cmd.Context(), l.log, v.(warehouse.Warehouse), rules, !yes)
				if asJSON {
					if jerr := writeJSON(c.stdout, verdicts); jerr != nil {
						return jerr
					}
					return err
				}
				verb := "would drop"
				if yes {
					verb = "dropped"
				}
				for _, v := range verdicts {
					action := "keep"
					switch v.Action {
					case clones.Drop:
						action = verb
					case clones.Report:
						action = "REPORT"
					case clones.RemoveTemp:
						action = "remove temp"
						if !yes {
							action = "would remove"
						}
					}
					c.printf("%-12s %-22s %s\n", action, v.Name, v.Reason)
				}
				if !yes {
					c.printf("(nothing dropped: add --yes to drop)\n")
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "drop clones not refreshed for longer than this, e.g. 14d, 36h")
	cmd.Flags().StringVar(&keep, "keep", "", "PR ids whose clones are kept, comma-separated")
	cmd.Flags().StringVar(&openFile, "open-prs-file", "", "file of open PR ids, one a line; their clones are kept")
	cmd.Flags().BoolVar(&yes, "yes", false, "really drop (default: only print what would be dropped)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write the verdicts as JSON")
	return cmd
}
