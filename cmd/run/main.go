// Command run is assetflow's command line: materialize assets, run jobs, and
// inspect the graph, in the environment decided at startup.
//
//	run assets                 materialize every asset
//	run job clone_prod         run a job (branch deployments)
//	run graph                  show the asset graph and jobs
//	run list | run env         what is defined and bound here
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
)

func main() {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.NewRoot(os.Stdout, os.Stderr, os.LookupEnv).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "run: "+err.Error())
		os.Exit(exitCode(err))
	}
}

// exitCode maps an error to the process status: 2 for bad usage or invalid
// definitions, 1 for a run that did not succeed or anything else.
func exitCode(err error) int {
	var ec engine.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return engine.ExitRunFailed
}
