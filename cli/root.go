package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/console"
	"github.com/assetflow/assetflow/resources"
)

// cli holds the global flags and what every command is given.
type cli struct {
	app            App
	stdout, stderr io.Writer
	lookup         resources.LookupFunc
	envFlag        string
	logFormat      string
	logLevel       string
}

// loaded is a validated catalog for the current environment.
type loaded struct {
	env      resources.Environment
	spec     resources.WarehouseSpec // the bound warehouse, for the run store's scope
	catalog  *engine.Catalog
	events   zerolog.Logger  // run events (no timestamp of their own)
	log      zerolog.Logger  // everything else
	progress engine.Progress // shows nodes' progress
}

func newRoot(app App, stdout, stderr io.Writer, lookup resources.LookupFunc) *cobra.Command {
	c := &cli{app: app, stdout: stdout, stderr: stderr, lookup: lookup}
	short := app.Short
	if short == "" {
		short = "assetflow: materialize assets, run jobs and inspect the graph"
	}
	root := &cobra.Command{
		Use:   app.Name,
		Short: short,
		Long: `assetflow materializes data assets into a warehouse and runs jobs, such as giving each
pull request its own clone of production.

The environment is --env, else ASSETFLOW_ENV, else DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT
(1/true/yes: branch; 0/false/no/empty: prod; anything else: an error), else local. A branch
deployment reads and writes only PRODUCTION_CLONE_<DAGSTER_CLOUD_PULL_REQUEST_ID>; a pull
request id with a prod result is an error unless --env prod is given.

Exit status: 0 success, 1 the run failed, 2 bad usage or invalid definitions.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.StringVar(&c.envFlag, "env", "", "environment: local, branch or prod (default: decided from the environment variables)")
	pf.StringVar(&c.logFormat, "log-format", "auto", "log format: auto (console on a terminal, else json), console or json")
	pf.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(c.assetsCmd(), c.jobCmd(), c.graphCmd(), c.listCmd(), c.envCmd(), c.devCmd(), c.runsCmd(), c.showCmd(), c.clonesCmd())
	root.AddCommand(c.initCmd(), c.diffCmd(), c.checkCmd(), c.uiCmd())
	root.AddCommand(c.workerCmd(), c.cancelCmd(), c.schedulesCmd())
	for _, add := range app.Commands {
		root.AddCommand(add(&Command{c: c}))
	}
	return root
}

func commandNames(cmd *cobra.Command) string {
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return strings.Join(names, ", ")
}

// load decides the environment, binds its resources and validates everything,
// before any resource opens.
func (c *cli) load() (*loaded, error) {
	terminal := false
	if f, ok := c.stderr.(*os.File); ok {
		terminal = console.IsTerminal(f)
	}
	events, err := console.NewLogger(c.stderr, c.logFormat, c.logLevel, terminal)
	if err != nil {
		return nil, err
	}
	log := console.Timestamped(events)
	env, err := resources.ResolveEnvironment(c.envFlag, c.lookup)
	if err != nil {
		return nil, err
	}
	for _, w := range env.Warnings {
		log.Warn().Msg(w)
	}
	if c.app.Definitions == nil {
		return nil, engine.Usagef("%s defines nothing: cli.App.Definitions is nil", c.app.Name)
	}
	defs, err := c.app.Definitions(Env{Environment: env, Lookup: c.lookup, Log: log})
	if err != nil {
		return nil, err
	}
	if defs.Env == "" {
		defs.Env = env.Name
	} else if defs.Env != env.Name {
		return nil, fmt.Errorf("definitions are for environment %q, but this is %q: leave engine.Definitions.Env empty", defs.Env, env.Name)
	}
	cat, err := engine.Load(defs)
	if err != nil {
		return nil, err
	}
	spec, _ := cat.ResourceSpec(resources.WarehouseKey.Name())
	wh, _ := spec.(resources.WarehouseSpec)
	return &loaded{env: env, spec: wh, catalog: cat, events: events, log: log, progress: console.Progress(c.stderr, terminal, log)}, nil
}

func (c *cli) printf(format string, args ...any) { fmt.Fprintf(c.stdout, format, args...) }
