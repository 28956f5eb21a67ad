package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/console"
)

// runFlags are the flags of commands that run something.
type runFlags struct {
	fromFailure    string
	config         string
	sets           []string
	maxConcurrency int
	failFast       bool
	queue          bool
	distribute     string
}

func (f *runFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "run config YAML file (ops: <node>: config: <key>: <value>)")
	fl.StringArrayVar(&f.sets, "set", nil, "set one config value, NODE.KEY=VALUE (repeatable); see graph for each node's keys")
	fl.IntVar(&f.maxConcurrency, "max-concurrency", 8, "nodes running at once (0: no limit)")
	fl.BoolVar(&f.failFast, "fail-fast", false, "cancel the rest of the run at the first failure (default: run independent branches to the end)")
	fl.BoolVar(&f.queue, "queue", false, "queue the run for a worker (run worker) and print its id; workers on many machines need a PostgreSQL instance (ASSETFLOW_INSTANCE)")
	fl.StringVar(&f.distribute, "distribute", distributeRun, "with --queue: run (one worker runs the whole run) or steps (each step is a queue job of its own, once its upstreams succeed, on any worker that reaches the same warehouse)")
	fl.StringVar(&f.fromFailure, "from-failure", "", "re-run only the failed, skipped and cancelled steps of RUN_ID (see run runs), with its run config changed by any --config/--set; what succeeded is loaded through the I/O manager")
}

// runConfig reads --config (bounded, under ctx) and applies each --set.
func (f *runFlags) runConfig(ctx context.Context, cat *engine.Catalog) (engine.RunConfig, error) {
	rc := engine.RunConfig{}
	if f.config != "" {
		data, err := readConfigFile(ctx, f.config)
		if err != nil {
			return nil, err
		}
		if rc, err = engine.ParseRunConfig(data); err != nil {
			return nil, engine.Usagef("--config %s: %v", f.config, err)
		}
	}
	for _, s := range f.sets {
		if err := rc.Set(s); err != nil {
			return nil, engine.Usagef("--set %q: expected NODE.KEY=VALUE%s", s, setExample(cat))
		}
	}
	return rc, nil
}

// prepare checks the run flags, loads the definitions and reads the run config:
// everything that can be refused before a run starts.
func (c *cli) prepare(ctx context.Context, f *runFlags) (*loaded, engine.RunConfig, error) {
	if f.maxConcurrency < 0 {
		return nil, nil, engine.Usagef("--max-concurrency %d: expected 0 (no limit) or more", f.maxConcurrency)
	}
	switch {
	case f.distribute != distributeRun && f.distribute != distributeSteps:
		return nil, nil, engine.Usagef("--distribute %q: expected run or steps", f.distribute)
	case f.distribute == distributeSteps && !f.queue:
		return nil, nil, engine.Usagef("--distribute steps spreads a queued run over workers: add --queue")
	}
	l, err := c.load()
	if err != nil {
		return nil, nil, err
	}
	rc, err := f.runConfig(ctx, l.catalog)
	return l, rc, err
}

func (c *cli) assetsCmd() *cobra.Command {
	var flags runFlags
	var selection string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "assets",
		Short: "Materialize assets (all, or --select)",
		Long: `Materialize the selected assets into the environment's warehouse. Upstream assets left
out of the selection are loaded from the warehouse through their I/O manager.

` + engine.SelectionHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, rc, err := c.prepare(cmd.Context(), &flags)
			if err != nil {
				return err
			}
			if flags.fromFailure != "" && cmd.Flags().Changed("select") {
				return engine.Usagef("--select and --from-failure do not go together: choose one")
			}
			p, err := c.planRun(cmd.Context(), l, "assets", "", selection, flags.fromFailure, rc)
			if errors.Is(err, errNothingChanged) {
				c.printf("nothing changed: every asset's code version matches PRODUCTION's last materialization\n")
				return nil
			}
			if err != nil {
				return err
			}
			if dryRun {
				return c.dryRun(p.plan, "assets", "computed in Go, stored through its I/O manager")
			}
			if err := c.requireClone(cmd.Context(), l); err != nil {
				return err
			}
			return c.execute(cmd.Context(), l, p, flags, "assets")
		},
	}
	cmd.Flags().StringVar(&selection, "select", "*", "assets to materialize (see the selection syntax above); `changed`: those whose code version differs from PRODUCTION's last materialization, and their downstream")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the assets in order and the SQL that SQL assets would run, without connecting")
	flags.register(cmd)
	return cmd
}

func (c *cli) jobCmd() *cobra.Command {
	var flags runFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "job NAME",
		Short: "Run a job, such as clone_prod or drop_prod_clone",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return engine.Usagef("job: expected one job name, e.g. %s job clone_prod (see %s list)", c.app.Name, c.app.Name)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			l, rc, err := c.prepare(cmd.Context(), &flags)
			if err != nil {
				return err
			}
			p, err := c.planRun(cmd.Context(), l, "job", args[0], "", flags.fromFailure, rc)
			if err != nil {
				return err
			}
			if dryRun {
				return c.dryRun(p.plan, "job "+p.plan.Name, "no statements")
			}
			return c.execute(cmd.Context(), l, p, flags, "job")
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the ops in order and the statements they would run, without connecting")
	flags.register(cmd)
	return cmd
}

// execute runs a plan, logging events and recording them in the run store, and
// prints its summary.
func (c *cli) execute(ctx context.Context, l *loaded, p plannedRun, flags runFlags, kind string) error {
	if flags.queue {
		return c.enqueue(ctx, l, p, flags, kind)
	}
	rec, err := c.startRecording(ctx, l, p, kind)
	if err != nil {
		return err
	}
	res, checks := rec.run(ctx, l, p.plan, flags)
	console.Summary(c.stdout, res)
	checks.write(c.stdout)
	return res.Err()
}

// dryRun prints a plan's steps in order under a header, each with what it
// would do (its statements or SQL), or idle when it states nothing.
func (c *cli) dryRun(plan *engine.Plan, header, idle string) error {
	steps, err := plan.DryRun("dry-run")
	if err != nil {
		return err
	}
	c.printf("%s (dry run: nothing connects, nothing runs)\n", header)
	for i, s := range steps {
		c.printf("%d. %s\n", i+1, s.Node)
		for _, a := range s.Actions {
			c.printf("   %s\n", a)
		}
		if len(s.Actions) == 0 {
			c.printf("   (%s)\n", idle)
		}
	}
	return nil
}

// setExample is an example assignment from the definitions: the first config
// key of the first configurable node, with its default.
func setExample(cat *engine.Catalog) string {
	v := cat.Describe()
	for _, a := range v.Assets {
		for _, f := range a.Config {
			return fmt.Sprintf(", e.g. %s.%s=%v", a.Name, f.Name, f.Default)
		}
	}
	for _, j := range v.Jobs {
		for _, o := range j.Ops {
			for _, f := range o.Config {
				return fmt.Sprintf(", e.g. %s.%s=%v", o.Name, f.Name, f.Default)
			}
		}
	}
	return ""
}
