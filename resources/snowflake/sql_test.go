package snowflake

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

var items = warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "ITEMS"}

func TestStatements(t *testing.T) {
	cols := []warehouse.Column{{Name: "id", Kind: warehouse.Int64}, {Name: "time", Kind: warehouse.Timestamp},
		{Name: "kids", Kind: warehouse.Int64List}, {Name: "title", Kind: warehouse.String}}
	staging := items
	staging.Table = "_AF_STAGING_ITEMS_X"
	cases := map[string]string{
		createAsSQL(items, "SELECT 1 AS \"id\""): `CREATE OR REPLACE TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" AS SELECT 1 AS "id"`,
		createDatabaseSQL("PRODUCTION_CLONE_42"): `CREATE OR REPLACE DATABASE "PRODUCTION_CLONE_42"`,
		cloneTableSQL(items, warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}): `CREATE TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" CLONE "PRODUCTION"."HACKER_NEWS"."ITEMS"`,
		dropDatabaseSQL("PRODUCTION_CLONE_42"):       `DROP DATABASE IF EXISTS "PRODUCTION_CLONE_42"`,
		createSchemaSQL("PRODUCTION", "HACKER_NEWS"): `CREATE SCHEMA IF NOT EXISTS "PRODUCTION"."HACKER_NEWS"`,
		createTableSQL(staging, cols, loadType): `CREATE OR REPLACE TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."_AF_STAGING_ITEMS_X" ` +
			`("id" NUMBER(38,0), "time" TIMESTAMP_NTZ(6), "kids" VARCHAR, "title" VARCHAR)`,
		createTableSQL(items, cols, sqlType): `CREATE OR REPLACE TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" ` +
			`("id" NUMBER(38,0), "time" TIMESTAMP_NTZ(6), "kids" ARRAY, "title" VARCHAR)`,
		insertSQL(staging, cols): `INSERT INTO "PRODUCTION_CLONE_42"."HACKER_NEWS"."_AF_STAGING_ITEMS_X" ("id", "time", "kids", "title") VALUES (?, ?, ?, ?)`,
		replaceSQL(items, selectConvertedSQL(staging, cols)): `CREATE OR REPLACE TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" COPY GRANTS AS SELECT "id", "time", ` +
			`PARSE_JSON("kids")::ARRAY AS "kids", "title" FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."_AF_STAGING_ITEMS_X"`,
		tableInfoSQL("PRODUCTION"): `SELECT "ROW_COUNT", "LAST_ALTERED" FROM "PRODUCTION"."INFORMATION_SCHEMA"."TABLES" WHERE "TABLE_SCHEMA" = ? AND "TABLE_NAME" = ?`,
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// Statement text cannot be built from an unvalidated name.
func TestQuoteRefusesUnvalidatedNames(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("an injected name reached SQL text")
		}
	}()
	createDatabaseSQL(`X" CLONE "Y`)
}

// Values travel as array bindings, one per column, nulls as nil; lists as JSON.
func TestBindColumns(t *testing.T) {
	tbl := warehousetest.Sample(1, 6)
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 100)
	defer tr.Release()
	tr.Next()
	rec := tr.Record()
	cols, err := warehouse.ColumnsOf(rec.Schema())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []warehouse.ColumnKind
	for _, c := range cols {
		kinds = append(kinds, c.Kind)
	}
	// Lists as JSON text and nulls as nil, for the raw staging table.
	if got := fmt.Sprint(columnValues(rec.Column(3))); got != "[[] [20,21] <nil> [] [50,51] <nil>]" {
		t.Errorf("kids bound as %s", got)
	}
	if got := fmt.Sprint(columnValues(rec.Column(1))[3:5]); got != "[títle ✓ e \"q\" 'x' <nil>]" {
		t.Errorf("titles bound as %s", got)
	}
	for c, col := range rec.Columns() {
		if bindColumn(col, kinds[c]) == nil {
			t.Fatalf("column %d: no binding", c)
		}
	}
}

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind warehouse.ColumnKind
		want any
	}{
		{"42", warehouse.Int64, int64(42)},
		{"2.5", warehouse.Float64, 2.5},
		{"true", warehouse.Bool, true},
		{"héllo", warehouse.String, "héllo"},
		{"[\n  1,\n  2\n]", warehouse.Int64List, []int64{1, 2}},
		{"[]", warehouse.Int64List, []int64{}},
		{"2006-10-09T18:21:51Z", warehouse.Timestamp, time.Date(2006, 10, 9, 18, 21, 51, 0, time.UTC)},
	} {
		got, err := parseValue(nullString(tc.in), tc.kind)
		if err != nil || !equal(got, tc.want) {
			t.Errorf("%q as %v: %#v (%v), want %#v", tc.in, tc.kind, got, err, tc.want)
		}
	}
	if v, err := parseValue(nullString(""), warehouse.Int64); err == nil {
		t.Errorf("empty int parsed as %v", v)
	}
}

func TestLoginErrorsNameTheCauseNotTheSecret(t *testing.T) {
	cfg := Config{Account: "acct", User: "me", Password: "hunter2"}
	msg := describe(&sf.SnowflakeError{Number: 390100, Message: "Incorrect username or password was specified."}, cfg)
	if msg != "login failed for user me: incorrect username or password" {
		t.Errorf("got %q", msg)
	}
	if msg := describe(errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), cfg); !strings.HasPrefix(msg, "cannot reach the account") {
		t.Errorf("got %q", msg)
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, Err: errors.New("connect: connection refused")}
	if msg := describe(fmt.Errorf("Post %q: %w", "http://127.0.0.1:9/session/v1/login-request?requestId=x", refused), cfg); msg != "cannot reach the account at 127.0.0.1:9: dial connect: connection refused" {
		t.Errorf("got %q", msg)
	}
	for _, s := range cfg.Settings() {
		if s.Name == "password" && s.Shown() != "***" {
			t.Error("password shown in settings")
		}
	}
}
