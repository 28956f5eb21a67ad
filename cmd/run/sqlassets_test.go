package main

import (
	"strings"
	"testing"
)

// The SQL variants of comments and stories run in a branch deployment, inside
// the warehouse, reading and writing the pull request's clone only, on both
// backends; their tables equal the Go variants' that production holds.
func TestSQLVariantsInABranch(t *testing.T) {
	t.Run("duckdb", func(t *testing.T) { sqlVariantsInABranch(t, newProject(t)) })
	t.Run("snowflake", func(t *testing.T) { sqlVariantsInABranch(t, newSnowflakeProject(t)) })
}

func sqlVariantsInABranch(t *testing.T, p *project) {
	p.must(prod, "assets")
	production := p.rows("PRODUCTION")
	p.must(branch("42"), "job", "clone_prod")
	sql := []string{"--set", "comments.engine=sql", "--set", "stories.engine=sql"}

	dry := p.must(branch("42"), append([]string{"assets", "--dry-run", "--select", "comments"}, sql...)...)
	want := `SELECT * FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" WHERE "type" = 'comment'`
	if !strings.Contains(dry.stdout, want) || !strings.Contains(dry.stdout, "into PRODUCTION_CLONE_42.HACKER_NEWS.COMMENTS") {
		t.Fatalf("dry run does not show the resolved SQL:\n%s", dry.stdout)
	}

	before := p.checksums()
	r := p.must(branch("42"), append([]string{"assets", "--select", "comments,stories"}, sql...)...)
	if !strings.Contains(r.stderr, `"computed_in":"`) {
		t.Errorf("no materialization computed in the warehouse in the log:\n%s", lastLines(r.stderr, 5))
	}
	if p.snowflake == nil && p.checksums()["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Error("a branch SQL asset changed PRODUCTION's file")
	}
	if !sameRows(p.rows("PRODUCTION_CLONE_42"), production) {
		t.Error("the SQL variants' tables differ from the Go variants'")
	}
	if !sameRows(p.rows("PRODUCTION"), production) {
		t.Error("PRODUCTION changed")
	}
}
