package resources_test

import (
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
	f.Fuzz(func(t *testing.T, flag, envVar, branchVar, pr string, branchSet bool) {
		vars := map[string]string{resources.EnvVar: envVar, resources.PullRequestVar: pr}
		if branchSet {
			vars[resources.BranchVar] = branchVar
		}
		env, err := resources.ResolveEnvironment(flag, lookup(vars))
		if err != nil {
			return
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
