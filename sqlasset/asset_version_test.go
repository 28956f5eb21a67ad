package sqlasset_test

import (
	"testing"

	"github.com/assetflow/assetflow/sqlasset"
)

// A SQL asset's code version comes from its normalized SQL: reformatting and
// comments leave it alone, a changed query or literal changes it.
func TestCodeVersionFromNormalizedSQL(t *testing.T) {
	version := func(sql string) string {
		t.Helper()
		return sqlasset.Must(sqlasset.New("b", sql)).CodeVersion
	}
	base := version(`SELECT id FROM {{ ref "a" }} WHERE type = 'story'`)
	if base == "" {
		t.Fatal("no code version")
	}
	if got := version("SELECT id\n  FROM {{ ref \"a\" }} -- stories only\n WHERE type = 'story';"); got != base {
		t.Errorf("a reformatted query changed the version: %q vs %q", got, base)
	}
	if got := version(`SELECT id FROM {{ ref "a" }} WHERE type = 'Story'`); got == base {
		t.Error("a changed literal kept the version")
	}
	if got := sqlasset.Must(sqlasset.Definition{Name: "b", SQL: `SELECT 1 AS x`, CodeVersion: "v7"}.Asset()).CodeVersion; got != "v7" {
		t.Errorf("a set version is %q, want v7", got)
	}
}
