package snowflake_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

const user, password = "ASSETFLOW_CI", "local-test-password"

// startServer starts the local Snowflake test double, with PRODUCTION existing
// as on an account and every feature of a real account on.
func startServer(t *testing.T) *sfserver.Server {
	t.Helper()
	return startServerWith(t, sfserver.Config{})
}

// startServerWith starts the double with some settings changed.
func startServerWith(t *testing.T, cfg sfserver.Config) *sfserver.Server {
	t.Helper()
	cfg.Dir, cfg.Users, cfg.Databases = t.TempDir(), map[string]string{user: password}, []string{"PRODUCTION"}
	srv, err := sfserver.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func config(srv *sfserver.Server) snowflake.Config {
	return snowflake.Config{Account: "local", User: user, Password: password, Role: "ASSETFLOW", Warehouse: "CI_WH",
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second,
		BatchRows: 7} // small batches: several bound INSERTs per write
}

// The Snowflake backend, through the real gosnowflake driver, passes the same
// suite as the embedded backend, with every feature of the double on: the
// account's stage binding threshold (so the large table's binds go through a
// temporary stage), Arrow results in chunks, rows in no fixed order.
func TestSuiteAgainstLocalServer(t *testing.T) {
	for _, v := range []struct {
		name    string
		server  sfserver.Config
		backend func(*snowflake.Config)
		want    func(sfserver.Stats) bool // what the servers must have seen
	}{
		// The backend's defaults: small tables inline, the 20,000-row table
		// (120,000 values) by a bulk load.
		{"Defaults", sfserver.Config{}, func(c *snowflake.Config) { c.BatchRows, c.BulkLoadRows = 0, 0 },
			func(s sfserver.Stats) bool {
				return s.StageBindInserts == 0 && s.CopyLoads == 1 && s.ChunkDownloads > 0
			}},
		// 15,000 rows x 6 columns is above the account's 65,280: the large
		// table's first batch goes through the stage, its second (5,000 rows)
		// inline, as do the small tables.
		{"ArrayBinds", sfserver.Config{}, func(c *snowflake.Config) { c.BatchRows, c.BulkLoadRows = 15_000, -1 },
			func(s sfserver.Stats) bool {
				return s.StageBindInserts == 1 && s.CopyLoads == 0 && s.ChunkDownloads > 0
			}},
		{"BulkLoads", sfserver.Config{}, func(c *snowflake.Config) { c.BatchRows, c.BulkLoadRows = 0, 1 },
			func(s sfserver.Stats) bool {
				return s.StageBindInserts == 0 && s.CopyLoads > 5 && s.Uploads >= s.CopyLoads
			}},
		{"SmallThresholdAndBatches", sfserver.Config{StageBindThreshold: 20, ChunkRows: 9}, func(c *snowflake.Config) { c.BatchRows, c.BulkLoadRows = 1000, -1 },
			func(s sfserver.Stats) bool { return s.StageBindInserts > 20 && s.ChunkDownloads > 20 }},
		{"JSONResults", sfserver.Config{JSONResults: true}, func(c *snowflake.Config) { c.BatchRows = 0 },
			func(s sfserver.Stats) bool { return s.ArrowAnswers == 0 && s.ChunkDownloads == 0 }},
	} {
		t.Run(v.name, func(t *testing.T) {
			var mu sync.Mutex
			var total sfserver.Stats
			t.Cleanup(func() {
				if !t.Failed() && !v.want(total) {
					t.Errorf("the double saw %+v, not the path this variant must take", total)
				}
			})
			warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse {
				srv := startServerWith(t, v.server)
				t.Cleanup(func() {
					st := srv.Stats()
					mu.Lock()
					defer mu.Unlock()
					total.StageBindInserts += st.StageBindInserts
					total.Uploads += st.Uploads
					total.CopyLoads += st.CopyLoads
					total.ArrowAnswers += st.ArrowAnswers
					total.ChunkDownloads += st.ChunkDownloads
				})
				cfg := config(srv)
				v.backend(&cfg)
				w, err := snowflake.Open(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				return w
			})
		})
	}
}

func TestWrongPassword(t *testing.T) {
	srv := startServer(t)
	cfg := config(srv)
	cfg.Password = "wrong-" + password
	_, err := snowflake.Open(context.Background(), cfg)
	if err == nil || err.Error() != "snowflake account local: login failed for user ASSETFLOW_CI: incorrect username or password" {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), cfg.Password) {
		t.Error("the error shows the password")
	}
	if srv.Queries() != 0 {
		t.Error("queries were served to a failed login")
	}
}

func TestUnknownDatabaseAndStatement(t *testing.T) {
	srv := startServer(t)
	w, err := snowflake.Open(context.Background(), config(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	tbl := warehousetest.Sample(1, 3)
	defer tbl.Release()
	ref := warehouse.TableRef{Database: "NOPE", Schema: "HACKER_NEWS", Table: "ITEMS"}
	err = w.WriteTable(ctx, ref, tbl)
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 2003 || se.SQLState != "02000" || !strings.Contains(err.Error(), "Database 'NOPE' does not exist") {
		t.Errorf("write to a missing database: %v", err)
	}
	if _, err := w.ReadTable(ctx, ref); !errors.As(err, &se) || se.Number != 2003 {
		t.Errorf("read from a missing database: %v", err)
	}
	if info, err := w.TableInfo(ctx, ref); err != nil || info.Exists {
		t.Errorf("info of a missing database: %+v, %v", info, err)
	}
	err = w.Exec(ctx, "MERGE INTO x USING y ON x.a = y.a WHEN MATCHED THEN DELETE")
	if !errors.As(err, &se) || se.Number != 1003 || !strings.Contains(err.Error(), "does not support this statement: MERGE INTO x") {
		t.Errorf("unknown statement: %v", err)
	}
	if names, _ := w.ListDatabases(ctx); strings.Join(names, ",") != "PRODUCTION" {
		t.Errorf("databases %v", names)
	}
}

// A connection dropped in the middle gives a clear error and leaves the table
// as it was.
func TestDroppedConnection(t *testing.T) {
	srv := startServer(t)
	cfg := config(srv)
	cfg.RequestTimeout, cfg.LoginTimeout = 2*time.Second, 2*time.Second
	w, err := snowflake.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	first := warehousetest.Sample(1, 20)
	defer first.Release()
	if err := w.WriteTable(ctx, ref, first); err != nil {
		t.Fatal(err)
	}
	// Stop answering: the server goes away mid-session.
	port := srv.Port()
	srv.DropConnections()
	srv.Close()
	second := warehousetest.Sample(100, 20)
	defer second.Release()
	// A deadline only to turn a hang into a failure; no elapsed time is asserted.
	hangCtx, cancelHang := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelHang()
	err = w.WriteTable(hangCtx, ref, second)
	if err == nil {
		t.Fatal("a write with no server succeeded")
	}
	if hangCtx.Err() != nil {
		t.Fatalf("the write hung until the test's deadline: %v", err)
	}
	// Back on the same data: the table is the first one, whole.
	_ = port
	srv2, err := sfserver.Start(context.Background(), sfserver.Config{Dir: srv.Dir(), Users: map[string]string{user: password}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	w2, err := snowflake.Open(ctx, config(srv2))
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	got, err := w2.ReadTable(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, first)
}
