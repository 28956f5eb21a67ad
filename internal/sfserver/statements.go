package sfserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// ident matches a quoted or bare identifier; qname a name of one to three parts.
const (
	ident = `(?:"[A-Za-z_][A-Za-z0-9_$]*"|[A-Za-z_][A-Za-z0-9_$]*)`
	qname = ident + `(?:\.` + ident + `){0,2}`
)

var (
	reCreateDatabase = regexp.MustCompile(`(?is)^CREATE\s+(OR\s+REPLACE\s+)?DATABASE\s+(IF\s+NOT\s+EXISTS\s+)?(` + ident + `)(?:\s+CLONE\s+(` + ident + `))?$`)
	reDropDatabase   = regexp.MustCompile(`(?is)^DROP\s+DATABASE\s+(IF\s+EXISTS\s+)?(` + ident + `)$`)
	reCreateSchema   = regexp.MustCompile(`(?is)^CREATE\s+SCHEMA\s+(IF\s+NOT\s+EXISTS\s+)?(` + qname + `)$`)
	reUse            = regexp.MustCompile(`(?is)^USE\s+(DATABASE|SCHEMA)\s+(` + qname + `)$`)
	reTransaction    = regexp.MustCompile(`(?is)^(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)(\s+(WORK|TRANSACTION))?$`)
	reCreateTable    = regexp.MustCompile(`(?is)^CREATE\s+(OR\s+REPLACE\s+)?TABLE\s+(` + qname + `)\s*(\(.*\)|(?:COPY\s+GRANTS\s+)?AS\s+(?:SELECT\s|WITH\s|\().*)$`)
	reCopyGrants     = regexp.MustCompile(`(?is)^(CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+` + qname + `\s*(?:\(.*\))?)\s*COPY\s+GRANTS\s*(AS\s+(?:SELECT\s|WITH\s|\().*)?$`)
	reCloneTable     = regexp.MustCompile(`(?is)^CREATE\s+(OR\s+REPLACE\s+)?TABLE\s+(` + qname + `)\s+CLONE\s+(` + qname + `)(\s+COPY\s+GRANTS)?$`)
	reInsert         = regexp.MustCompile(`(?is)^INSERT\s+INTO\s+(` + qname + `)\s*(\([^)]*\))?\s*VALUES\s*(\(.*\))$`)
	reSwap           = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(` + qname + `)\s+SWAP\s+WITH\s+(` + qname + `)$`)
	reRename         = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(` + qname + `)\s+RENAME\s+TO\s+(` + qname + `)$`)
	reDropTable      = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?(` + qname + `)$`)
	reShowDatabases  = regexp.MustCompile(`(?is)^SHOW\s+DATABASES$`)
	reCommentDB      = regexp.MustCompile(`(?is)^COMMENT\s+ON\s+DATABASE\s+(` + ident + `)\s+IS\s+'((?:[^']|'')*)'$`)
	reTablesInfo     = regexp.MustCompile(`(?is)^SELECT\s+"ROW_COUNT",\s*"LAST_ALTERED"\s+FROM\s+(` + ident + `)\."INFORMATION_SCHEMA"\."TABLES"\s+WHERE\s+"TABLE_SCHEMA"\s*=\s*\?\s+AND\s+"TABLE_NAME"\s*=\s*\?$`)
	reSelect         = regexp.MustCompile(`(?is)^SELECT\s`)
	reThreePart      = regexp.MustCompile(`(` + ident + `)\.` + ident + `\.` + ident)
	reParseJSONArray = regexp.MustCompile(`(?i)PARSE_JSON\((` + ident + `)\)::ARRAY`)
)

// run executes one statement of a session.
func (s *Server) run(ctx context.Context, sess *session, req queryRequest) (*queryData, error) {
	if n := statementCount(req.SQLText); n > 1 {
		return nil, multiStatementError(n)
	}
	stmt := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(req.SQLText), ";"))
	if err := commitBeforeDDL(ctx, sess, stmt); err != nil {
		return nil, err
	}
	if err := s.stmtFault.injected(stmt); err != nil {
		return nil, err
	}
	if d, ok, err := s.runAccess(ctx, sess, stmt); ok {
		return d, err
	}
	if err := s.authorize(sess, stmt); err != nil {
		return nil, err
	}
	switch {
	case reCreateDatabase.MatchString(stmt):
		m := reCreateDatabase.FindStringSubmatch(stmt)
		return s.createDatabase(ctx, sess, m[1] != "", m[2] != "", unquote(m[3]), unquote(m[4]))
	case reDropDatabase.MatchString(stmt):
		m := reDropDatabase.FindStringSubmatch(stmt)
		name := unquote(m[2])
		if !s.wh.Exists(name) {
			if m[1] == "" {
				return nil, notExist("Database", name)
			}
			return status(name + " successfully dropped."), nil
		}
		if err := s.wh.DropDatabase(ctx, name); err != nil {
			return nil, err
		}
		s.grants.drop("DATABASE", name)
		return status(name + " successfully dropped."), nil
	case reUse.MatchString(stmt):
		m := reUse.FindStringSubmatch(stmt)
		parts := splitName(m[2])
		if strings.EqualFold(m[1], "DATABASE") {
			if err := s.attach(ctx, parts[0]); err != nil {
				return nil, err
			}
			sess.database = parts[0]
		} else {
			db := sess.database
			if len(parts) == 2 {
				db = parts[0]
			}
			if db == "" {
				return nil, &sqlError{code: "090105", state: "22000", msg: "Cannot perform USE SCHEMA. This session does not have a current database. Call 'USE DATABASE', or use a qualified name."}
			}
			if err := s.schemaExists(ctx, sess, db, parts[len(parts)-1]); err != nil {
				return nil, err
			}
			sess.database, sess.schema = db, parts[len(parts)-1]
		}
		return status("Statement executed successfully."), nil
	case reTransaction.MatchString(stmt):
		return transaction(ctx, sess, stmt)
	case reShowDatabases.MatchString(stmt):
		return s.showDatabases(ctx)
	case reCommentDB.MatchString(stmt):
		m := reCommentDB.FindStringSubmatch(stmt)
		name := unquote(m[1])
		if !s.wh.Exists(name) {
			return nil, notExist("Database", name)
		}
		var note warehouse.CloneNote
		if err := json.Unmarshal([]byte(strings.ReplaceAll(m[2], "''", "'")), &note); err != nil {
			return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "the local test double keeps only clone notes as database comments: " + err.Error()}
		}
		if err := s.wh.RecordClone(name, note); err != nil {
			return nil, err
		}
		return status("Statement executed successfully."), nil
	case reListTables.MatchString(stmt):
		return s.listTables(ctx, sess, unquote(reListTables.FindStringSubmatch(stmt)[1]))
	case reTablesInfo.MatchString(stmt):
		return s.tablesInfo(ctx, sess, unquote(reTablesInfo.FindStringSubmatch(stmt)[1]), req)
	case reSwap.MatchString(stmt):
		m := reSwap.FindStringSubmatch(stmt)
		return s.swap(ctx, sess, stmt, m[1], m[2])
	case reRename.MatchString(stmt):
		m := reRename.FindStringSubmatch(stmt)
		to := splitName(m[2])
		d, err := s.exec(ctx, sess, stmt, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", m[1], warehouse.Quote(to[len(to)-1])))
		if err == nil {
			from := qualify(sess, "TABLE", m[1])
			s.grants.rename(from, parentOf(from)+"."+canon(strings.Split(m[2], ".")[len(to)-1]))
			err = markWritten(ctx, sess.conn, m[2])
		}
		return d, err
	case reInsert.MatchString(stmt) && req.BindStage != "":
		return s.insertFromStage(ctx, sess, stmt, req)
	case reInsert.MatchString(stmt):
		return s.insert(ctx, sess, stmt, req)
	case reCreateStage.MatchString(stmt):
		return s.createStage(ctx, sess, stmt)
	case reDropStage.MatchString(stmt):
		return s.dropStage(sess, stmt)
	case rePut.MatchString(stmt):
		return s.put(sess, stmt)
	case reCopyInto.MatchString(stmt):
		return s.copyInto(ctx, sess, stmt)
	case reCreateSchema.MatchString(stmt):
		return s.createSchema(ctx, sess, stmt)
	case reDropTable.MatchString(stmt):
		d, err := s.exec(ctx, sess, stmt, stmt)
		if err == nil {
			s.grants.drop("TABLE", qualify(sess, "TABLE", reDropTable.FindStringSubmatch(stmt)[2]))
		}
		return d, err
	case reCloneTable.MatchString(stmt):
		return s.cloneTable(ctx, sess, stmt)
	case reCreateTable.MatchString(stmt):
		translated, copyGrants := stmt, false
		if m := reCopyGrants.FindStringSubmatch(stmt); m != nil {
			translated, copyGrants = m[1]+" "+m[2], true
		}
		d, err := s.exec(ctx, sess, stmt, translateTypes(translated))
		if err == nil {
			name := reCreateTable.FindStringSubmatch(stmt)[2]
			s.grants.createTable(qualify(sess, "TABLE", name), sess.role, copyGrants)
			err = markWritten(ctx, sess.conn, name)
		}
		return d, err
	case reColumnsInfo.MatchString(stmt):
		return s.columnsInfo(ctx, sess, unquote(reColumnsInfo.FindStringSubmatch(stmt)[1]), req)
	case reSelect.MatchString(stmt):
		return s.selectRows(ctx, sess, stmt, req)
	}
	return nil, &sqlError{code: codeSyntax, state: stateSyntax,
		msg: fmt.Sprintf("SQL compilation error: the local Snowflake test double does not support this statement: %.120s", stmt)}
}

// schemaExists fails with Snowflake's 002003 unless the schema exists.
func (s *Server) schemaExists(ctx context.Context, sess *session, db, schema string) error {
	if err := s.attach(ctx, db); err != nil {
		return err
	}
	var n int
	if err := sess.conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?`, db, schema).Scan(&n); err != nil {
		return execError(err)
	}
	if n == 0 {
		return notExist("Schema", db+"."+schema)
	}
	return nil
}

func (s *Server) createDatabase(ctx context.Context, sess *session, replace, ifNotExists bool, name, clone string) (*queryData, error) {
	if err := warehouse.CheckIdent("database", name); err != nil {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: err.Error()}
	}
	exists := s.wh.Exists(name)
	switch {
	case exists && ifNotExists:
		return status(name + " already exists, statement succeeded."), nil
	case exists && !replace:
		return nil, &sqlError{code: codeAlreadyExists, state: stateAlreadyExists, msg: fmt.Sprintf("SQL compilation error:\nObject '%s' already exists.", name)}
	}
	if clone != "" {
		if !s.wh.Exists(clone) {
			return nil, notExist("Database", clone)
		}
		if _, err := s.wh.CloneDatabase(ctx, clone, name); err != nil {
			return nil, err
		}
		s.grants.drop("DATABASE", name)
		s.grants.cloneDatabase(clone, name, sess.role)
		return status("Database " + name + " successfully created."), nil
	}
	if exists {
		if err := s.wh.DropDatabase(ctx, name); err != nil {
			return nil, err
		}
	}
	if err := s.wh.Attach(ctx, name, true); err != nil {
		return nil, err
	}
	s.grants.drop("DATABASE", name)
	s.grants.own("DATABASE", name, sess.role)
	return status("Database " + name + " successfully created."), nil
}

// exec runs a statement after making sure every database it names exists.
func (s *Server) exec(ctx context.Context, sess *session, original, translated string) (*queryData, error) {
	if err := s.attachNamed(ctx, original); err != nil {
		return nil, err
	}
	if _, err := sess.conn.ExecContext(ctx, translated); err != nil {
		return nil, execError(err)
	}
	return status("Statement executed successfully."), nil
}

// swap exchanges two tables' names in one transaction.
func (s *Server) swap(ctx context.Context, sess *session, stmt, a, b string) (*queryData, error) {
	if err := s.attachNamed(ctx, stmt); err != nil {
		return nil, err
	}
	pa, pb := splitName(a), splitName(b)
	tmp := pa[len(pa)-1] + "_SWAP_" + randomToken()[:8]
	tmpRef := strings.Join(append(quoteAll(pa[:len(pa)-1]), warehouse.Quote(tmp)), ".")
	steps := []string{
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", a, warehouse.Quote(tmp)),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", b, warehouse.Quote(pa[len(pa)-1])),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", tmpRef, warehouse.Quote(pb[len(pb)-1])),
	}
	if err := inTransaction(ctx, sess.conn, steps); err != nil {
		return nil, err
	}
	s.grants.swap(qualify(sess, "TABLE", a), qualify(sess, "TABLE", b))
	for _, name := range []string{a, b} {
		if err := markWritten(ctx, sess.conn, name); err != nil {
			return nil, err
		}
	}
	return status("Statement executed successfully."), nil
}

// markWritten records when a table changed, which Snowflake reports as
// LAST_ALTERED, the same way the embedded backend does.
func markWritten(ctx context.Context, conn *sql.Conn, table string) error {
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("COMMENT ON TABLE %s IS '%s'", table, duckdb.WrittenComment(time.Now()))); err != nil {
		return execError(err)
	}
	return nil
}

// inTransaction runs statements atomically on the session's connection, or
// within the transaction it already has open.
func inTransaction(ctx context.Context, conn *sql.Conn, steps []string) error {
	_, beginErr := conn.ExecContext(ctx, "BEGIN")
	own := beginErr == nil
	for _, st := range steps {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			if own {
				_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			}
			return execError(err)
		}
	}
	if own {
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return execError(err)
		}
	}
	return nil
}

func (s *Server) showDatabases(ctx context.Context) (*queryData, error) {
	names, err := s.wh.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	clones, err := s.wh.ListClones(ctx)
	if err != nil {
		return nil, err
	}
	comments := map[string]string{}
	for _, c := range clones {
		if c.Origin != "" {
			b, _ := json.Marshal(warehouse.CloneNote{Origin: c.Origin, ClonedAt: c.ClonedAt})
			comments[c.Name] = string(b)
		}
	}
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "created_on", Type: "timestamp_ltz", Nullable: true, Scale: 9},
		{Name: "name", Type: "text", Nullable: false, Length: 255},
		{Name: "origin", Type: "text", Nullable: true, Length: 255},
		{Name: "comment", Type: "text", Nullable: true, Length: 255},
	}}
	for _, n := range names {
		d.RowSet = append(d.RowSet, []*string{nil, str(n), str(""), str(comments[n])})
	}
	return d, nil
}

// tablesInfo answers the information-schema query the backend's TableInfo sends.
func (s *Server) tablesInfo(ctx context.Context, sess *session, db string, req queryRequest) (*queryData, error) {
	if err := s.attach(ctx, db); err != nil {
		return nil, err
	}
	args, err := scalarArgs(req.Bindings)
	if err != nil || len(args) != 2 {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "expected two bound values, schema and table"}
	}
	schema, _ := args[0].(string)
	table, _ := args[1].(string)
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "ROW_COUNT", Type: "fixed", Nullable: true, Precision: 38},
		{Name: "LAST_ALTERED", Type: "timestamp_ltz", Nullable: true, Scale: 9},
	}}
	var n int
	if err := sess.conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?`,
		db, schema, table).Scan(&n); err != nil {
		return nil, execError(err)
	}
	if n == 0 {
		return d, nil
	}
	ref := warehouse.TableRef{Database: db, Schema: schema, Table: table}
	if ref.Check() != nil {
		return d, nil
	}
	info, err := s.wh.TableInfo(ctx, ref)
	if err != nil {
		return nil, execError(err)
	}
	at := info.Modified
	var altered *string
	if !at.IsZero() {
		altered = str(fmt.Sprintf("%d.%09d", at.Unix(), at.Nanosecond()))
	}
	d.RowSet = [][]*string{{str(fmt.Sprint(info.Rows)), altered}}
	return d, nil
}

// attachNamed attaches every database a statement names in a three-part name.
func (s *Server) attachNamed(ctx context.Context, stmt string) error {
	for _, m := range reThreePart.FindAllStringSubmatch(stmt, -1) {
		if err := s.attach(ctx, unquote(m[1])); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) attach(ctx context.Context, db string) error {
	if !s.wh.Exists(db) {
		return notExist("Database", db)
	}
	err := s.wh.Attach(ctx, db, false)
	if errors.Is(err, duckdb.ErrNoDatabase) {
		return notExist("Database", db)
	}
	return err
}

// translateTypes rewrites Snowflake column types and expressions to DuckDB's.
func translateTypes(stmt string) string {
	stmt = reParseJSONArray.ReplaceAllString(stmt, "CAST($1 AS JSON)")
	r := strings.NewReplacer("NUMBER(38,0)", "BIGINT", "TIMESTAMP_NTZ(6)", "TIMESTAMP", " ARRAY", " JSON", " FLOAT", " DOUBLE")
	return r.Replace(stmt)
}

func notExist(what, name string) error {
	return &sqlError{code: codeDoesNotExist, state: stateDoesNotExist,
		msg: fmt.Sprintf("SQL compilation error:\n%s '%s' does not exist or not authorized.", what, name)}
}

// execError turns a DuckDB error into Snowflake's shape.
func execError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found"):
		return &sqlError{code: codeDoesNotExist, state: stateDoesNotExist, msg: "SQL compilation error:\n" + msg}
	case strings.Contains(msg, "already exists"):
		return &sqlError{code: codeAlreadyExists, state: stateAlreadyExists, msg: "SQL compilation error:\n" + msg}
	case strings.Contains(msg, "Parser Error"):
		return &sqlError{code: codeSyntax, state: stateSyntax, msg: "SQL compilation error:\n" + msg}
	}
	return &sqlError{code: codeExecution, state: stateExecution, msg: msg}
}

func status(msg string) *queryData {
	return &queryData{StatementTypeID: typeDDL, RowType: []rowType{{Name: "status", Type: "text", Length: 16777216}},
		RowSet: [][]*string{{str(msg)}}}
}

func str(s string) *string { return &s }

func unquote(s string) string { return strings.Trim(s, `"`) }

func splitName(q string) []string {
	parts := strings.Split(q, ".")
	for i := range parts {
		parts[i] = unquote(strings.TrimSpace(parts[i]))
	}
	return parts
}

func quoteAll(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = warehouse.Quote(p)
	}
	return out
}
