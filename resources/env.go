// Package resources holds the building blocks a project binds its resources
// with, for the environment decided at startup: the environment rule, and the
// warehouse (embedded DuckDB by default, Snowflake in production) with its I/O
// manager, guarded in branch and named per pull request.
package resources

import (
	"fmt"
	"strings"

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
	Name     string   // local, branch or prod
	Source   string   // what decided it, for `run env`
	PRID     string   // the pull request, in branch
	Warnings []string // contradictions the caller should print, one line each
}

// LookupFunc reads a variable, like os.LookupEnv.
type LookupFunc func(string) (string, bool)

// ParseBranchDeployment reads DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT, failing
// closed: 1, true or yes (any case, spaces trimmed) is a branch; 0, false, no or
// empty is not; anything else is an error naming the value.
func ParseBranchDeployment(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no", "":
		return false, nil
	}
	return false, engine.Usagef("%s=%q: expected 1, true or yes (a branch deployment) or 0, false, no or empty (production)", BranchVar, v)
}

// ResolveEnvironment applies the rule: --env, else ASSETFLOW_ENV, else
// DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT (see ParseBranchDeployment), else local.
// In branch, DAGSTER_CLOUD_PULL_REQUEST_ID must be digits only. A pull request
// id set while the result is prod is an error unless --env prod says so: a CI
// config that means a branch must not write production by a slip. An explicit
// choice that contradicts the DAGSTER_CLOUD_* variables wins, with a warning.
// A pull request id with neither an explicit choice nor the branch variable is
// an error too: the default, local, writes PRODUCTION.
func ResolveEnvironment(flag string, lookup LookupFunc) (Environment, error) {
	var env Environment
	branchRaw, branchSet := lookup(BranchVar)
	prID, _ := lookup(PullRequestVar)
	switch {
	case flag != "":
		env = Environment{Name: flag, Source: "--env " + flag}
	case nonEmpty(lookup, EnvVar):
		v, _ := lookup(EnvVar)
		env = Environment{Name: v, Source: EnvVar + "=" + v}
	case branchSet:
		isBranch, err := ParseBranchDeployment(branchRaw)
		if err != nil {
			return env, err
		}
		env = Environment{Name: Prod, Source: fmt.Sprintf("%s=%q", BranchVar, branchRaw)}
		if isBranch {
			env.Name = Branch
		}
	default:
		if prID != "" {
			// Local writes PRODUCTION too (on Snowflake, the account's): a CI
			// config that lost the branch variable must not fall back to it.
			return env, engine.Usagef("%s=%q is set but %s is not: set %s=1 for its branch deployment, or pass --env local if a local run is meant",
				PullRequestVar, prID, BranchVar, BranchVar)
		}
		env = Environment{Name: Local, Source: "default: " + defaultEnvNotes}
	}
	switch env.Name {
	case Local, Prod, Branch:
	default:
		return env, engine.Usagef("unknown environment %q (from %s): expected local, branch or prod", env.Name, env.Source)
	}
	explicit := flag != "" || nonEmpty(lookup, EnvVar)
	if explicit {
		env.Warnings = contradictions(env, branchRaw, branchSet, prID)
	}
	switch env.Name {
	case Branch:
		if prID == "" {
			return env, engine.Usagef("branch environment (%s) needs %s, the pull request number", env.Source, PullRequestVar)
		}
		if err := warehouse.CheckPRID(prID); err != nil {
			return env, engine.Usagef("%s: %v", PullRequestVar, err)
		}
		env.PRID = prID
	case Prod:
		if prID != "" && flag != Prod {
			return env, engine.Usagef("%s=%q is set but the environment is prod (from %s): a pull request must not write production; "+
				"set %s=1 for its branch, or pass --env prod if production is meant", PullRequestVar, prID, env.Source, BranchVar)
		}
	}
	return env, nil
}

// contradictions lists where an explicit environment disagrees with what the
// DAGSTER_CLOUD_* variables say.
func contradictions(env Environment, branchRaw string, branchSet bool, prID string) []string {
	var out []string
	if branchSet {
		isBranch, err := ParseBranchDeployment(branchRaw)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("%s wins over %s=%q, which is not a valid value", env.Source, BranchVar, branchRaw))
		case isBranch && env.Name != Branch:
			out = append(out, fmt.Sprintf("%s wins over %s=%q, which says branch", env.Source, BranchVar, branchRaw))
		case !isBranch && env.Name == Branch:
			out = append(out, fmt.Sprintf("%s wins over %s=%q, which says prod", env.Source, BranchVar, branchRaw))
		}
	}
	if prID != "" && env.Name != Branch {
		out = append(out, fmt.Sprintf("%s wins over %s=%q, which says a branch deployment", env.Source, PullRequestVar, prID))
	}
	return out
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
