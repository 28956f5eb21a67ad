package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// noArgs refuses positional arguments as bad usage (exit 2), and where the
// command selects with --select, says how to write what was meant.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.Flags().Lookup("select") != nil {
		return engine.Usagef("%s takes no arguments: to select %s, use --select %s",
			cmd.CommandPath(), strings.Join(args, " "), strings.Join(args, ","))
	}
	return engine.Usagef("%s takes no arguments, got %q (see %s --help)", cmd.CommandPath(), strings.Join(args, " "), cmd.CommandPath())
}

// unknownCommand is the error for a command name the root does not know, with
// the closest known name when there is one.
func unknownCommand(root *cobra.Command, name string) error {
	hint := ""
	if s := root.SuggestionsFor(name); len(s) > 0 {
		hint = fmt.Sprintf("; did you mean %q?", s[0])
	}
	return engine.Usagef("unknown command %q%s (expected one of %s)", name, hint, commandNames(root))
}

// flagError turns a flag parsing error into a usage error in plain words: a
// value that does not parse names the flag, the value and what was expected,
// without Go's strconv text.
func flagError(cmd *cobra.Command, err error) error {
	var bad interface{ GetValue() string }
	if errors.As(err, &bad) {
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, ` for "`); ok {
			if name, _, ok := strings.Cut(rest, `" flag`); ok {
				long := name[strings.LastIndex(name, "--")+2:]
				want := "a valid value"
				if f := cmd.Flags().Lookup(long); f != nil {
					want = expectedFor(f.Value.Type())
				}
				return engine.Usagef("--%s %q: expected %s (see %s --help)", long, bad.GetValue(), want, cmd.CommandPath())
			}
		}
	}
	return engine.Usagef("%v (see %s --help)", err, cmd.CommandPath())
}

func expectedFor(flagType string) string {
	switch {
	case strings.HasPrefix(flagType, "int"), strings.HasPrefix(flagType, "uint"):
		return "a whole number"
	case strings.HasPrefix(flagType, "float"):
		return "a number"
	case flagType == "bool":
		return "true or false"
	case flagType == "duration":
		return "a duration such as 30s or 2h"
	}
	return "a valid " + flagType
}

// withBranchHint adds, to a job refused because it exists only in branch
// deployments, how to run it as one.
func (c *cli) withBranchHint(err error) error {
	var ju *engine.JobUnavailableError
	if !errors.As(err, &ju) {
		return err
	}
	for _, e := range ju.Envs {
		if e == resources.Branch {
			return engine.Usagef("%s; to run it as a branch deployment: %s=<pull request number> %s --env branch job %s",
				jobUnavailable(ju), resources.PullRequestVar, c.app.Name, ju.Job)
		}
	}
	return err
}
