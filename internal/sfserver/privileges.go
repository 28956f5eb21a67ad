package sfserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Privilege checks, as a real account makes them (docs.snowflake.com: "Access
// control privileges", CREATE TABLE, DROP TABLE, DROP DATABASE, CREATE SCHEMA,
// INSERT, COPY INTO, ALTER TABLE, CREATE ... CLONE): a statement whose
// privilege the session's role lacks, directly or through a role it inherits
// (GRANT ROLE, and the system roles' own hierarchy), fails with
//
//	003001 (42501): SQL access control error:
//	Insufficient privileges to operate on table 'ITEMS'
//
// An object's owner holds every privilege on it. The double checks only the
// objects that have a recorded owner: the databases a Config creates at start
// and objects DuckDB made outside the double have none and stay open to every
// role, so a test that never sets up roles sees no change.

// systemHierarchy is who inherits whom among the system roles on every account.
var systemHierarchy = map[string][]string{
	"ACCOUNTADMIN":  {"SYSADMIN", "SECURITYADMIN"},
	"SECURITYADMIN": {"USERADMIN"},
}

// effectiveRoles returns the role, every role it inherits, and PUBLIC.
func (g *grantStore) effectiveRolesLocked(role string) map[string]bool {
	seen := map[string]bool{}
	for queue := []string{role}; len(queue) > 0; queue = queue[1:] {
		r := queue[0]
		if seen[r] {
			continue
		}
		seen[r] = true
		queue = append(queue, systemHierarchy[r]...)
		for _, x := range g.grants {
			if x.on == "ROLE" && x.privilege == "USAGE" && x.role == r {
				queue = append(queue, x.name)
			}
		}
	}
	seen["PUBLIC"] = true
	return seen
}

// owned reports whether an object has a recorded owner.
func (g *grantStore) ownedLocked(on, name string) bool {
	for _, x := range g.grants {
		if x.privilege == "OWNERSHIP" && x.name == name && (x.on == on || isTable(x.on) && isTable(on)) {
			return true
		}
	}
	return false
}

// allowed reports whether role may use privilege on an object: the object has
// no recorded owner, or the role or one it inherits owns it or holds the
// privilege (or ALL) on it.
func (g *grantStore) allowed(role, privilege, on, name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.ownedLocked(on, name) {
		return true
	}
	roles := g.effectiveRolesLocked(role)
	for _, x := range g.grants {
		if x.name != name || !(x.on == on || isTable(x.on) && isTable(on)) || !roles[x.role] {
			continue
		}
		if x.privilege == "OWNERSHIP" || x.privilege == privilege || x.privilege == "ALL" {
			return true
		}
	}
	return false
}

// insufficient is Snowflake's refusal of a statement for want of a privilege.
// It names the object by its last part, in lower-case kind, as an account does.
func insufficient(on, name string) error {
	short := name[strings.LastIndex(name, ".")+1:]
	return &sqlError{code: "003001", state: "42501",
		msg: fmt.Sprintf("SQL access control error:\nInsufficient privileges to operate on %s '%s'", strings.ToLower(on), short)}
}

// need fails with 003001 unless the session's role may use each privilege.
func (s *Server) need(sess *session, checks ...check) error {
	if s.cfg.NoPrivilegeChecks {
		return nil
	}
	for _, c := range checks {
		if c.name == "" || strings.HasPrefix(c.name, ".") {
			continue // an unqualified name with no current database: the statement fails on its own
		}
		if !s.grants.allowed(sess.role, c.privilege, c.on, c.name) {
			return insufficient(c.on, c.name)
		}
	}
	return nil
}

// check is one privilege a statement needs on one object.
type check struct{ privilege, on, name string }

// authorize checks the privileges a statement needs, for the statements that
// change objects. Reads are not checked, but for the source of a table clone.
func (s *Server) authorize(sess *session, stmt string) error {
	table := func(n string) string { return qualify(sess, "TABLE", n) }
	switch {
	case reCreateDatabase.MatchString(stmt):
		m := reCreateDatabase.FindStringSubmatch(stmt)
		var cs []check
		if m[1] != "" { // OR REPLACE drops the database it replaces
			cs = append(cs, check{"OWNERSHIP", "DATABASE", canon(m[3])})
		}
		if m[4] != "" {
			cs = append(cs, check{"USAGE", "DATABASE", canon(m[4])})
		}
		if m[2] != "" && s.wh.Exists(unquote(m[3])) {
			return nil // IF NOT EXISTS over an existing database changes nothing
		}
		return s.need(sess, cs...)
	case reDropDatabase.MatchString(stmt):
		return s.need(sess, check{"OWNERSHIP", "DATABASE", canon(reDropDatabase.FindStringSubmatch(stmt)[2])})
	case reCommentDB.MatchString(stmt):
		name := canon(reCommentDB.FindStringSubmatch(stmt)[1])
		if s.grants.allowed(sess.role, "MODIFY", "DATABASE", name) {
			return nil
		}
		return s.need(sess, check{"OWNERSHIP", "DATABASE", name})
	case reCreateSchema.MatchString(stmt):
		name := qualify(sess, "SCHEMA", reCreateSchema.FindStringSubmatch(stmt)[2])
		return s.need(sess, check{"CREATE SCHEMA", "DATABASE", parentOf(name)})
	case reCloneTable.MatchString(stmt):
		m := reCloneTable.FindStringSubmatch(stmt)
		name := table(m[2])
		cs := []check{{"CREATE TABLE", "SCHEMA", parentOf(name)}, {"SELECT", "TABLE", table(m[3])}}
		if m[1] != "" {
			cs = append(cs, check{"OWNERSHIP", "TABLE", name})
		}
		return s.need(sess, cs...)
	case reCreateTable.MatchString(stmt):
		m := reCreateTable.FindStringSubmatch(stmt)
		name := table(m[2])
		cs := []check{{"CREATE TABLE", "SCHEMA", parentOf(name)}}
		if m[1] != "" { // OR REPLACE: the table replaced must be the role's
			cs = append(cs, check{"OWNERSHIP", "TABLE", name})
		}
		return s.need(sess, cs...)
	case reDropTable.MatchString(stmt):
		return s.need(sess, check{"OWNERSHIP", "TABLE", table(reDropTable.FindStringSubmatch(stmt)[2])})
	case reInsert.MatchString(stmt):
		return s.need(sess, check{"INSERT", "TABLE", table(reInsert.FindStringSubmatch(stmt)[1])})
	case reCopyInto.MatchString(stmt):
		return s.need(sess, check{"INSERT", "TABLE", table(reCopyInto.FindStringSubmatch(stmt)[1])})
	case reSwap.MatchString(stmt):
		m := reSwap.FindStringSubmatch(stmt)
		return s.need(sess, check{"OWNERSHIP", "TABLE", table(m[1])}, check{"OWNERSHIP", "TABLE", table(m[2])})
	case reRename.MatchString(stmt):
		from := table(reRename.FindStringSubmatch(stmt)[1])
		return s.need(sess, check{"OWNERSHIP", "TABLE", from}, check{"CREATE TABLE", "SCHEMA", parentOf(from)})
	}
	return nil
}

// cloneTable runs CREATE [OR REPLACE] TABLE dst CLONE src [COPY GRANTS]: a new
// table with src's rows and its "last written" mark, owned by the session's
// role. Without COPY GRANTS it gets the schema's future grants, as any new
// table; with it, src's grants but OWNERSHIP (docs CREATE TABLE ... CLONE).
func (s *Server) cloneTable(ctx context.Context, sess *session, stmt string) (*queryData, error) {
	m := reCloneTable.FindStringSubmatch(stmt)
	verb := "CREATE TABLE"
	if m[1] != "" {
		verb = "CREATE OR REPLACE TABLE"
	}
	if _, err := s.exec(ctx, sess, stmt, fmt.Sprintf("%s %s AS SELECT * FROM %s", verb, m[2], m[3])); err != nil {
		return nil, err
	}
	src, dst := qualify(sess, "TABLE", m[3]), qualify(sess, "TABLE", m[2])
	var comment sql.NullString
	p := strings.Split(src, ".")
	if err := sess.conn.QueryRowContext(ctx, `SELECT comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?`,
		p[0], p[1], p[2]).Scan(&comment); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, execError(err)
	}
	if comment.Valid && comment.String != "" {
		if _, err := sess.conn.ExecContext(ctx, fmt.Sprintf("COMMENT ON TABLE %s IS '%s'", m[2], strings.ReplaceAll(comment.String, "'", "''"))); err != nil {
			return nil, execError(err)
		}
	}
	s.grants.cloneTable(src, dst, sess.role, m[4] != "")
	return status("Table " + dst[strings.LastIndex(dst, ".")+1:] + " successfully created."), nil
}

// cloneTable records a table clone's grants: its creator owns it; with COPY
// GRANTS it gets the source's other grants, else the future grants of its schema.
func (g *grantStore) cloneTable(src, dst, owner string, copyGrants bool) {
	g.createTable(dst, owner, false)
	if !copyGrants {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = slices.DeleteFunc(g.grants, func(x grant) bool { return isTable(x.on) && x.name == dst && x.privilege != "OWNERSHIP" })
	for _, x := range slices.Clone(g.grants) {
		if isTable(x.on) && x.name == src && x.privilege != "OWNERSHIP" {
			x.name, x.created = dst, time.Time{}
			g.addLocked(x)
		}
	}
}
