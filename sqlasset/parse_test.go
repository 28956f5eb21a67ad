package sqlasset_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/sqlasset"
)

func clone42(asset string) warehouse.TableRef {
	return warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: strings.ToUpper(asset)}
}

func TestRefsAndResolve(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		refs string
		want string
	}{
		{`SELECT * FROM {{ ref "items" }} WHERE "type" = 'comment'`, "items",
			`SELECT * FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" WHERE "type" = 'comment'`},
		{"SELECT c.*, s.title FROM {{ref \"comments\"}} c\nJOIN {{- ref \"stories\" }} s ON c.parent = s.id\nJOIN {{ ref \"comments\" }} x USING (id)",
			"comments,stories",
			"SELECT c.*, s.title FROM \"PRODUCTION_CLONE_42\".\"HACKER_NEWS\".\"COMMENTS\" c\nJOIN\"PRODUCTION_CLONE_42\".\"HACKER_NEWS\".\"STORIES\" s ON c.parent = s.id\nJOIN \"PRODUCTION_CLONE_42\".\"HACKER_NEWS\".\"COMMENTS\" x USING (id)"},
		{`SELECT 1 AS "one" {{/* no upstream */}}`, "", `SELECT 1 AS "one"`},
		{"  SELECT '{' || '}' AS braces  ", "", `SELECT '{' || '}' AS braces`},
	} {
		q, err := sqlasset.Parse("a", tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if got := strings.Join(q.Refs(), ","); got != tc.refs {
			t.Errorf("%s: refs %q, want %q", tc.sql, got, tc.refs)
		}
		got, err := q.Resolve(clone42)
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", tc.sql, got, err, tc.want)
		}
	}
}

// Anything but {{ ref "asset" }} with an asset's name is refused when the asset
// is defined, naming the asset and the action.
func TestParseRefusals(t *testing.T) {
	for sql, ref := range map[string]string{
		`SELECT * FROM {{ ref "items" `:               "",
		`SELECT * FROM {{ ref items }}`:               "",
		`SELECT * FROM {{ .Table }}`:                  "{{.Table}}",
		`SELECT * FROM {{ ref "items" "stories" }}`:   `{{ref "items" "stories"}}`,
		`SELECT * FROM {{ ref "bad name" }}`:          `{{ref "bad name"}}`,
		`SELECT * FROM {{ ref "x\"; DROP TABLE t" }}`: `{{ref "x\"; DROP TABLE t"}}`,
		`SELECT * FROM {{ ref "1items" }}`:            `{{ref "1items"}}`,
		`SELECT * FROM {{ ref "" }}`:                  `{{ref ""}}`,
		`SELECT * FROM {{ $t := ref "items" }}`:       `{{$t := ref "items"}}`,
		`SELECT * FROM {{ ref "items" | printf }}`:    "",
		`{{ if true }}SELECT 1{{ end }}`:              "{{if true}}SELECT 1{{end}}",
		`SELECT * FROM {{ range $x := 1 }}{{ end }}`:  "",
		`SELECT {{ "literal" }}`:                      `{{"literal"}}`,
		"":                                            "",
		"  \n ":                                       "",
	} {
		q, err := sqlasset.Parse("comments", sql)
		var se *sqlasset.Error
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v, %v; want a *sqlasset.Error", sql, q, err)
			continue
		}
		if se.Asset != "comments" || !strings.Contains(err.Error(), "SQL asset comments") {
			t.Errorf("%q: error does not name the asset: %v", sql, err)
		}
		if ref != "" && se.Ref != ref {
			t.Errorf("%q: error names %q, want %q (%v)", sql, se.Ref, ref, err)
		}
	}
}

// A table name that is not a valid identifier is refused at resolution, never
// pasted into the SQL.
func TestResolveValidatesTables(t *testing.T) {
	q, err := sqlasset.Parse("comments", `SELECT * FROM {{ ref "items" }}`)
	if err != nil {
		t.Fatal(err)
	}
	bad := func(string) warehouse.TableRef {
		return warehouse.TableRef{Database: `PRODUCTION"; DROP DATABASE PRODUCTION; --`, Schema: "S", Table: "T"}
	}
	sql, err := q.Resolve(bad)
	var se *sqlasset.Error
	var ie *warehouse.IdentError
	if !errors.As(err, &se) || !errors.As(err, &ie) || sql != "" {
		t.Fatalf("got %q, %v; want a *sqlasset.Error wrapping an *IdentError", sql, err)
	}
	if se.Ref != `{{ ref "items" }}` {
		t.Errorf("error names %q", se.Ref)
	}
}
