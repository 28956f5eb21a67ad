package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/engine/enginetest"
)

func TestExitCodeMapsEngineErrors(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{nil, 0},
		{engine.Usagef("bad"), 2},
		{fmt.Errorf("wrapped: %w", engine.Usagef("bad")), 2},
		{&engine.DefinitionError{Problem: engine.ProblemCycle}, 2},
		{&engine.ValidationErrors{Errs: []error{errors.New("x")}}, 2},
		{&engine.JobUnavailableError{Job: "j", Env: "local", Envs: []string{"branch"}}, 2},
		{&engine.RunFailedError{RunID: "r", Status: engine.RunFailure, Failures: []engine.StepResult{{Node: "a", Err: engine.Usagef("inside a run")}}}, 1},
		{errors.New("disk full"), 1},
	}
	for _, tc := range cases {
		if got := cli.ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
	msg := cli.Message(&engine.JobUnavailableError{Job: "clone_prod", Env: "prod", Envs: []string{"branch", "local"}})
	if msg != `job clone_prod is defined for branch deployments and the local environment only; this is the "prod" environment` {
		t.Errorf("message %q", msg)
	}
}

// A project's definitions, its own command, and its Validate error reach the
// command line; the environment comes first.
func TestAppDefinitionsAndCommands(t *testing.T) {
	var gotEnv string
	asset := engine.Asset{Name: "numbers", Compute: func(*engine.Context) (any, error) { return 1, nil }}
	mem := &enginetest.IOManager{}
	app := cli.App{
		Name: "myflow",
		Definitions: func(env cli.Env) (engine.Definitions, error) {
			gotEnv = env.Name
			if v, _ := env.Lookup("BROKEN"); v != "" {
				return engine.Definitions{}, errors.New("definitions broke: " + v)
			}
			return engine.Definitions{Assets: []engine.Asset{asset},
				Resources: map[string]engine.Resource{engine.DefaultIOManager: mem.Resource()}}, nil
		},
		Commands: []func(c *cli.Command) *cobra.Command{func(c *cli.Command) *cobra.Command {
			return &cobra.Command{Use: "hello", RunE: func(*cobra.Command, []string) error {
				l, err := c.Load()
				if err != nil {
					return err
				}
				fmt.Fprintf(c.Stdout(), "%s in %s: %d assets\n", c.Name(), l.Env.Name, len(l.Catalog.Describe().Assets))
				return nil
			}}
		}},
	}
	run := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), app, args, &out, &errOut, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := run(map[string]string{"ASSETFLOW_ENV": "prod"}, "hello"); code != 0 || out != "myflow in prod: 1 assets\n" || gotEnv != "prod" {
		t.Errorf("hello: exit %d, %q %q, env %q", code, out, errOut, gotEnv)
	}
	if code, _, errOut := run(map[string]string{"BROKEN": "yes"}, "list"); code != 1 || !strings.HasPrefix(errOut, "myflow: definitions broke: yes") {
		t.Errorf("broken definitions: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(nil, "bogus"); code != 2 || !strings.Contains(errOut, "hello") {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(map[string]string{"ASSETFLOW_RUNS": t.TempDir() + "/runs.db"}, "assets", "--log-format", "json"); code != 0 || mem.Stores("numbers") != 1 {
		t.Errorf("assets: exit %d, %d stores: %s", code, mem.Stores("numbers"), errOut)
	}
	if code, _, errOut := run(nil, "assets", "--set", "x"); code != 2 || !strings.Contains(errOut, `--set "x": expected NODE.KEY=VALUE`) {
		t.Errorf("--set: exit %d, %q", code, errOut)
	}
	noDefs := cli.App{Name: "empty"}
	var errOut bytes.Buffer
	if code := cli.Run(context.Background(), noDefs, []string{"list"}, &bytes.Buffer{}, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "Definitions is nil") {
		t.Errorf("no definitions: exit %d, %q", code, errOut.String())
	}
}
