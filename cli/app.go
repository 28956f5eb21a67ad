// Package cli gives a project's own main.go every assetflow command: assets,
// job, graph, list, runs, show, env, clones and dev. The project keeps its main
// and passes its definitions:
//
//	func main() {
//		cli.Main(cli.App{Name: "myflow", Definitions: defs})
//	}
//
//	func defs(env cli.Env) (engine.Definitions, error) {
//		res, err := resources.Warehouse(env.Environment, "SALES", env.Options())
//		if err != nil {
//			return engine.Definitions{}, err
//		}
//		return engine.Definitions{Assets: myAssets(), Jobs: ops.Jobs(), Resources: res}, nil
//	}
//
// The environment (local, branch or prod) is decided at startup from --env,
// ASSETFLOW_ENV or DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, before Definitions is
// called. Exit status: 0 success, 1 a run that did not succeed, 2 bad usage or
// invalid definitions.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// App is a project's command line.
type App struct {
	// Name is the command's name, shown in usage and error messages ("myflow").
	Name string
	// Short is the one-line description in help; optional.
	Short string
	// Definitions returns the project's assets, jobs and resources for the
	// environment. It is called once per command, after the environment is
	// decided and before anything connects; an error stops the command with
	// exit status 2 (1 if it is a RunFailedError).
	Definitions func(env Env) (engine.Definitions, error)
	// Commands adds commands of the project's own, or optional ones such as a
	// web UI. Each is given the command tree's context.
	Commands []func(c *Command) *cobra.Command
}

// Env is what Definitions receives: the environment decided at startup, the
// variables to read configuration from, and the logger resources log to.
type Env struct {
	resources.Environment
	Lookup resources.LookupFunc
	Log    zerolog.Logger
}

// Options returns the options resources' binding functions take.
func (e Env) Options() resources.Options {
	return resources.Options{Lookup: e.Lookup, Log: e.Log}
}

// Exit statuses.
const (
	ExitOK        = 0
	ExitRunFailed = 1 // the run started and did not succeed, or anything unexpected
	ExitUsage     = 2 // bad usage, invalid definitions or config: nothing ran
)

// Main runs the command line with the process's arguments, streams and
// environment, and exits with its status. SIGINT and SIGTERM cancel a run,
// which still records its end.
func Main(app App) {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, app, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// Run runs the command line with args and returns the exit status, printing an
// error as one line "NAME: message" to stderr. Tests call it in process.
func Run(ctx context.Context, app App, args []string, stdout, stderr io.Writer, lookup resources.LookupFunc) int {
	root := NewRoot(app, stdout, stderr, lookup)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, root.Name()+": "+Message(err))
	return ExitCode(err)
}

// NewRoot returns the whole command tree, writing to stdout and stderr and
// reading variables through lookup (nil: the process environment).
func NewRoot(app App, stdout, stderr io.Writer, lookup resources.LookupFunc) *cobra.Command {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if app.Name == "" {
		app.Name = "assetflow"
	}
	return newRoot(app, stdout, stderr, lookup)
}

// ExitCode maps an error to the process status: 1 for a run that did not
// succeed, 2 for bad usage or invalid definitions or config (nothing ran), and 1
// for anything else.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var run *engine.RunFailedError
	if errors.As(err, &run) {
		return ExitRunFailed
	}
	if engine.IsInvalidInput(err) {
		return ExitUsage
	}
	return ExitRunFailed
}

// Message is the error as the command line shows it.
func Message(err error) string {
	var job *engine.JobUnavailableError
	if errors.As(err, &job) && err == error(job) {
		return jobUnavailable(job)
	}
	return err.Error()
}

// jobUnavailable says where a job exists in the words of the command line:
// the branch environment is where branch deployments run.
func jobUnavailable(e *engine.JobUnavailableError) string {
	names := ""
	for i, env := range e.Envs {
		if i > 0 {
			names += " and "
		}
		if env == resources.Branch {
			names += "branch deployments"
		} else {
			names += "the " + env + " environment"
		}
	}
	return fmt.Sprintf("job %s is defined for %s only; this is the %q environment", e.Job, names, e.Env)
}
