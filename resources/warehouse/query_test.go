package warehouse

import (
	"errors"
	"testing"
)

func TestCheckQuery(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1":                             "SELECT 1",
		"  select 1 ;\n":                       "select 1",
		"WITH a AS (SELECT 1) SELECT * FROM a": "WITH a AS (SELECT 1) SELECT * FROM a",
		"(SELECT 1) UNION (SELECT 2)":          "(SELECT 1) UNION (SELECT 2)",
		"-- the comments\nSELECT 1":            "SELECT 1",
		"/* a */ /* b */ SELECT 1":             "SELECT 1",
	} {
		if got, err := CheckQuery(q); err != nil || got != want {
			t.Errorf("CheckQuery(%q) = %q, %v; want %q", q, got, err, want)
		}
	}
	for _, q := range []string{"", ";", "DROP TABLE t", "DELETE FROM t", "-- SELECT 1", "/* SELECT 1", "INSERT INTO t SELECT 1",
		"CREATE TABLE t AS SELECT 1", "selected"} {
		var qe *QueryError
		if _, err := CheckQuery(q); !errors.As(err, &qe) {
			t.Errorf("CheckQuery(%q) = %v, want a *QueryError", q, err)
		}
	}
}
