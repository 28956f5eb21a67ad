package snowflake_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// rawDB opens the driver itself on the double, with the database and schema
// the login names.
func rawDB(t *testing.T, srv *sfserver.Server, db, schema string) *sql.DB {
	t.Helper()
	cfg := sf.Config{Account: "local", User: user, Password: password, Host: "127.0.0.1", Port: srv.Port(), Protocol: "http",
		Database: db, Schema: schema, Params: map[string]*string{}, LoginTimeout: 5 * time.Second,
		RequestTimeout: 10 * time.Second, DisableTelemetry: true}
	d := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, cfg))
	t.Cleanup(func() { d.Close() })
	d.SetMaxOpenConns(1) // one session, so its context is the one asserted
	return d
}

func open(t *testing.T, srv *sfserver.Server, change func(*snowflake.Config)) *snowflake.Warehouse {
	t.Helper()
	cfg := config(srv)
	if change != nil {
		change(&cfg)
	}
	w, err := snowflake.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// ids binds n rows of one integer column.
func ids(n int) any {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(i + 1)
	}
	return sf.Array(&v)
}

// A login that named a schema that does not exist yet leaves the session with
// no current schema. The driver's stage bind then fails with 090106, as on a
// real account; the backend sets the schema after creating it, so its writes
// work.
func TestSessionWithoutSchemaAndStageBinds(t *testing.T) {
	srv := startServerWith(t, sfserver.Config{StageBindThreshold: 10})
	ctx := context.Background()
	db := rawDB(t, srv, "PRODUCTION", "NOT_YET")
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS "PRODUCTION"."NOT_YET"`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE "PRODUCTION"."NOT_YET"."T" ("id" NUMBER(38,0))`); err != nil {
		t.Fatal(err)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO "PRODUCTION"."NOT_YET"."T" ("id") VALUES (?)`, ids(20))
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 90106 || !strings.Contains(se.Message, "does not have a current schema") {
		t.Fatalf("array bind above the threshold in a session with no schema: %v", err)
	}
	if srv.Stats().StageBindInserts != 0 {
		t.Error("rows were inserted")
	}

	// The backend, logged in the same way, writes a table through the stage.
	w := open(t, srv, func(c *snowflake.Config) { c.Database, c.Schema, c.BulkLoadRows = "PRODUCTION", "NOT_YET", -1 })
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "NOT_YET", Table: "ITEMS"}
	tbl := warehousetest.Sample(1, 30)
	defer tbl.Release()
	if err := w.WriteTable(ctx, ref, tbl); err != nil {
		t.Fatal(err)
	}
	if n := srv.Stats().StageBindInserts; n != 5 { // 30 rows in batches of 7
		t.Errorf("%d inserts from a bind stage, want 5", n)
	}
	got, err := w.ReadTable(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, tbl)
}

// With the 090106 fault on, a write through the stage fails naming the
// privilege and the cause, and the previous table stays.
func TestStageFaultNamesThePrivilege(t *testing.T) {
	srv := startServerWith(t, sfserver.Config{StageBindThreshold: 10})
	ctx := context.Background()
	w := open(t, srv, func(c *snowflake.Config) { c.BulkLoadRows = -1 })
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	first := warehousetest.Sample(1, 1) // 6 values: inline
	defer first.Release()
	if err := w.WriteTable(ctx, ref, first); err != nil {
		t.Fatal(err)
	}
	srv.Inject(sfserver.FaultNoCurrentSchema, true)
	second := warehousetest.Sample(10, 40)
	defer second.Release()
	err := w.WriteTable(ctx, ref, second)
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 90106 || !strings.Contains(err.Error(), "role ASSETFLOW needs CREATE STAGE on schema PRODUCTION.HACKER_NEWS") {
		t.Fatalf("got %v", err)
	}
	if srv.Landed(sfserver.FaultNoCurrentSchema) == 0 {
		t.Fatal("the fault never landed")
	}
	got, err := w.ReadTable(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, first)

	// The same fault on the bulk path.
	bulk := open(t, srv, func(c *snowflake.Config) { c.BulkLoadRows = 1 })
	if err := bulk.WriteTable(ctx, ref, second); !errors.As(err, &se) || se.Number != 90106 {
		t.Fatalf("bulk load: %v", err)
	}
}

// A result chunk whose first download is dropped is fetched again by the
// driver; one dropped every time fails the read with an error, not a hang or
// a short table.
func TestDroppedChunkDownloads(t *testing.T) {
	srv := startServerWith(t, sfserver.Config{ChunkRows: 500})
	ctx := context.Background()
	w := open(t, srv, func(c *snowflake.Config) { c.RequestTimeout = 3 * time.Second })
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	want := warehousetest.Sample(1, 2000)
	defer want.Release()
	if err := w.WriteTable(ctx, ref, want); err != nil {
		t.Fatal(err)
	}

	srv.Inject(sfserver.FaultDropChunkOnce, true)
	got, err := w.ReadTable(ctx, ref)
	if err != nil {
		t.Fatalf("read with each chunk dropped once: %v", err)
	}
	warehousetest.Equal(t, got, want)
	got.Release()
	if n := srv.Landed(sfserver.FaultDropChunkOnce); n != 3 {
		t.Errorf("%d chunk downloads dropped, want 3 (4 chunks, the first inline)", n)
	}
	srv.Inject(sfserver.FaultDropChunkOnce, false)

	srv.Inject(sfserver.FaultDropChunkAlways, true)
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if got, err := w.ReadTable(rctx, ref); err == nil {
		got.Release()
		t.Fatal("a read whose chunks never arrive succeeded")
	} else if !strings.Contains(err.Error(), "result chunk") || rctx.Err() != nil {
		t.Errorf("got %v (context: %v)", err, rctx.Err())
	}
	if srv.Landed(sfserver.FaultDropChunkAlways) == 0 {
		t.Fatal("the fault never landed")
	}
}

// Without ORDER BY the double returns rows in no fixed order; with it, in
// order. ReadTable orders by the key whatever the server does.
func TestRowsInNoFixedOrder(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	w := open(t, srv, nil)
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	tbl := warehousetest.Sample(1, 300)
	defer tbl.Release()
	if err := w.WriteTable(ctx, ref, tbl); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, srv, "", "")
	read := func(q string) []int64 {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	q := `SELECT "id" FROM "PRODUCTION"."HACKER_NEWS"."ITEMS"`
	if a := read(q); len(a) != 300 || slices.IsSorted(a) {
		t.Errorf("rows without ORDER BY came sorted (%d rows)", len(a))
	}
	if a := read(q + ` ORDER BY "id" DESC`); len(a) != 300 || a[0] != 300 || a[299] != 1 {
		t.Errorf("rows with ORDER BY came out of order")
	}
}

// The Arrow answer uses the narrowest integer width per chunk, as a real
// account does; the driver and the backend widen them.
func TestArrowIntegerWidths(t *testing.T) {
	srv := startServerWith(t, sfserver.Config{ChunkRows: 2})
	ctx := context.Background()
	db := rawDB(t, srv, "", "")
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA "PRODUCTION"."W"`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE "PRODUCTION"."W"."T" ("id" NUMBER(38,0))`); err != nil {
		t.Fatal(err)
	}
	values := []int64{1, 100, 1000, -30000, 1 << 20, 3, 1 << 40, -(1 << 62)}
	for _, v := range values {
		if _, err := db.ExecContext(ctx, `INSERT INTO "PRODUCTION"."W"."T" ("id") VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var widths []string
	err = conn.Raw(func(dc any) error {
		rows, err := dc.(driver.QueryerContext).QueryContext(sf.WithArrowBatches(ctx), `SELECT "id" FROM "PRODUCTION"."W"."T" ORDER BY 1`, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		batches, err := rows.(sf.SnowflakeRows).GetArrowBatches()
		if err != nil {
			return err
		}
		for _, b := range batches {
			recs, err := b.Fetch()
			if err != nil {
				return err
			}
			for _, r := range *recs {
				widths = append(widths, r.Column(0).DataType().String())
				r.Release()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted: -(1<<62), -30000 | 1, 3 | 100, 1000 | 1<<20, 1<<40
	want := "int64,int8,int16,int64"
	if strings.Join(widths, ",") != want {
		t.Errorf("chunk widths %v, want %s", widths, want)
	}
}

// An empty table reads back empty with its columns, in Arrow and in JSON: an
// Arrow answer with no batches is told apart from a JSON answer with rows.
func TestEmptyTableReadsBackEmpty(t *testing.T) {
	for _, json := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", json), func(t *testing.T) {
			srv := startServerWith(t, sfserver.Config{JSONResults: json})
			ctx := context.Background()
			w := open(t, srv, nil)
			ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
			empty := warehousetest.Sample(1, 0)
			defer empty.Release()
			if err := w.WriteTable(ctx, ref, empty); err != nil {
				t.Fatal(err)
			}
			got, err := w.ReadTable(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			if got.NumRows() != 0 || !got.Schema().Equal(empty.Schema()) {
				t.Errorf("got %d rows, schema %s", got.NumRows(), got.Schema())
			}
		})
	}
}

// The double refuses what a real account refuses, with Snowflake's codes.
func TestStageStatementsRefused(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	db := rawDB(t, srv, "PRODUCTION", "")
	must := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(`CREATE SCHEMA IF NOT EXISTS "PRODUCTION"."S"`)
	must(`CREATE TABLE "PRODUCTION"."S"."T" ("id" NUMBER(38,0))`)
	must(`CREATE OR REPLACE TEMPORARY STAGE "PRODUCTION"."S"."ST"`)
	for _, c := range []struct {
		q    string
		code int
		text string
	}{
		{`CREATE TEMPORARY STAGE ST2`, 90106, "does not have a current schema"},
		{`CREATE TEMPORARY STAGE "PRODUCTION"."S"."ST"`, 2002, "already exists"},
		{`CREATE STAGE "PRODUCTION"."S"."PERMANENT"`, 1003, "only temporary stages"},
		{`USE SCHEMA "PRODUCTION"."NOPE"`, 2003, "Schema 'PRODUCTION.NOPE' does not exist"},
		{`COPY INTO "PRODUCTION"."S"."T" FROM @"PRODUCTION"."S"."ST" FILE_FORMAT = (TYPE = PARQUET)`, 2019, "MATCH_BY_COLUMN_NAME"},
		{`COPY INTO "PRODUCTION"."S"."T" FROM @"PRODUCTION"."S"."ST" FILE_FORMAT = (TYPE = CSV)`, 1003, "only from Parquet"},
		{`COPY INTO "PRODUCTION"."S"."T" FROM @"PRODUCTION"."S"."GONE" FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE`, 2003, "Stage 'PRODUCTION.S.GONE' does not exist"},
	} {
		_, err := db.ExecContext(ctx, c.q)
		var se *sf.SnowflakeError
		if !errors.As(err, &se) || se.Number != c.code || !strings.Contains(se.Message, c.text) {
			t.Errorf("%s: got %v, want %d %q", c.q, err, c.code, c.text)
		}
	}
	// A PUT to a stage that does not exist fails before any upload.
	pctx := sf.WithFileStream(ctx, strings.NewReader("1\n"))
	_, err := db.ExecContext(pctx, `PUT 'file:///x/a.csv' @"PRODUCTION"."S"."GONE" AUTO_COMPRESS=FALSE`)
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 2003 || srv.Stats().Uploads != 0 {
		t.Errorf("PUT to a missing stage: %v, %d uploads", err, srv.Stats().Uploads)
	}
	// An empty stage loads nothing and says so.
	must(`COPY INTO "PRODUCTION"."S"."T" FROM @"PRODUCTION"."S"."ST" FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE`)
	if srv.Stats().CopyLoads != 0 {
		t.Error("an empty stage counted as a load")
	}
}
