package sfserver_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
)

// refused asserts that a statement fails as a real account refuses one for
// want of a privilege: 003001, SQL state 42501, naming the object.
func refused(t *testing.T, db *sql.DB, stmt, object string) {
	t.Helper()
	_, err := db.Exec(stmt)
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 3001 || se.SQLState != "42501" ||
		!strings.Contains(se.Message, "SQL access control error:\nInsufficient privileges to operate on "+object) {
		t.Errorf("%s: got %v, want 003001 (42501) on %s", stmt, err, object)
	}
}

// owned sets up an account where role OWNER owns database DATA, its schema S
// and table S.T, and role OTHER holds nothing on them.
func owned(t *testing.T) (*sfserver.Server, *sql.DB) {
	t.Helper()
	srv := start(t)
	adm := connect(t, srv, "ACCOUNTADMIN")
	mustExec(t, adm, "CREATE ROLE OWNER", "CREATE ROLE OTHER")
	owner := connect(t, srv, "OWNER")
	mustExec(t, owner, "CREATE DATABASE DATA", "CREATE SCHEMA DATA.S", "CREATE TABLE DATA.S.T (id NUMBER(38,0))",
		"INSERT INTO DATA.S.T (id) VALUES (1)", "CREATE OR REPLACE TABLE DATA.S.T COPY GRANTS AS SELECT id FROM DATA.S.T",
		"DROP TABLE IF EXISTS DATA.S.T_MISSING")
	return srv, adm
}

// A role refused each change it has no privilege for, on objects another role owns.
func TestPrivilegesAreEnforced(t *testing.T) {
	srv, _ := owned(t)
	other := connect(t, srv, "OTHER")
	refused(t, other, "CREATE OR REPLACE TABLE DATA.S.T COPY GRANTS AS SELECT 2 AS id", "schema 'S'")
	refused(t, other, "CREATE TABLE DATA.S.U (id NUMBER(38,0))", "schema 'S'")
	refused(t, other, "CREATE SCHEMA DATA.S2", "database 'DATA'")
	refused(t, other, "INSERT INTO DATA.S.T (id) VALUES (3)", "table 'T'")
	refused(t, other, "DROP TABLE DATA.S.T", "table 'T'")
	refused(t, other, "ALTER TABLE DATA.S.T RENAME TO T2", "table 'T'")
	refused(t, other, "CREATE OR REPLACE DATABASE DATA", "database 'DATA'")
	refused(t, other, "DROP DATABASE DATA", "database 'DATA'")
	refused(t, other, "CREATE TABLE PRODUCTION.PUBLIC.C CLONE DATA.S.T", "table 'T'")
	// Nothing refused changed anything.
	var n int
	if err := connect(t, srv, "OWNER").QueryRow("SELECT count(*) FROM DATA.S.T").Scan(&n); err != nil || n != 1 {
		t.Errorf("DATA.S.T has %d rows (%v), want the 1 written before", n, err)
	}
}

// CREATE TABLE on the schema lets a role create tables, not replace another
// role's: CREATE OR REPLACE needs OWNERSHIP of the table it replaces.
func TestReplaceNeedsOwnershipOfTheTable(t *testing.T) {
	srv, adm := owned(t)
	mustExec(t, adm, "GRANT USAGE ON DATABASE DATA TO ROLE OTHER", "GRANT USAGE, CREATE TABLE ON SCHEMA DATA.S TO ROLE OTHER",
		"GRANT INSERT, SELECT ON TABLE DATA.S.T TO ROLE OTHER")
	other := connect(t, srv, "OTHER")
	mustExec(t, other, "CREATE TABLE DATA.S.U (id NUMBER(38,0))", "INSERT INTO DATA.S.T (id) VALUES (2)",
		"CREATE OR REPLACE TABLE DATA.S.U COPY GRANTS AS SELECT id FROM DATA.S.T", "DROP TABLE DATA.S.U")
	refused(t, other, "CREATE OR REPLACE TABLE DATA.S.T COPY GRANTS AS SELECT 2 AS id", "table 'T'")
	refused(t, other, "DROP TABLE DATA.S.T", "table 'T'")
}

// Privileges come through the role hierarchy: a role granted to another, and
// the system roles' own (ACCOUNTADMIN inherits SYSADMIN).
func TestInheritedRolesHoldTheirPrivileges(t *testing.T) {
	srv, adm := owned(t)
	refused(t, adm, "DROP TABLE DATA.S.T", "table 'T'")
	mustExec(t, adm, "GRANT ROLE OWNER TO ROLE OTHER", "GRANT ROLE OTHER TO ROLE SYSADMIN")
	mustExec(t, connect(t, srv, "OTHER"), "CREATE OR REPLACE TABLE DATA.S.T COPY GRANTS AS SELECT 2 AS id")
	mustExec(t, adm, "DROP TABLE DATA.S.T", "DROP DATABASE DATA")
}

// Objects with no recorded owner (the databases a Config creates) are open to
// every role, so tests that never set up roles see no change; and the checks
// can be turned off.
func TestUnownedObjectsAndSwitchingChecksOff(t *testing.T) {
	srv := start(t)
	mustExec(t, connect(t, srv, "ANYONE"), "CREATE SCHEMA PRODUCTION.HN", "CREATE TABLE PRODUCTION.HN.T (id NUMBER(38,0))")
	mustExec(t, connect(t, srv, "ANYONE"), "CREATE OR REPLACE TABLE PRODUCTION.HN.T COPY GRANTS AS SELECT 1 AS id")
	refused(t, connect(t, srv, "SOMEONE_ELSE"), "DROP TABLE PRODUCTION.HN.T", "table 'T'")

	off, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(),
		Users: map[string]string{admin: adminPassword}, Databases: []string{"PRODUCTION"}, NoPrivilegeChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	mustExec(t, connect(t, off, "ANYONE"), "CREATE SCHEMA PRODUCTION.HN", "CREATE TABLE PRODUCTION.HN.T (id NUMBER(38,0))")
	mustExec(t, connect(t, off, "SOMEONE_ELSE"), "DROP TABLE PRODUCTION.HN.T")
}

// A table clone is owned by the role that creates it, with none of the
// source's grants (but its schema's future ones), and needs SELECT on the source.
func TestTableCloneIsOwnedByItsCreator(t *testing.T) {
	srv, adm := owned(t)
	mustExec(t, adm, "GRANT SELECT ON TABLE DATA.S.T TO ROLE OTHER", "GRANT INSERT ON TABLE DATA.S.T TO ROLE PUBLIC")
	other := connect(t, srv, "OTHER")
	mustExec(t, other, "CREATE DATABASE MINE", "CREATE SCHEMA MINE.S", "GRANT SELECT ON FUTURE TABLES IN SCHEMA MINE.S TO ROLE OWNER",
		"CREATE TABLE MINE.S.T CLONE DATA.S.T", "CREATE OR REPLACE TABLE MINE.S.T COPY GRANTS AS SELECT id + 1 AS id FROM MINE.S.T")
	same(t, "clone grants", grantsOn(t, other, "MINE.S.T"), "OWNERSHIP>OTHER", "SELECT>OWNER")
	var id int
	if err := other.QueryRow("SELECT id FROM MINE.S.T").Scan(&id); err != nil || id != 2 {
		t.Errorf("clone holds %d (%v), want the source's 1 plus 1", id, err)
	}
	mustExec(t, other, "DROP DATABASE MINE")
}
