package sfserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/assetflow/assetflow/resources/warehouse"
)

var (
	reCopyInto   = regexp.MustCompile(`(?is)^COPY\s+INTO\s+(` + qname + `)\s+FROM\s+'?@(` + qname + `)(/[^'\s]*)?'?\s*(.*)$`)
	reFileFormat = regexp.MustCompile(`(?is)FILE_FORMAT\s*=\s*\(\s*TYPE\s*=\s*'?([A-Za-z]+)'?\s*\)`)
	reMatchBy    = regexp.MustCompile(`(?is)MATCH_BY_COLUMN_NAME\s*=\s*'?(CASE_SENSITIVE|CASE_INSENSITIVE|NONE)'?`)
	rePurge      = regexp.MustCompile(`(?is)PURGE\s*=\s*(TRUE|FALSE)`)
)

// copyInto loads staged Parquet files into a table, matching columns by name,
// as COPY INTO <table> FROM @stage FILE_FORMAT = (TYPE = PARQUET)
// MATCH_BY_COLUMN_NAME = CASE_SENSITIVE does: DuckDB reads the files with
// read_parquet. Only Parquet is supported; PURGE = TRUE removes the files
// once loaded.
func (s *Server) copyInto(ctx context.Context, sess *session, stmt string) (*queryData, error) {
	m := reCopyInto.FindStringSubmatch(stmt)
	opts := m[4]
	ff := reFileFormat.FindStringSubmatch(opts)
	if ff == nil || !strings.EqualFold(ff[1], "PARQUET") {
		return nil, unsupported("COPY INTO only from Parquet (FILE_FORMAT = (TYPE = PARQUET))", stmt)
	}
	mb := reMatchBy.FindStringSubmatch(opts)
	if mb == nil || strings.EqualFold(mb[1], "NONE") {
		return nil, &sqlError{code: "002019", state: "0A000", msg: "SQL compilation error: PARQUET file format can produce one and only one column of type variant, object, or array. Use MATCH_BY_COLUMN_NAME or a COPY transformation to load several columns."}
	}
	if err := s.attachNamed(ctx, stmt); err != nil {
		return nil, err
	}
	st, dir, err := s.stageAt(sess, m[2], m[3], "COPY")
	if err != nil {
		return nil, err
	}
	files := st.list(dir)
	d := &queryData{StatementTypeID: typeDDL, RowType: []rowType{
		{Name: "file", Type: "text"}, {Name: "status", Type: "text"},
		{Name: "rows_parsed", Type: "fixed", Precision: 38}, {Name: "rows_loaded", Type: "fixed", Precision: 38}}}
	if len(files) == 0 {
		d.RowType = []rowType{{Name: "status", Type: "text"}}
		d.RowSet = [][]*string{{str("Copy executed with 0 files processed.")}}
		return d, nil
	}
	tmp, err := os.MkdirTemp("", "sfserver-copy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	paths := make([]string, len(files))
	for i, name := range files {
		f, _ := st.get(name)
		data, err := readStaged(f)
		if err != nil {
			return nil, &sqlError{code: codeExecution, state: stateExecution, msg: fmt.Sprintf("staged file %s: %v", name, err)}
		}
		paths[i] = filepath.Join(tmp, strconv.Itoa(i)+".parquet")
		if err := os.WriteFile(paths[i], data, 0o600); err != nil {
			return nil, err
		}
	}
	cols, types, err := s.tableColumns(ctx, sess, m[1])
	if err != nil {
		return nil, err
	}
	exprs := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = warehouse.Quote(c)
		exprs[i] = fmt.Sprintf("CAST(%s AS %s)", warehouse.Quote(c), types[i])
	}
	list := make([]string, len(paths))
	for i, p := range paths {
		list[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	load := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM read_parquet([%s])", m[1], strings.Join(quoted, ", "), strings.Join(exprs, ", "), strings.Join(list, ", "))
	res, err := sess.conn.ExecContext(ctx, load)
	if err != nil {
		return nil, execError(err)
	}
	loaded, _ := res.RowsAffected()
	s.stats.copyLoads.Add(1)
	if p := rePurge.FindStringSubmatch(opts); p != nil && strings.EqualFold(p[1], "TRUE") {
		for _, name := range files {
			st.remove(name)
		}
	}
	for i, name := range files {
		n := "0"
		if i == 0 {
			n = strconv.FormatInt(loaded, 10) // DuckDB counts the whole load
		}
		d.RowSet = append(d.RowSet, []*string{str(name), str("LOADED"), str(n), str(n)})
	}
	return d, nil
}

// tableColumns returns a table's column names and DuckDB types, in order.
func (s *Server) tableColumns(ctx context.Context, sess *session, table string) ([]string, []string, error) {
	parts := splitName(table)
	switch len(parts) {
	case 1:
		parts = []string{sess.database, sess.schema, parts[0]}
	case 2:
		parts = []string{sess.database, parts[0], parts[1]}
	}
	rows, err := sess.conn.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index`, parts[0], parts[1], parts[2])
	if err != nil {
		return nil, nil, execError(err)
	}
	defer rows.Close()
	var names, types []string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, nil, execError(err)
		}
		names, types = append(names, n), append(types, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, execError(err)
	}
	if len(names) == 0 {
		return nil, nil, notExist("Table", strings.Join(parts, "."))
	}
	return names, types, nil
}

func unsupported(what, stmt string) error {
	return &sqlError{code: codeSyntax, state: stateSyntax,
		msg: fmt.Sprintf("SQL compilation error: the local Snowflake test double supports %s: %.120s", what, stmt)}
}
