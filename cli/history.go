package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/instance"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// RunsVar names the run store file of a folder instance (see InstanceVar).
const RunsVar = instance.RunsVar

// InstanceVar names the instance: a folder (default .assetflow) or a
// postgres:// URL.
const InstanceVar = instance.Var

// storePath names the run store for messages: its file, or the instance's URL
// without credentials.
func (c *cli) storePath() (string, error) {
	inst, err := c.instance()
	if err != nil {
		return "", err
	}
	return inst.String(), nil
}

// scope is where this invocation's runs materialize: its environment, its
// warehouse (backend and place) and its database.
func (l *loaded) scope() runstore.Scope {
	where := l.spec.Location
	if l.spec.Backend == "duckdb" {
		if abs, err := filepath.Abs(where); err == nil {
			where = abs
		}
	}
	return runstore.Scope{Env: l.env.Name, Warehouse: l.spec.Backend + " " + where, Database: l.spec.Database}
}

// openStore opens the run store and fails the runs a killed process left
// STARTED. With mustExist, a missing store is a usage error, not a new file.
func (c *cli) openStore(ctx context.Context, mustExist bool) (runstore.Store, error) {
	inst, err := c.instance()
	if err != nil {
		return nil, err
	}
	if mustExist && !inst.Exists() {
		return nil, engine.Usagef("no runs recorded yet in %s (set %s or %s to use another store)", inst, InstanceVar, RunsVar)
	}
	s, err := inst.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.MarkAbandoned(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// fromFailure returns the nodes to run again from a recorded run and the run
// config it ran with, checking it was a run of the same kind and name, in the
// same environment and database.
func (c *cli) fromFailure(ctx context.Context, l *loaded, runID, kind, name string) ([]string, engine.RunConfig, error) {
	s, err := c.openStore(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	d, err := s.Run(ctx, runID)
	if err != nil {
		return nil, nil, err
	}
	if d.Kind != kind || (kind == "job" && d.Name != name) {
		what := c.app.Name + " assets"
		if d.Kind == "job" {
			what = c.app.Name + " job " + d.Name
		}
		return nil, nil, engine.Usagef("run %s was not a %s %s run: use %s --from-failure %s", runID, kind, name, what, runID)
	}
	here := l.scope()
	if d.Env != l.env.Name || (d.Database != "" && d.Database != here.Database) || (d.Warehouse != "" && d.Warehouse != here.Warehouse) {
		return nil, nil, engine.Usagef("run %s ran in %s (%s), this is %s (%s): re-run it where it ran (--env %s), or start a new run here",
			runID, d.Env, dash(strings.TrimSpace(d.Database+" on "+d.Warehouse)), l.env.Name, here.Database+" on "+here.Warehouse, d.Env)
	}
	nodes, err := d.Rerun()
	return nodes, engine.RunConfig(d.Config), err
}

func (c *cli) runsCmd() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recent runs: id, job or selection, environment, status, start, duration",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return engine.Usagef("--limit %d: expected 1 or more", limit)
			}
			s, err := c.openStore(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			runs, err := s.Runs(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, runs)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "RUN\tWHAT\tENV\tSTATUS\tSTART\tDURATION\tWORKER\tERROR\n")
			for _, r := range runs {
				what := r.Name
				if r.Kind == "assets" {
					what = "assets " + r.Selection
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, what, r.Env, r.Status,
					r.Start.Local().Format("2006-01-02 15:04:05"), durationOrDash(r.Duration), runWorker(r), clip(r.Error, 60))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs")
	return cmd
}

func (c *cli) showCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show a run's steps (status, duration, attempts, error) and materializations",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return engine.Usagef("show: expected one run id (see %s runs)", c.app.Name)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := c.openStore(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			d, err := s.Run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, d)
			}
			c.printf("run %s: %s %s in %s, %s, started %s\n", d.ID, d.Name, d.Status, durationOrDash(d.Duration), d.Env,
				d.Start.Local().Format("2006-01-02 15:04:05"))
			if d.Error != "" {
				c.printf("error: %s\n", d.Error)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "\nSTEP\tSTATUS\tDURATION\tATTEMPTS\tWORKER\tERROR\n")
			for _, st := range d.Steps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", st.Node, st.Status, durationOrDash(st.Duration), st.Attempts,
					cmp.Or(st.Worker, runWorker(d.Run)), clip(st.Error, 70))
			}
			if len(d.Materialization) > 0 {
				fmt.Fprintf(tw, "\nMATERIALIZED\tTABLE\tROWS\tAT\tCODE VERSION\n")
				for _, m := range d.Materialization {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", m.Asset, m.Location, m.Rows, m.Time.Local().Format("15:04:05.000"), dash(m.CodeVersion))
				}
			}
			writeChecks(tw, d.Checks)
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON")
	return cmd
}

// runWorker names where a run executes or executed: host:pid, "steps on
// workers" for a run spread over workers (run show names each step's), or "-"
// while it waits in the queue.
func runWorker(r runstore.Run) string {
	if r.Distributed {
		return "steps on workers"
	}
	if r.Host == "" {
		return "-"
	}
	return fmt.Sprintf("%s:%d", r.Host, r.PID)
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func durationOrDash(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// productionScope is where this warehouse's production tables are recorded:
// PRODUCTION in the same warehouse, written by any environment. `--select
// changed` compares code versions with it.
func (l *loaded) productionScope() runstore.Scope {
	s := l.scope()
	return runstore.Scope{Warehouse: s.Warehouse, Database: warehouse.Production}
}
