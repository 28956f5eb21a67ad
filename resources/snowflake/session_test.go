package snowflake_test

import (
	"context"
	"testing"

	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// A session token that expires in the middle of a write is renewed by the
// driver with its master token (390112, /session/token-request) and the write
// goes on; when the master token has expired too (390114), the backend signs in
// again and writes the table whole. Either way a grant on the table survives.
func TestTokenExpiryMidWrite(t *testing.T) {
	for _, tc := range []struct {
		name        string
		master      bool
		renewals    int64 // at least
		signInAgain int64
	}{
		{"session token, renewed by the driver", false, 1, 0},
		{"master token, signed in again", true, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			ctx := context.Background()
			w, err := snowflake.Open(ctx, config(srv))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
			first := warehousetest.Sample(1, 10)
			defer first.Release()
			if err := w.WriteTable(ctx, ref, first); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"CREATE ROLE READER", `GRANT SELECT ON TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS" TO ROLE READER`} {
				if err := w.Exec(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			second := warehousetest.Sample(100, 40) // 40 rows in batches of 7: several bound INSERTs
			defer second.Release()
			srv.ExpireTokensAfter(4, tc.master) // lands among the INSERTs
			if err := w.WriteTable(ctx, ref, second); err != nil {
				t.Fatalf("write across a token expiry: %v", err)
			}
			if srv.TokenExpiries() != 1 || srv.ExpiredAnswers() < 1 {
				t.Fatalf("the fault did not land: %d expiries, %d expired answers", srv.TokenExpiries(), srv.ExpiredAnswers())
			}
			if srv.TokenRenewals() < tc.renewals || w.SignInsAgain() != tc.signInAgain {
				t.Errorf("%d renewals, %d new sign-ins", srv.TokenRenewals(), w.SignInsAgain())
			}
			got, err := w.ReadTable(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			warehousetest.Equal(t, got, second)
			raw := inspectorDB(t, srv)
			if g := tableGrants(t, raw, ref); g != "OWNERSHIP>ASSETFLOW,SELECT>READER" {
				t.Errorf("grants on ITEMS after the write: %s", g)
			}
			if n := loadTables(t, raw, "PRODUCTION"); n != 0 {
				t.Errorf("%d load tables left behind", n)
			}
		})
	}
}

// After a master token expires between operations, every kind of operation
// signs in again rather than failing on the pooled dead session for ever.
func TestMasterExpiryBetweenOperations(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	w, err := snowflake.Open(ctx, config(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	tbl := warehousetest.Sample(1, 4)
	defer tbl.Release()
	if err := w.WriteTable(ctx, ref, tbl); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"list databases": func() error { _, err := w.ListDatabases(ctx); return err },
		"table info":     func() error { _, err := w.TableInfo(ctx, ref); return err },
		"exec":           func() error { return w.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS "PRODUCTION"."OTHER"`) },
		"write":          func() error { return w.WriteTable(ctx, ref, tbl) },
	}
	for name, op := range ops {
		before := w.SignInsAgain()
		srv.ExpireTokens(true)
		if err := op(); err != nil {
			t.Errorf("%s after the master token expired: %v", name, err)
		}
		if w.SignInsAgain() != before+1 {
			t.Errorf("%s: %d new sign-ins, want 1", name, w.SignInsAgain()-before)
		}
	}
}
