package snowflake_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// inspectorDB opens the real driver on the double outside the backend, to look at
// what the backend left: grants and tables.
func inspectorDB(t *testing.T, srv *sfserver.Server) *sql.DB {
	t.Helper()
	c := config(srv)
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: c.Account, User: user, Password: password,
		Role: "INSPECTOR", Host: c.Host, Port: c.Port, Protocol: c.Protocol, Params: map[string]*string{},
		LoginTimeout: c.LoginTimeout, RequestTimeout: c.RequestTimeout, DisableTelemetry: true}))
	t.Cleanup(func() { db.Close() })
	return db
}

// tableGrants returns SHOW GRANTS ON TABLE as sorted PRIVILEGE>ROLE pairs.
func tableGrants(t *testing.T, db *sql.DB, ref warehouse.TableRef) string {
	t.Helper()
	rows, err := db.Query("SHOW GRANTS ON TABLE " + ref.Quoted())
	if err != nil {
		t.Fatal(err)
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
		out = append(out, m["privilege"]+">"+m["grantee_name"])
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// loadTables counts the backend's load tables (_AF_...) left in a database.
func loadTables(t *testing.T, db *sql.DB, database string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name LIKE '\_AF\_%' ESCAPE '\'`, database).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
