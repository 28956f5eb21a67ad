package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/graphview"
	"github.com/assetflow/assetflow/internal/runstore"
)

func (c *cli) graphCmd() *cobra.Command {
	var format, job, selection string
	var status bool
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Show the asset graph, jobs and resources (text, dot, mermaid, json)",
		Long: `Show the asset graph of this environment: assets by topological layer with their
upstreams, the jobs with their ops in order, and the bound resources. It never connects.

Formats: text (default), dot (Graphviz: run graph --format dot | dot -Tsvg > graph.svg),
mermaid (paste into a README), json (a stable schema, documented in README.md).

` + engine.SelectionHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(graphview.Formats, format) {
				return engine.Usagef("--format %q: expected one of %s", format, strings.Join(graphview.Formats, ", "))
			}
			if job != "" && selection != "" {
				return engine.Usagef("--job and --select do not go together: choose one")
			}
			l, err := c.load()
			if err != nil {
				return err
			}
			view := l.catalog.Describe()
			switch {
			case job != "":
				view, err = l.catalog.DescribeJob(job)
			case selection != "":
				view, err = l.catalog.DescribeSelection(selection)
			}
			if err != nil {
				return err
			}
			if status {
				if err := addStatus(cmd.Context(), l.catalog, &view); err != nil {
					return err
				}
				states, last, err := c.assetStates(cmd.Context(), l, nil)
				addHistory(&view, last)
				if err == nil {
					addStates(&view, states)
				}
			}
			return graphview.Render(c.stdout, view, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, dot, mermaid or json")
	cmd.Flags().StringVar(&job, "job", "", "show one job's op graph")
	cmd.Flags().StringVar(&selection, "select", "", "show only the selected assets")
	cmd.Flags().BoolVar(&status, "status", false, "also show each asset's table, row count and when it was written (connects to the warehouse)")
	return cmd
}

// addStatus asks the warehouse for each shown asset's table.
func addStatus(ctx context.Context, cat *engine.Catalog, view *engine.GraphView) error {
	names := make([]string, len(view.Assets))
	for i, a := range view.Assets {
		names[i] = a.Name
	}
	if len(names) == 0 {
		return nil
	}
	statuses, err := cat.AssetStatuses(ctx, names)
	if err != nil {
		return err
	}
	for i := range view.Assets {
		if st, ok := statuses[view.Assets[i].Name]; ok {
			view.Assets[i].Status = &st
		}
	}
	return nil
}

// addHistory fills each asset's last recorded materialization from the run store.
func addHistory(view *engine.GraphView, last map[string]runstore.Materialization) {
	for i := range view.Assets {
		if m, ok := last[view.Assets[i].Name]; ok && view.Assets[i].Status != nil {
			view.Assets[i].Status.LastRunID = m.RunID
			if view.Assets[i].Status.MaterializedAt.IsZero() {
				view.Assets[i].Status.MaterializedAt = m.Time
			}
		}
	}
}

func (c *cli) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List assets, jobs, and the resources bound in this environment",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := c.load()
			if err != nil {
				return err
			}
			v := l.catalog.Describe()
			states, last, _ := c.assetStates(cmd.Context(), l, nil)
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ASSET\tGROUP\tUPSTREAMS\tLAST MATERIALIZED\tSTATE\tCHECKS\tDESCRIPTION\n")
			for _, a := range v.Assets {
				when := "never"
				if m, ok := last[a.Name]; ok {
					when = fmt.Sprintf("%s (run %s, %d rows)", m.Time.Local().Format("2006-01-02 15:04"), m.RunID, m.Rows)
				}
				st := states[a.Name]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, dash(a.Group), dash(strings.Join(a.Deps, ",")), when,
					stateText(st), dash(st.Checks), a.Description)
			}
			fmt.Fprintf(tw, "\nJOB\tIN %s?\tENVIRONMENTS\t\tDESCRIPTION\n", strings.ToUpper(l.env.Name))
			for _, j := range v.Jobs {
				envs := "all"
				if len(j.Envs) > 0 {
					envs = strings.Join(j.Envs, ",")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t\t%s\n", j.Name, yesNo(j.Available), envs, j.Description)
			}
			fmt.Fprintf(tw, "\nRESOURCE\tBOUND IN\t\t\tDESCRIPTION\n")
			for _, r := range v.Resources {
				fmt.Fprintf(tw, "%s\t%s\t\t\t%s\n", r.Key, l.env.Name, r.Description)
			}
			return tw.Flush()
		},
	}
}

func (c *cli) envCmd() *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Show the environment, how it was decided, and every bound resource",
		Long:  envCheckHelp,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := c.load()
			if err != nil {
				return err
			}
			c.printf("environment: %s\n", l.env.Name)
			c.printf("decided by:  %s\n", l.env.Source)
			if l.env.PRID != "" {
				c.printf("pull request: %s\n", l.env.PRID)
			}
			c.printf("database:    %s\n", l.env.Database())
			for _, r := range l.catalog.Describe().Resources {
				c.printf("\nresource %s: %s\n", r.Key, r.Description)
				keys := make([]string, 0, len(r.Settings))
				for k := range r.Settings {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					c.printf("  %-12s %s\n", k, dash(r.Settings[k]))
				}
			}
			if check {
				return c.checkAccess(cmd.Context(), l)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "sign in and check the warehouse role's privileges: in branch, refuse a role that can write PRODUCTION")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
