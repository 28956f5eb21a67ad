// Package resources holds the building blocks a project binds its resources
// with, for the environment decided at startup: the environment rule, and the
// warehouse (embedded DuckDB by default, Snowflake in production) with its I/O
// manager, guarded in branch and named per pull request.
package resources

import (
	"fmt"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// The environments.
const (
	Local  = "local"
	Branch = "branch"
	Prod   = "prod"
)

// Variables that decide the environment.
const (
	EnvVar          = "ASSETFLOW_ENV"
	BranchVar       = "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT"
	PullRequestVar  = "DAGSTER_CLOUD_PULL_REQUEST_ID"
	defaultEnvNotes = "neither --env, " + EnvVar + " nor " + BranchVar + " is set"
)

// Environment is the environment a process runs in, and how it was decided.
type Environment struct {
	Name   string // local, branch or prod
	Source string // what decided it, for `run env`
	PRID   string // the pull request, in branch
}

// LookupFunc reads a variable, like os.LookupEnv.
type LookupFunc func(string) (string, bool)

// ResolveEnvironment applies the rule: --env, else ASSETFLOW_ENV, else
// DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT (1: branch, set to anything else: prod),
// else local. In branch, DAGSTER_CLOUD_PULL_REQUEST_ID must be digits only.
func ResolveEnvironment(flag string, lookup LookupFunc) (Environment, error) {
	var env Environment
	switch {
	case flag != "":
		env = Environment{Name: flag, Source: "--env " + flag}
	case nonEmpty(lookup, EnvVar):
		v, _ := lookup(EnvVar)
		env = Environment{Name: v, Source: EnvVar + "=" + v}
	default:
		if v, ok := lookup(BranchVar); ok {
			if v == "1" {
				env = Environment{Name: Branch, Source: BranchVar + "=1"}
			} else {
				env = Environment{Name: Prod, Source: fmt.Sprintf("%s=%q (not 1)", BranchVar, v)}
			}
		} else {
			env = Environment{Name: Local, Source: "default: " + defaultEnvNotes}
		}
	}
	switch env.Name {
	case Local, Prod:
	case Branch:
		id, ok := lookup(PullRequestVar)
		if !ok || id == "" {
			return env, engine.Usagef("branch environment (%s) needs %s, the pull request number", env.Source, PullRequestVar)
		}
		if err := warehouse.CheckPRID(id); err != nil {
			return env, engine.Usagef("%s: %v", PullRequestVar, err)
		}
		env.PRID = id
	default:
		return env, engine.Usagef("unknown environment %q (from %s): expected local, branch or prod", env.Name, env.Source)
	}
	return env, nil
}

// Database returns the database the environment reads and writes.
func (e Environment) Database() string {
	if e.Name == Branch {
		name, _ := warehouse.CloneName(e.PRID)
		return name
	}
	return warehouse.Production
}

func nonEmpty(lookup LookupFunc, key string) bool {
	v, ok := lookup(key)
	return ok && v != ""
}
