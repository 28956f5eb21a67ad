package sfserver

import (
	"context"
	"regexp"
)

// reListTables is the information-schema query that lists a database's base
// tables (the Snowflake backend's CloneDatabase sends it).
var reListTables = regexp.MustCompile(`(?is)^SELECT\s+"TABLE_SCHEMA",\s*"TABLE_NAME"\s+FROM\s+(` + ident + `)\."INFORMATION_SCHEMA"\."TABLES"\s+WHERE\s+"TABLE_CATALOG"\s*=\s*\?\s+AND\s+"TABLE_TYPE"\s*=\s*'BASE TABLE'\s+AND\s+"TABLE_SCHEMA"\s*<>\s*'INFORMATION_SCHEMA'\s+ORDER\s+BY\s+1,\s*2$`)

// listTables answers reListTables from DuckDB's catalog. As on an account, the
// information schema shows only what the session's role may see: a table is
// listed when the role could read it.
func (s *Server) listTables(ctx context.Context, sess *session, db string) (*queryData, error) {
	if err := s.attach(ctx, db); err != nil {
		return nil, err
	}
	rows, err := sess.conn.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary ORDER BY 1, 2`, db)
	if err != nil {
		return nil, execError(err)
	}
	defer rows.Close()
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "TABLE_SCHEMA", Type: "text", Nullable: true, Length: 255},
		{Name: "TABLE_NAME", Type: "text", Nullable: true, Length: 255},
	}}
	for rows.Next() {
		var schema, table string
		if err := rows.Scan(&schema, &table); err != nil {
			return nil, execError(err)
		}
		if s.cfg.NoPrivilegeChecks || s.grants.allowed(sess.role, "SELECT", "TABLE", db+"."+schema+"."+table) {
			d.RowSet = append(d.RowSet, []*string{str(schema), str(table)})
		}
	}
	return d, rows.Err()
}
