package resources_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// FuzzEnvironmentRule: any flag and variables give local, branch or prod, or an
// error; a branch always has a digits-only PR id and a valid clone database.
func FuzzEnvironmentRule(f *testing.F) {
	f.Add("", "", "1", "42", true)
	f.Add("", "", "1", "1; DROP DATABASE PRODUCTION", true)
	f.Add("branch", "", "", "", false)
	f.Add("", "prod", "0", "", true)
	f.Add("", "", "true", "7", true)
	f.Add("staging", "", "", "", false)
	f.Add("", "", " TRUE ", "7", true)
	f.Add("", "", "yes", "7", true)
	f.Add("", "", "on", "7", true)
	f.Add("", "", "0", "7", true)
	f.Add("prod", "", "1", "7", true)
	f.Add("", "prod", "", "7", false)
	f.Fuzz(func(t *testing.T, flag, envVar, branchVar, pr string, branchSet bool) {
		vars := map[string]string{resources.EnvVar: envVar, resources.PullRequestVar: pr}
		if branchSet {
			vars[resources.BranchVar] = branchVar
		}
		env, err := resources.ResolveEnvironment(flag, lookup(vars))
		if branchSet && flag == "" && envVar == "" {
			isBranch, perr := resources.ParseBranchDeployment(branchVar)
			if perr != nil && err == nil {
				t.Fatalf("%s=%q was accepted as %s", resources.BranchVar, branchVar, env.Name)
			}
			if perr == nil && isBranch && err == nil && env.Name != resources.Branch {
				t.Fatalf("%s=%q gave %s", resources.BranchVar, branchVar, env.Name)
			}
		}
		if err != nil {
			return
		}
		// Fail closed: a pull request id never ends in prod unless --env prod said so.
		if env.Name == resources.Prod && pr != "" && flag != resources.Prod {
			t.Fatalf("PR id %q with prod from %s", pr, env.Source)
		}
		switch env.Name {
		case resources.Local, resources.Prod:
			if env.Database() != warehouse.Production {
				t.Errorf("%s uses %s", env.Name, env.Database())
			}
		case resources.Branch:
			if warehouse.CheckPRID(env.PRID) != nil || warehouse.CheckIdent("database", env.Database()) != nil ||
				env.Database() == warehouse.Production {
				t.Errorf("branch with PR %q database %q", env.PRID, env.Database())
			}
		default:
			t.Errorf("environment %q", env.Name)
		}
	})
}

// FuzzParseBranchDeployment: a value is branch, prod or an error naming it, and
// only the documented spellings are accepted.
func FuzzParseBranchDeployment(f *testing.F) {
	for _, v := range []string{"1", "true", "TRUE", " yes ", "0", "false", "no", "", "on", "2", "tru", "y", "\t1\n"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		isBranch, err := resources.ParseBranchDeployment(v)
		norm := strings.ToLower(strings.TrimSpace(v))
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), strconv.Quote(v)) {
				t.Fatalf("error %q does not name %q", err, v)
			}
			if slices.Contains([]string{"1", "true", "yes", "0", "false", "no", ""}, norm) {
				t.Fatalf("%q refused", v)
			}
		case isBranch != slices.Contains([]string{"1", "true", "yes"}, norm):
			t.Fatalf("%q gave branch=%v", v, isBranch)
		}
	})
}
