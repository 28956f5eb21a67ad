package resources_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

func lookup(vars map[string]string) resources.LookupFunc {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestResolveEnvironment(t *testing.T) {
	cases := []struct {
		name     string
		flag     string
		vars     map[string]string
		env, db  string
		errMatch string
	}{
		{name: "nothing set is local", env: "local", db: "PRODUCTION"},
		{name: "flag wins over everything", flag: "prod", vars: map[string]string{"ASSETFLOW_ENV": "local", "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1"}, env: "prod", db: "PRODUCTION"},
		{name: "ASSETFLOW_ENV wins over dagster", vars: map[string]string{"ASSETFLOW_ENV": "local", "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1"}, env: "local", db: "PRODUCTION"},
		{name: "branch deployment", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1", "DAGSTER_CLOUD_PULL_REQUEST_ID": "42"}, env: "branch", db: "PRODUCTION_CLONE_42"},
		{name: "0 is prod", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "0"}, env: "prod", db: "PRODUCTION"},
		{name: "set but empty is prod", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": ""}, env: "prod", db: "PRODUCTION"},
		{name: "branch by flag reads the PR id", flag: "branch", vars: map[string]string{"DAGSTER_CLOUD_PULL_REQUEST_ID": "7"}, env: "branch", db: "PRODUCTION_CLONE_7"},
		{name: "branch without PR id", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1"}, errMatch: "needs DAGSTER_CLOUD_PULL_REQUEST_ID"},
		{name: "PR id injection", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1", "DAGSTER_CLOUD_PULL_REQUEST_ID": "1; DROP DATABASE PRODUCTION"}, errMatch: `invalid PR id "1; DROP DATABASE PRODUCTION": expected digits only`},
		{name: "PR id with a leading zero", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1", "DAGSTER_CLOUD_PULL_REQUEST_ID": "05"}, errMatch: `invalid PR id "05": expected digits only, with no leading zero`},
		{name: "PR id with a sign", flag: "branch", vars: map[string]string{"DAGSTER_CLOUD_PULL_REQUEST_ID": "-1"}, errMatch: "expected digits only"},
		{name: "unknown environment", flag: "staging", errMatch: `unknown environment "staging" (from --env staging): expected local, branch or prod`},
		// Fail closed (issue 16, item 2).
		{name: "true with a PR id is branch", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "true", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, env: "branch", db: "PRODUCTION_CLONE_5"},
		{name: "TRUE trimmed is branch", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": " TRUE\n", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, env: "branch", db: "PRODUCTION_CLONE_5"},
		{name: "Yes is branch", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "Yes", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, env: "branch", db: "PRODUCTION_CLONE_5"},
		{name: "False is prod", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "False"}, env: "prod", db: "PRODUCTION"},
		{name: "no is prod", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": " no "}, env: "prod", db: "PRODUCTION"},
		{name: "other value is an error", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "on"}, errMatch: `DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT="on": expected 1, true or yes`},
		{name: "2 is an error", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "2", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, errMatch: `"2"`},
		{name: "PR id with prod is an error", vars: map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "0", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, errMatch: `DAGSTER_CLOUD_PULL_REQUEST_ID="5" is set but the environment is prod`},
		{name: "PR id with ASSETFLOW_ENV prod is an error", vars: map[string]string{"ASSETFLOW_ENV": "prod", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, errMatch: "pass --env prod"},
		{name: "PR id alone is an error, not local (which writes PRODUCTION)", vars: map[string]string{"DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, errMatch: `DAGSTER_CLOUD_PULL_REQUEST_ID="5" is set but DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT is not`},
		{name: "PR id with --env local is local", flag: "local", vars: map[string]string{"DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, env: "local", db: "PRODUCTION"},
		{name: "PR id with --env prod is prod", flag: "prod", vars: map[string]string{"DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, env: "prod", db: "PRODUCTION"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := resources.ResolveEnvironment(tc.flag, lookup(tc.vars))
			if tc.errMatch != "" {
				var ue *engine.UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("got %v, want a usage error containing %q", err, tc.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if env.Name != tc.env || env.Database() != tc.db || env.Source == "" {
				t.Errorf("got %+v (database %s), want %s / %s", env, env.Database(), tc.env, tc.db)
			}
		})
	}
}

func TestBindRefusesBadConfigurationBeforeConnecting(t *testing.T) {
	local := resources.Environment{Name: resources.Local}
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"unknown warehouse scheme", map[string]string{"ASSETFLOW_WAREHOUSE": "postgres://x"}, "unknown scheme"},
		{"password in the URL", map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://me:hunter2@acct"}, "must not hold a password"},
		{"missing password variable", map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://me@acct"}, "nothing to sign in with: set ASSETFLOW_SNOWFLAKE_LOCAL_PRIVATE_KEY_FILE (key-pair sign-in) or ASSETFLOW_SNOWFLAKE_LOCAL_PASSWORD"},
		{"bad port", map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://me@acct?port=x", "SYSTEM_SNOWFLAKE_PASSWORD": "p"}, `snowflake port "x"`},
		{"bad lock wait", map[string]string{"ASSETFLOW_LOCK_WAIT": "soon"}, `ASSETFLOW_LOCK_WAIT="soon"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resources.Warehouse(local, "SALES", resources.Options{Lookup: lookup(tc.vars)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the error shows the password")
			}
		})
	}
}

func TestBindShowsSecretsMasked(t *testing.T) {
	vars := map[string]string{"ASSETFLOW_WAREHOUSE": "snowflake://me@acct?role=R&warehouse=W", "SYSTEM_SNOWFLAKE_PASSWORD": "hunter2"}
	res, err := resources.Warehouse(resources.Environment{Name: resources.Prod}, "SALES", resources.Options{Lookup: lookup(vars)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range res["warehouse"].Settings {
		if s.Value == "hunter2" && s.Shown() == "***" {
			found = true
		}
		if s.Shown() == "hunter2" {
			t.Error("password shown")
		}
	}
	if !found {
		t.Error("password setting missing or not secret")
	}
}

// TestEnvironmentContradictionWarns: an explicit environment that contradicts
// DAGSTER_CLOUD_* wins, with a warning line naming both.
func TestEnvironmentContradictionWarns(t *testing.T) {
	cases := []struct {
		flag string
		vars map[string]string
		want []string // in the one warning line
	}{
		{"prod", map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, []string{"--env prod", `DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT="1"`}},
		{"", map[string]string{"ASSETFLOW_ENV": "local", "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "true"}, []string{"ASSETFLOW_ENV=local", `DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT="true"`}},
		{"branch", map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "0", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, []string{"--env branch", `DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT="0"`, "says prod"}},
		{"local", map[string]string{"DAGSTER_CLOUD_PULL_REQUEST_ID": "5"}, []string{"--env local", `DAGSTER_CLOUD_PULL_REQUEST_ID="5"`}},
	}
	for _, tc := range cases {
		env, err := resources.ResolveEnvironment(tc.flag, lookup(tc.vars))
		if err != nil {
			t.Fatalf("%s %v: %v", tc.flag, tc.vars, err)
		}
		if len(env.Warnings) == 0 {
			t.Errorf("%s %v: no warning", tc.flag, tc.vars)
			continue
		}
		for _, w := range tc.want {
			if line := env.Warnings[0]; !strings.Contains(line, w) || strings.Contains(line, "\n") {
				t.Errorf("warning %q does not name %q", line, w)
			}
		}
	}
	if env, _ := resources.ResolveEnvironment("branch", lookup(map[string]string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1", "DAGSTER_CLOUD_PULL_REQUEST_ID": "5"})); len(env.Warnings) != 0 {
		t.Errorf("agreeing choices warned: %v", env.Warnings)
	}
}
