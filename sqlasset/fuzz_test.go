package sqlasset_test

import (
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/sqlasset"
)

// FuzzParse: any text either is refused with an *Error or parses into refs
// that are asset names, and resolves into SQL with every reference replaced by
// a quoted, validated table and no template action left.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`SELECT * FROM {{ ref "items" }} WHERE "type" = 'comment'`,
		`SELECT {{ ref "a" }}.x FROM {{ref "a"}}, {{- ref "b" -}}`,
		`{{ ref "x\"; DROP" }}`, `{{ .X }}`, `{{ if 1 }}{{ end }}`, `{{/* c */}} SELECT 1`, `SELECT '{{'`, `{{`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		q, err := sqlasset.Parse("a", sql)
		if err != nil {
			if _, ok := err.(*sqlasset.Error); !ok {
				t.Fatalf("%q: %T %v", sql, err, err)
			}
			return
		}
		for _, r := range q.Refs() {
			if warehouse.CheckIdent("table", strings.ToUpper(r)) != nil {
				t.Fatalf("%q: ref %q is not a name", sql, r)
			}
		}
		out, err := q.Resolve(clone42)
		if err != nil {
			t.Fatalf("%q: resolve: %v", sql, err)
		}
		for _, r := range q.Refs() {
			if !strings.Contains(out, clone42(r).Quoted()) {
				t.Fatalf("%q: %s missing from %q", sql, clone42(r).Quoted(), out)
			}
		}
	})
}
