package sfserver

import "testing"

func TestStatementCount(t *testing.T) {
	for text, want := range map[string]int{
		"SELECT 1":                               1,
		"SELECT 1;":                              1,
		" ; SELECT 1 ;; ":                        1,
		"SELECT 1; DROP TABLE t":                 2,
		"SELECT ';' AS x":                        1,
		`SELECT 1 AS "a;b"`:                      1,
		"SELECT 'it''s; fine'":                   1,
		"SELECT 1 -- ; not a statement\n":        1,
		"SELECT 1 /* ; */":                       1,
		"SELECT 1; /* c */ SELECT 2; SELECT 3":   3,
		"":                                       0,
		"CREATE TABLE t AS SELECT 1;\nSELECT 2;": 2,
	} {
		if got := statementCount(text); got != want {
			t.Errorf("statementCount(%q) = %d, want %d", text, got, want)
		}
	}
}
