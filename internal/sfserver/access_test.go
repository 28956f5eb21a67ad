package sfserver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
)

const admin, adminPassword = "ADMIN", "local-admin-password"

var quiet sync.Once

// start runs the double with an admin user and PRODUCTION.
func start(t *testing.T) *sfserver.Server {
	t.Helper()
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(),
		Users: map[string]string{admin: adminPassword}, Databases: []string{"PRODUCTION"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// connect opens the real gosnowflake driver on the double, signed in as the
// admin in a role, on one connection (one session).
func connect(t *testing.T, srv *sfserver.Server, role string) *sql.DB {
	t.Helper()
	quiet.Do(func() { _ = sf.GetLogger().SetLogLevel("fatal") })
	cfg := sf.Config{Account: "local", User: admin, Password: adminPassword, Role: role, Host: "127.0.0.1",
		Port: srv.Port(), Protocol: "http", Params: map[string]*string{}, LoginTimeout: 5 * time.Second,
		RequestTimeout: 10 * time.Second, DisableTelemetry: true}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, cfg))
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// grantsOn returns SHOW GRANTS ON TABLE's rows as "PRIVILEGE>ROLE", sorted.
func grantsOn(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	return showGrants(t, db, "SHOW GRANTS ON TABLE "+table, func(r map[string]string) string {
		return r["privilege"] + ">" + r["grantee_name"]
	})
}

func showGrants(t *testing.T, db *sql.DB, stmt string, row func(map[string]string) string) []string {
	t.Helper()
	rows, err := db.Query(stmt)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[c] = vals[i].String
		}
		out = append(out, row(m))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func same(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// ALTER TABLE ... SWAP WITH exchanges the two tables' grants; DROP ends them;
// RENAME keeps them (docs.snowflake.com, ALTER TABLE, SWAP WITH: content,
// metadata and access control privilege grants are all swapped).
func TestSwapExchangesGrants(t *testing.T) {
	db := connect(t, start(t), "SYSADMIN")
	mustExec(t, db, "CREATE ROLE SYSADMIN", "CREATE ROLE READER",
		"CREATE SCHEMA PRODUCTION.HACKER_NEWS",
		"CREATE TABLE PRODUCTION.HACKER_NEWS.ITEMS (id BIGINT)",
		"CREATE TABLE PRODUCTION.HACKER_NEWS.STAGING (id BIGINT)",
		"GRANT SELECT ON TABLE PRODUCTION.HACKER_NEWS.ITEMS TO ROLE READER")
	same(t, "before", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.ITEMS"), "OWNERSHIP>SYSADMIN", "SELECT>READER")
	mustExec(t, db, "ALTER TABLE PRODUCTION.HACKER_NEWS.ITEMS SWAP WITH PRODUCTION.HACKER_NEWS.STAGING")
	same(t, "ITEMS after the swap", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.ITEMS"), "OWNERSHIP>SYSADMIN")
	same(t, "STAGING after the swap", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.STAGING"), "OWNERSHIP>SYSADMIN", "SELECT>READER")
	mustExec(t, db, `ALTER TABLE PRODUCTION.HACKER_NEWS.STAGING RENAME TO PRODUCTION.HACKER_NEWS.OLD`)
	same(t, "renamed", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.OLD"), "OWNERSHIP>SYSADMIN", "SELECT>READER")
	mustExec(t, db, "DROP TABLE PRODUCTION.HACKER_NEWS.OLD")
	same(t, "READER after the drop", showGrants(t, db, "SHOW GRANTS TO ROLE READER", func(r map[string]string) string { return r["name"] }))
}

// CREATE OR REPLACE TABLE drops the old table's grants; with COPY GRANTS it
// keeps all but OWNERSHIP (docs.snowflake.com CREATE TABLE, COPY GRANTS).
// Future grants apply to a new table, but not with COPY GRANTS.
func TestCopyGrants(t *testing.T) {
	db := connect(t, start(t), "LOADER")
	mustExec(t, db, "CREATE ROLE LOADER", "CREATE ROLE READER", "CREATE ROLE AUDITOR",
		"CREATE SCHEMA PRODUCTION.HACKER_NEWS",
		"CREATE TABLE PRODUCTION.HACKER_NEWS.ITEMS (id BIGINT)",
		"GRANT SELECT ON ALL TABLES IN SCHEMA PRODUCTION.HACKER_NEWS TO ROLE READER",
		"GRANT SELECT ON FUTURE TABLES IN SCHEMA PRODUCTION.HACKER_NEWS TO ROLE AUDITOR")
	same(t, "granted on all tables", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.ITEMS"), "OWNERSHIP>LOADER", "SELECT>READER")
	mustExec(t, db, "CREATE OR REPLACE TABLE PRODUCTION.HACKER_NEWS.ITEMS COPY GRANTS AS SELECT 1 AS id")
	same(t, "COPY GRANTS", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.ITEMS"), "OWNERSHIP>LOADER", "SELECT>READER")
	mustExec(t, db, "CREATE OR REPLACE TABLE PRODUCTION.HACKER_NEWS.ITEMS AS SELECT 2 AS id")
	same(t, "without COPY GRANTS", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.ITEMS"), "OWNERSHIP>LOADER", "SELECT>AUDITOR")
	future := showGrants(t, db, "SHOW FUTURE GRANTS IN SCHEMA PRODUCTION.HACKER_NEWS", func(r map[string]string) string {
		return r["privilege"] + ">" + r["grantee_name"]
	})
	same(t, "future grants", future, "SELECT>AUDITOR")
	mustExec(t, db, "REVOKE SELECT ON TABLE PRODUCTION.HACKER_NEWS.ITEMS FROM ROLE AUDITOR")
	same(t, "revoked", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.ITEMS"), "OWNERSHIP>LOADER")
	// A schema-level future grant takes precedence over the database's.
	mustExec(t, db, "GRANT INSERT ON FUTURE TABLES IN DATABASE PRODUCTION TO ROLE READER",
		"GRANT USAGE ON FUTURE SCHEMAS IN DATABASE PRODUCTION TO ROLE READER",
		"CREATE TABLE PRODUCTION.HACKER_NEWS.NEW1 (id BIGINT)", "CREATE SCHEMA PRODUCTION.OTHER",
		"CREATE TABLE PRODUCTION.OTHER.NEW2 (id BIGINT)")
	same(t, "schema-level future grant", grantsOn(t, db, "PRODUCTION.HACKER_NEWS.NEW1"), "OWNERSHIP>LOADER", "SELECT>AUDITOR")
	same(t, "database-level future grant", grantsOn(t, db, "PRODUCTION.OTHER.NEW2"), "INSERT>READER", "OWNERSHIP>LOADER")
	same(t, "future schema grant", showGrants(t, db, "SHOW GRANTS ON SCHEMA PRODUCTION.OTHER", func(r map[string]string) string {
		return r["privilege"] + ">" + r["grantee_name"]
	}), "OWNERSHIP>LOADER", "USAGE>READER")
	if _, err := db.Exec("GRANT SELECT ON TABLE PRODUCTION.HACKER_NEWS.ITEMS TO ROLE NOBODY"); err == nil ||
		!strings.Contains(err.Error(), "Role 'NOBODY' does not exist") {
		t.Errorf("grant to a missing role: %v", err)
	}
}

// A cloned database's tables keep their sources' grants; the clone itself does
// not keep the source database's (docs.snowflake.com, Cloning considerations).
func TestCloneKeepsChildGrants(t *testing.T) {
	db := connect(t, start(t), "CLONER")
	mustExec(t, db, "CREATE ROLE CLONER", "CREATE ROLE READER",
		"CREATE SCHEMA PRODUCTION.HACKER_NEWS",
		"CREATE TABLE PRODUCTION.HACKER_NEWS.ITEMS (id BIGINT)",
		"GRANT USAGE ON DATABASE PRODUCTION TO ROLE READER",
		"GRANT SELECT ON TABLE PRODUCTION.HACKER_NEWS.ITEMS TO ROLE READER",
		"CREATE DATABASE PRODUCTION_CLONE_7 CLONE PRODUCTION")
	same(t, "cloned table", grantsOn(t, db, "PRODUCTION_CLONE_7.HACKER_NEWS.ITEMS"), "OWNERSHIP>CLONER", "SELECT>READER")
	db7 := showGrants(t, db, "SHOW GRANTS ON DATABASE PRODUCTION_CLONE_7", func(r map[string]string) string {
		return r["privilege"] + ">" + r["grantee_name"]
	})
	same(t, "the clone database", db7, "OWNERSHIP>CLONER")
	mustExec(t, db, "DROP DATABASE PRODUCTION_CLONE_7")
	same(t, "after the drop", grantsOn(t, db, "PRODUCTION_CLONE_7.HACKER_NEWS.ITEMS"))
}

// DDL commits the open transaction, as on a real account (docs.snowflake.com,
// Transactions: "DDL"), and ends it: what follows runs in autocommit, so a
// ROLLBACK after the DDL undoes nothing at all.
func TestDDLCommitsOpenTransaction(t *testing.T) {
	db := connect(t, start(t), "")
	mustExec(t, db, "CREATE SCHEMA PRODUCTION.S", "CREATE TABLE PRODUCTION.S.T (id BIGINT)")
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO PRODUCTION.S.T (id) VALUES (?)", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("CREATE TABLE PRODUCTION.S.U (id BIGINT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO PRODUCTION.S.T (id) VALUES (?)", 2); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback after DDL: %v", err)
	}
	var ids []int64
	rows, err := db.Query("SELECT id FROM PRODUCTION.S.T ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if fmt.Sprint(ids) != "[1 2]" {
		t.Errorf("rows %v: the DDL must commit the insert before it and end the transaction, so the one after autocommits", ids)
	}
	if _, err := db.Exec("SELECT * FROM PRODUCTION.S.U"); err != nil {
		t.Errorf("the DDL was rolled back: %v", err)
	}
	// COMMIT with nothing open succeeds, as on a real account.
	if _, err := db.Exec("COMMIT"); err != nil {
		t.Errorf("commit with no transaction: %v", err)
	}
}

// Users, roles and SHOW GRANTS TO USER / CURRENT_ROLE().
func TestRolesAndUsers(t *testing.T) {
	srv := start(t)
	db := connect(t, srv, "")
	mustExec(t, db, "CREATE ROLE IF NOT EXISTS ASSETFLOW_BRANCH COMMENT = 'branch deployments'",
		"CREATE USER IF NOT EXISTS ASSETFLOW_CI DEFAULT_ROLE = ASSETFLOW_BRANCH",
		"GRANT ROLE ASSETFLOW_BRANCH TO USER ASSETFLOW_CI")
	same(t, "user roles", showGrants(t, db, "SHOW GRANTS TO USER ASSETFLOW_CI", func(r map[string]string) string { return r["role"] }),
		"ASSETFLOW_BRANCH")
	var role string
	if err := db.QueryRow("SELECT CURRENT_ROLE()").Scan(&role); err != nil || role != "PUBLIC" {
		t.Errorf("current role %q, %v", role, err)
	}
	mustExec(t, db, "USE ROLE ASSETFLOW_BRANCH")
	if err := db.QueryRow("SELECT CURRENT_ROLE()").Scan(&role); err != nil || role != "ASSETFLOW_BRANCH" {
		t.Errorf("current role %q, %v", role, err)
	}
	_, err := db.Exec("USE ROLE MISSING")
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 2003 {
		t.Errorf("use of a missing role: %v", err)
	}
	if _, err := db.Exec("ALTER USER NOBODY SET RSA_PUBLIC_KEY='AAAA'"); !errors.As(err, &se) || se.Number != 2003 {
		t.Errorf("alter of a missing user: %v", err)
	}
	if _, err := db.Exec("ALTER USER ASSETFLOW_CI SET RSA_PUBLIC_KEY='not a key'"); err == nil || !strings.Contains(err.Error(), "Invalid RSA public key") {
		t.Errorf("a bad public key: %v", err)
	}
}
