package resources_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// open signs in to the account's Snowflake warehouse as an environment's
// service user would, behind the environment's guard.
func (a *account) open(t *testing.T, env resources.Environment, vars map[string]string) warehouse.Warehouse {
	t.Helper()
	res, err := resources.Warehouse(env, "HACKER_NEWS", resources.Options{Lookup: lookup(vars)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := res["warehouse"].Open(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := v.(warehouse.Warehouse)
	t.Cleanup(func() { w.Close() })
	return w
}

// raw signs in as a service user with no guard in front: only the role's
// privileges stand between it and PRODUCTION.
func (a *account) raw(t *testing.T, user, keyFile, pass string) *snowflake.Warehouse {
	t.Helper()
	text, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := snowflake.ParsePrivateKey(text, []byte(pass), keyFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := snowflake.Open(context.Background(), snowflake.Config{Account: "local", User: user, PrivateKey: key,
		Warehouse: "ASSETFLOW_WH", Host: "127.0.0.1", Port: a.srv.Port(), Protocol: "http",
		LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// owner returns the role that owns an object, from SHOW GRANTS ON.
func (a *account) owner(t *testing.T, on, name string) string {
	t.Helper()
	rows, err := a.admin.Query("SHOW GRANTS ON " + on + " " + name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var owner string
	for rows.Next() {
		var priv, grantee string
		var skip any
		if err := rows.Scan(&skip, &priv, &skip, &skip, &skip, &grantee, &skip, &skip); err != nil {
			t.Fatal(err)
		}
		if priv == "OWNERSHIP" {
			owner = grantee
		}
	}
	return owner
}

func accessRefused(err error) bool {
	var se *sf.SnowflakeError
	return errors.As(err, &se) && se.Number == 3001 && se.SQLState == "42501"
}

// With the roles of deploy/snowflake/roles.sql, the branch role (which may
// only read PRODUCTION) clones PRODUCTION, owns every object of its clone,
// writes it with the grant-keeping replace, and drops it; the same role is
// refused (003001) every write to PRODUCTION, which stays as it was.
func TestBranchRoleOwnsItsCloneAndCannotWriteProduction(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	w := a.open(t, branch, a.vars("branch", "ASSETFLOW_BRANCH_SVC", branchKey, passphrase))
	clone := "PRODUCTION_CLONE_42"
	items := warehouse.TableRef{Database: clone, Schema: "HACKER_NEWS", Table: "ITEMS"}
	prodItems := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}

	for round := range 2 { // a second clone_prod replaces the first
		if _, err := w.CloneDatabase(ctx, "PRODUCTION", clone); err != nil {
			t.Fatalf("clone %d: %v", round, err)
		}
	}
	for on, name := range map[string]string{"DATABASE": clone, "SCHEMA": clone + ".HACKER_NEWS", "TABLE": items.String()} {
		if got := a.owner(t, on, name); got != "ASSETFLOW_BRANCH" {
			t.Errorf("%s %s is owned by %q, want ASSETFLOW_BRANCH", on, name, got)
		}
	}
	clones, err := w.ListClones(ctx)
	if err != nil || len(clones) != 1 || clones[0].Origin != "PRODUCTION" {
		t.Errorf("clones %+v (%v), want %s recorded as cloned from PRODUCTION", clones, err, clone)
	}
	// A grant the branch made on its table survives a write (COPY GRANTS).
	bare := a.raw(t, "ASSETFLOW_BRANCH_SVC", branchKey, passphrase)
	if err := bare.Exec(ctx, `GRANT SELECT ON TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS" TO ROLE PUBLIC`); err != nil {
		t.Fatal(err)
	}
	tbl := warehousetest.Sample(50, 3)
	defer tbl.Release()
	if err := w.WriteTable(ctx, items, tbl); err != nil {
		t.Fatalf("write the clone: %v", err)
	}
	if info, err := w.TableInfo(ctx, items); err != nil || info.Rows != 3 {
		t.Errorf("clone ITEMS: %+v, %v; want the 3 rows written", info, err)
	}
	if got := a.owner(t, "TABLE", items.String()); got != "ASSETFLOW_BRANCH" {
		t.Errorf("after the write ITEMS is owned by %q", got)
	}
	rows, err := a.admin.Query(`SHOW GRANTS ON TABLE PRODUCTION_CLONE_42.HACKER_NEWS.ITEMS`)
	if err != nil {
		t.Fatal(err)
	}
	var grants []string
	for rows.Next() {
		var priv, grantee string
		var skip any
		if err := rows.Scan(&skip, &priv, &skip, &skip, &skip, &grantee, &skip, &skip); err != nil {
			t.Fatal(err)
		}
		grants = append(grants, priv+">"+grantee)
	}
	rows.Close()
	if !slices.Contains(grants, "SELECT>PUBLIC") {
		t.Errorf("the write lost the clone's grant: %v", grants)
	}

	// PRODUCTION is walled off from the branch role by privileges, with no
	// guard in front.
	before, err := bare.TableInfo(ctx, prodItems)
	if err != nil || before.Rows != 5 {
		t.Fatalf("PRODUCTION ITEMS: %+v, %v", before, err)
	}
	if err := bare.WriteTable(ctx, prodItems, tbl); !accessRefused(err) || !strings.Contains(err.Error(), "needs CREATE SCHEMA on database PRODUCTION") {
		t.Errorf("branch WriteTable to PRODUCTION: %v, want 003001 naming the privilege", err)
	}
	if err := bare.ReplaceTable(ctx, prodItems, `SELECT * FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS"`); !accessRefused(err) {
		t.Errorf("branch replace of PRODUCTION ITEMS: %v, want 003001", err)
	}
	for _, stmt := range []string{`INSERT INTO "PRODUCTION"."HACKER_NEWS"."ITEMS" ("id") VALUES (1)`,
		`DROP TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS"`, `CREATE TABLE "PRODUCTION"."HACKER_NEWS"."X" ("id" NUMBER(38,0))`} {
		if err := bare.Exec(ctx, stmt); !accessRefused(err) {
			t.Errorf("%s: %v, want 003001", stmt, err)
		}
	}
	if err := bare.DropDatabase(ctx, "PRODUCTION"); !accessRefused(err) {
		t.Errorf("branch drop of PRODUCTION: %v, want 003001", err)
	}
	if after, err := bare.TableInfo(ctx, prodItems); err != nil || after != before {
		t.Errorf("PRODUCTION ITEMS changed: %+v -> %+v (%v)", before, after, err)
	}

	// The production role writes PRODUCTION, which it owns.
	p := a.open(t, prod, a.vars("prod", "ASSETFLOW_PROD_SVC", prodKey, ""))
	if err := p.WriteTable(ctx, prodItems, tbl); err != nil {
		t.Errorf("prod write: %v", err)
	}

	// drop_prod_clone: the branch role drops its clone.
	if err := w.DropDatabase(ctx, clone); err != nil {
		t.Fatal(err)
	}
	if names, err := w.ListDatabases(ctx); err != nil || slices.Contains(names, clone) {
		t.Errorf("databases after the drop: %v, %v", names, err)
	}
}

// A clone that fails part-way is dropped, so no later run finds half a clone.
func TestFailedCloneLeavesNoHalfClone(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	w := a.open(t, branch, a.vars("branch", "ASSETFLOW_BRANCH_SVC", branchKey, passphrase))
	for _, pattern := range []string{`(?i)^CREATE TABLE .* CLONE `, `(?i)^COMMENT ON DATABASE`} {
		landed := a.srv.FailedStatements()
		a.srv.FailStatements(pattern, 1)
		if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_7"); err == nil {
			t.Fatalf("%s: the clone succeeded", pattern)
		}
		if a.srv.FailedStatements() != landed+1 {
			t.Fatalf("%s: the fault did not land", pattern)
		}
		names, err := w.ListDatabases(ctx)
		if err != nil || slices.Contains(names, "PRODUCTION_CLONE_7") {
			t.Errorf("%s: databases after a failed clone: %v, %v", pattern, names, err)
		}
	}
}

// A table production creates after roles.sql ran gets the schema's future
// grants (its first write is not a COPY GRANTS replace), so the branch role
// can read it and clone_prod clones it.
func TestNewProductionTableIsCloned(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	p := a.raw(t, "ASSETFLOW_PROD_SVC", prodKey, "")
	stories := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "STORIES"}
	tbl := warehousetest.Sample(1, 4)
	defer tbl.Release()
	for range 2 {
		if err := p.WriteTable(ctx, stories, tbl); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.ReplaceTable(ctx, warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "TOP"},
		`SELECT * FROM "PRODUCTION"."HACKER_NEWS"."STORIES"`); err != nil {
		t.Fatal(err)
	}
	w := a.open(t, branch, a.vars("branch", "ASSETFLOW_BRANCH_SVC", branchKey, passphrase))
	if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_9"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"ITEMS", "STORIES", "TOP"} {
		info, err := w.TableInfo(ctx, warehouse.TableRef{Database: "PRODUCTION_CLONE_9", Schema: "HACKER_NEWS", Table: table})
		if err != nil || !info.Exists || info.Rows == 0 {
			t.Errorf("clone %s: %+v, %v; want production's rows", table, info, err)
		}
	}
}
