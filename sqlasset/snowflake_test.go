package sqlasset_test

import (
	"context"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/snowflake"
)

// openSnowflake starts the local Snowflake double and connects through the
// real gosnowflake driver, with PRODUCTION_CLONE_42 cloned from PRODUCTION.
func openSnowflake(t *testing.T) *snowflake.Warehouse {
	t.Helper()
	ctx := context.Background()
	srv, err := sfserver.Start(ctx, sfserver.Config{Dir: t.TempDir(),
		Users: map[string]string{"CI": "local-test-password"}, Databases: []string{"PRODUCTION"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w, err := snowflake.Open(ctx, snowflake.Config{Account: "local", User: "CI", Password: "local-test-password",
		Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", LoginTimeout: 5 * time.Second, RequestTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestMixedGraphOnSnowflake(t *testing.T) {
	testMixedGraph(t, openSnowflake(t), "PRODUCTION_CLONE_42")
}

func TestFailedQueryKeepsTableOnSnowflake(t *testing.T) {
	testFailedQueryKeepsTable(t, openSnowflake(t), "PRODUCTION_CLONE_42")
}
