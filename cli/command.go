package cli

import (
	"io"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// Command is what a command added through App.Commands is given: the command
// tree's streams and variables, and Load, which decides the environment and
// loads the project's definitions exactly as the built-in commands do.
type Command struct{ c *cli }

// Loaded is a project's validated definitions in the current environment.
type Loaded struct {
	Env     resources.Environment
	Catalog *engine.Catalog
	Log     zerolog.Logger // timestamped, in the format --log-format chose
}

// Name is the command line's name (App.Name).
func (x *Command) Name() string { return x.c.app.Name }

// Stdout is where the command writes its output.
func (x *Command) Stdout() io.Writer { return x.c.stdout }

// Stderr is where the command writes logs and progress.
func (x *Command) Stderr() io.Writer { return x.c.stderr }

// Lookup reads a variable as the command line does.
func (x *Command) Lookup(key string) (string, bool) { return x.c.lookup(key) }

// RunStorePath names the run history: the file of a folder instance
// (ASSETFLOW_RUNS, else ASSETFLOW_INSTANCE/runs.db), or a PostgreSQL instance's
// URL without its credentials. It is a usage error when either variable
// cannot name a store.
func (x *Command) RunStorePath() (string, error) { return x.c.storePath() }

// Load decides the environment, binds its resources and validates the
// definitions. Nothing connects.
func (x *Command) Load() (*Loaded, error) {
	l, err := x.c.load()
	if err != nil {
		return nil, err
	}
	return &Loaded{Env: l.env, Catalog: l.catalog, Log: l.log}, nil
}
