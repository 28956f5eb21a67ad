package main

import (
	"strings"
	"testing"
)

// TestPullRequestLifecycle drives the real binary through a pull request's life,
// as the CI workflows under deploy/ do, on the embedded warehouse and on the
// Snowflake backend (against the local test double, through the real driver).
func TestPullRequestLifecycle(t *testing.T) {
	t.Run("duckdb", func(t *testing.T) { lifecycle(t, newProject(t)) })
	t.Run("snowflake", func(t *testing.T) { lifecycle(t, newSnowflakeProject(t)) })
	// With roles.sql's least-privilege roles, the branch role owns every object
	// of its clone and can write it (a table it could not replace would fail
	// with 003001 on the double, as on a real account).
	t.Run("snowflake roles", func(t *testing.T) { lifecycle(t, newSnowflakeRolesProject(t)) })
}

func lifecycle(t *testing.T, p *project) {

	// 1. Production materializes the assets.
	p.must(prod, "assets")
	production := p.rows("PRODUCTION")
	if len(production["ITEMS"]) == 0 || len(production["COMMENTS"]) == 0 || len(production["STORIES"]) == 0 {
		t.Fatalf("production tables are empty: %d items", len(production["ITEMS"]))
	}

	// 2. PR 42 opens: its clone equals production.
	p.must(branch("42"), "job", "clone_prod")
	if !sameRows(p.rows("PRODUCTION_CLONE_42"), production) {
		t.Fatal("the clone differs from production")
	}

	// 3. The branch materializes with changed config, into its clone only.
	before := p.checksums()
	p.must(branch("42"), "assets", "--set", "items.base_item_id=100")
	after := p.checksums()
	if p.snowflake == nil && after["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Error("a branch run changed PRODUCTION's file")
	}
	if !sameRows(p.rows("PRODUCTION"), production) {
		t.Error("a branch run changed PRODUCTION's tables")
	}
	if n := len(p.rows("PRODUCTION_CLONE_42")["ITEMS"]); n == 0 || n >= len(production["ITEMS"]) {
		t.Errorf("the clone has %d items after base_item_id=100 (production %d)", n, len(production["ITEMS"]))
	}

	// 4. The PR is synchronized: clone_prod replaces the clone with production.
	p.must(branch("42"), "job", "clone_prod")
	if !sameRows(p.rows("PRODUCTION_CLONE_42"), production) {
		t.Error("clone_prod again did not restore a fresh copy")
	}

	// 6. Two PRs at once keep separate clones.
	p.must(branch("43"), "job", "clone_prod")
	p.must(branch("43"), "assets", "--set", "items.base_item_id=50")
	if n := len(p.rows("PRODUCTION_CLONE_42")["ITEMS"]); n != len(production["ITEMS"]) {
		t.Error("PR 43's run changed PR 42's clone")
	}

	// 5. The PR closes: drop_prod_clone removes it; twice is harmless.
	p.must(branch("43"), "job", "drop_prod_clone")
	p.must(branch("43"), "job", "drop_prod_clone")
	if got := strings.Join(p.databases(), ","); got != "PRODUCTION,PRODUCTION_CLONE_42" {
		t.Errorf("databases after dropping PR 43's clone: %s", got)
	}
	if !sameRows(p.rows("PRODUCTION"), production) {
		t.Error("PRODUCTION changed during the lifecycle")
	}
}

// Bad branch settings are refused before anything connects; every database is
// left as it was.
func TestBranchRefusals(t *testing.T) {
	p := newProject(t)
	p.must(prod, "assets")
	p.must(branch("42"), "job", "clone_prod")
	before := p.checksums()
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"PR id with SQL", branch("1; DROP DATABASE PRODUCTION"), []string{"job", "clone_prod"}, `invalid PR id "1; DROP DATABASE PRODUCTION": expected digits only`},
		{"PR id not digits", branch("abc"), []string{"assets"}, `invalid PR id "abc"`},
		{"missing PR id", []string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=1"}, []string{"job", "drop_prod_clone"}, "needs DAGSTER_CLOUD_PULL_REQUEST_ID"},
		{"branch job outside a branch", prod, []string{"job", "clone_prod"}, "job clone_prod is defined for branch deployments only"},
		{"branch job locally", nil, []string{"job", "drop_prod_clone"}, `defined for branch deployments only; this is the "local" environment`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := p.run(tc.env, tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, tc.want)
			}
			if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 {
				t.Errorf("want one line of error, got %d", len(lines))
			}
		})
	}
	after := p.checksums()
	if len(after) != len(before) {
		t.Fatalf("databases %v, want %v", len(after), len(before))
	}
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s changed", name)
		}
	}
}
