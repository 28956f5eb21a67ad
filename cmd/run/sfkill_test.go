package main

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// kill -9 during materializations on Snowflake, where DDL commits and only
// one statement of a write changes the table: every table is the old one or
// the new one, never partial, and a grant on ITEMS survives every attempt.
func TestKillDuringMaterializationOnSnowflake(t *testing.T) {
	p := newSnowflakeProject(t)
	start := time.Now()
	p.must(nil, "assets", "--set", "items.base_item_id=3000")
	whole := time.Since(start) // kills land at random points of a run as long as this one
	want := p.snowflakeTables("PRODUCTION")
	if len(want) != 3 {
		t.Fatalf("tables %d", len(want))
	}
	admin := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "local", User: "ASSETFLOW_CI",
		Password: "ci-password", Host: "127.0.0.1", Port: p.snowflake.Port(), Protocol: "http", Params: map[string]*string{},
		LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second, DisableTelemetry: true}))
	defer admin.Close()
	for _, s := range []string{"CREATE ROLE ANALYST", `GRANT SELECT ON TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS" TO ROLE ANALYST`} {
		if _, err := admin.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	granted := func() bool {
		var n int
		rows, err := admin.Query(`SHOW GRANTS TO ROLE ANALYST`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			n++
		}
		return n == 1
	}
	// A kill in the middle of a write leaves its load table behind (no one is
	// left to drop it): counting them counts the kills that landed mid-write.
	loadTables := func() int {
		var n int
		if err := admin.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE database_name = 'PRODUCTION' AND table_name LIKE '\_AF\_%' ESCAPE '\'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Kills are timed from the items step's first log line, so a busy
	// machine's start-up does not scatter them, at random points of a span as
	// long as a whole run; at least 8, and more (up to 40) until 2 landed
	// mid-write.
	rng := rand.New(rand.NewPCG(3, 4))
	mid, kills := 0, 0
	for ; kills < 40 && (kills < 8 || mid < 2); kills++ {
		before := loadTables()
		p.killWhen("fetching items", whole*time.Duration(rng.IntN(100))/100, nil, "assets", "--set", "items.base_item_id=3000")
		if loadTables() > before {
			mid++
		}
		if !sameRows(p.snowflakeTables("PRODUCTION"), want) {
			t.Fatalf("kill %d: a table is partial", kills)
		}
		if !granted() {
			t.Fatalf("kill %d: the grant on ITEMS is gone", kills)
		}
	}
	t.Logf("%d kills, %d mid-write", kills, mid)
	if mid < 2 {
		t.Fatalf("only %d of %d kills landed in the middle of a write: the test did not exercise what it claims", mid, kills)
	}
	p.must(nil, "assets", "--set", "items.base_item_id=3000")
	if !sameRows(p.snowflakeTables("PRODUCTION"), want) || !granted() {
		t.Error("the run after the kills")
	}
}

// snowflakeTables reads the Hacker News tables of a database on the double.
func (p *project) snowflakeTables(db string) map[string][][]any {
	p.t.Helper()
	w := p.open("")
	defer w.Close()
	out := map[string][][]any{}
	for _, table := range []string{"ITEMS", "COMMENTS", "STORIES"} {
		ref := warehouse.TableRef{Database: db, Schema: "HACKER_NEWS", Table: table}
		info, err := w.TableInfo(context.Background(), ref)
		if err != nil {
			p.t.Fatal(err)
		}
		if !info.Exists {
			continue
		}
		tbl, err := w.ReadTable(context.Background(), ref)
		if err != nil {
			p.t.Fatal(err)
		}
		out[table] = warehousetest.Rows(tbl)
		tbl.Release()
	}
	return out
}
