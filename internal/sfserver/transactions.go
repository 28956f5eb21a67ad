package sfserver

import (
	"context"
	"regexp"
	"strings"
)

// Transactions as on a real account (docs.snowflake.com, "Transactions": DDL):
// a DDL statement commits the transaction the session has open, then runs as
// its own transaction, whether it succeeds or not. So nothing may rely on
// rolling DDL back. COMMIT and ROLLBACK with no transaction open succeed and do
// nothing; BEGIN inside an open transaction does nothing.

var reDDL = regexp.MustCompile(`(?is)^(CREATE|DROP|ALTER|GRANT|REVOKE|COMMENT|UNDROP)\s`)

// commitBeforeDDL commits the session's open transaction if stmt is DDL.
func commitBeforeDDL(ctx context.Context, sess *session, stmt string) error {
	if !sess.inTx || !reDDL.MatchString(stmt) {
		return nil
	}
	sess.inTx = false
	if _, err := sess.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return execError(err)
	}
	return nil
}

// transaction runs BEGIN, START TRANSACTION, COMMIT or ROLLBACK.
func transaction(ctx context.Context, sess *session, stmt string) (*queryData, error) {
	verb := strings.ToUpper(strings.Fields(stmt)[0])
	done := status("Statement executed successfully.")
	switch {
	case verb == "BEGIN" || verb == "START":
		if sess.inTx {
			return done, nil
		}
		if _, err := sess.conn.ExecContext(ctx, "BEGIN"); err != nil {
			return nil, execError(err)
		}
		sess.inTx = true
	case !sess.inTx:
		return done, nil
	default:
		sess.inTx = false
		if _, err := sess.conn.ExecContext(ctx, verb); err != nil && verb != "ROLLBACK" {
			return nil, execError(err)
		}
	}
	return done, nil
}

// createSchema runs CREATE SCHEMA; the session's role owns a schema it creates.
func (s *Server) createSchema(ctx context.Context, sess *session, stmt string) (*queryData, error) {
	name := qualify(sess, "SCHEMA", reCreateSchema.FindStringSubmatch(stmt)[2])
	parts := strings.Split(name, ".")
	if err := s.attach(ctx, parts[0]); err != nil {
		return nil, err
	}
	var existed bool
	if err := sess.conn.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?`,
		parts[0], parts[len(parts)-1]).Scan(&existed); err != nil {
		return nil, execError(err)
	}
	d, err := s.exec(ctx, sess, stmt, stmt)
	if err == nil && !existed {
		s.grants.createSchema(name, sess.role)
	}
	return d, err
}

// endSession rolls back the transaction a closing session left open, as an
// account does at logout, and gives its connection back: the next session
// must not inherit it.
func endSession(ctx context.Context, sess *session) {
	if sess.inTx {
		_, _ = sess.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		sess.inTx = false
	}
	sess.conn.Close()
}
