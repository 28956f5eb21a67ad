package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// execer runs a statement or a one-row query: *sql.DB, *sql.Conn and *sql.Tx all do.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// replaceTable is the one way a table's content is replaced, by every writer
// (bound rows, bulk loads, SQL assets): the single statement
//
//	CREATE OR REPLACE TABLE target COPY GRANTS AS <query>
//
// It is all or nothing: Snowflake runs it as one transaction (DDL commits
// whatever was open before it and then stands alone), so readers see the old
// table or the new one, and a failure or a kill leaves the old one whole. COPY
// GRANTS keeps every privilege granted on the old table (all but OWNERSHIP,
// which goes to the role that replaces it), so a role that could read ITEMS
// still can after a write. ALTER TABLE ... SWAP WITH, used before, swaps the
// grants along with the content: they ended on the staging table, then dropped.
// A table that does not exist yet is created without COPY GRANTS, as any new
// table, so that it gets its schema's future grants (roles.sql's SELECT for the
// branch role, which clone_prod needs): Snowflake applies future grants to a
// table made by CREATE OR REPLACE only without COPY GRANTS.
// query is a SELECT built from validated, quoted names; args are its bound values.
func replaceTable(ctx context.Context, ex execer, target warehouse.TableRef, query string, args ...any) error {
	if err := target.Check(); err != nil {
		return err
	}
	stmt := replaceSQL(target, query)
	var rows sql.NullString
	var altered sql.NullTime
	switch err := ex.QueryRowContext(ctx, tableInfoSQL(target.Database), target.Schema, target.Table).Scan(&rows, &altered); {
	case errors.Is(err, sql.ErrNoRows):
		stmt = createAsSQL(target, query)
	case err != nil:
		return fmt.Errorf("replace %s: %w", target, err)
	}
	if _, err := ex.ExecContext(ctx, stmt, args...); err != nil {
		return fmt.Errorf("replace %s: %w", target, err)
	}
	return nil
}

// ReplaceTable replaces target's content with the rows query selects, keeping
// its grants, all or nothing (see replaceTable). The schema must exist.
func (w *Warehouse) ReplaceTable(ctx context.Context, target warehouse.TableRef, query string, args ...any) error {
	return replaceTable(ctx, w.db, target, query, args...)
}

// createAsSQL creates a new table from a query: the schema's future grants apply.
func createAsSQL(target warehouse.TableRef, query string) string {
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s AS %s", target.Quoted(), strings.TrimSpace(query))
}

func replaceSQL(target warehouse.TableRef, query string) string {
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s COPY GRANTS AS %s", target.Quoted(), strings.TrimSpace(query))
}
