package sfserver

import (
	"context"
	"regexp"
	"strings"
)

// reColumnsInfo matches the information-schema query that table diffs send to
// list a table's columns.
var reColumnsInfo = regexp.MustCompile(`(?is)^SELECT\s+"COLUMN_NAME",\s*"DATA_TYPE"\s+FROM\s+(` + ident + `)\."INFORMATION_SCHEMA"\."COLUMNS"\s+WHERE\s+"TABLE_SCHEMA"\s*=\s*\?\s+AND\s+"TABLE_NAME"\s*=\s*\?\s+ORDER\s+BY\s+"ORDINAL_POSITION"$`)

// columnsInfo answers it from DuckDB's catalog, with the type names Snowflake's
// information schema uses.
func (s *Server) columnsInfo(ctx context.Context, sess *session, db string, req queryRequest) (*queryData, error) {
	if err := s.attach(ctx, db); err != nil {
		return nil, err
	}
	args, err := scalarArgs(req.Bindings)
	if err != nil || len(args) != 2 {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "expected two bound values, schema and table"}
	}
	rows, err := sess.conn.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns()
		WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index`, db, args[0], args[1])
	if err != nil {
		return nil, execError(err)
	}
	defer rows.Close()
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "COLUMN_NAME", Type: "text", Length: 16777216},
		{Name: "DATA_TYPE", Type: "text", Length: 16777216},
	}}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, execError(err)
		}
		d.RowSet = append(d.RowSet, []*string{str(name), str(snowflakeType(typ))})
	}
	if err := rows.Err(); err != nil {
		return nil, execError(err)
	}
	return d, nil
}

// snowflakeType names a DuckDB column type as Snowflake's DATA_TYPE does.
func snowflakeType(duck string) string {
	switch t := strings.ToUpper(duck); {
	case t == "BIGINT" || t == "INTEGER" || t == "SMALLINT" || t == "TINYINT" || t == "HUGEINT" || strings.HasPrefix(t, "DECIMAL"):
		return "NUMBER"
	case t == "DOUBLE" || t == "FLOAT" || t == "REAL":
		return "FLOAT"
	case t == "BOOLEAN":
		return "BOOLEAN"
	case t == "TIMESTAMP":
		return "TIMESTAMP_NTZ"
	case t == "TIMESTAMP WITH TIME ZONE":
		return "TIMESTAMP_LTZ"
	case t == "DATE":
		return "DATE"
	case t == "JSON" || strings.HasSuffix(t, "[]"):
		return "ARRAY"
	}
	return "TEXT"
}
