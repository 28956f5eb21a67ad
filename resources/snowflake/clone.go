package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// CloneDatabase builds dst as a copy of src out of objects the session's role
// creates itself, so that it owns every one of them:
//
//	CREATE OR REPLACE DATABASE dst
//	CREATE SCHEMA IF NOT EXISTS dst.S            for each schema holding a table
//	CREATE TABLE dst.S.T CLONE src.S.T           for each table (zero-copy)
//	COMMENT ON DATABASE dst IS '<origin note>'
//
// A single CREATE DATABASE ... CLONE would be one statement, but a cloned
// database's schemas and tables keep their sources' grants, OWNERSHIP
// included (Snowflake, "Cloning considerations"): the branch role would own
// the clone database but not its schemas and tables, and could not replace a
// table in it. A table clone, by contrast, is owned by the role that creates
// it and keeps none of the source's grants, and needs only SELECT on the
// source (and USAGE on its database and schema): the branch role needs no
// more on src. Only base tables the role can see are cloned; views are not.
//
// It is all or nothing as far as later runs can tell: a failure at any step
// drops dst, and the origin note that ListClones reads is written last.
func (w *Warehouse) CloneDatabase(ctx context.Context, src, dst string) (warehouse.CloneInfo, error) {
	if err := warehouse.CheckIdent("database", src); err != nil {
		return warehouse.CloneInfo{}, err
	}
	if err := warehouse.CheckIdent("database", dst); err != nil {
		return warehouse.CloneInfo{}, err
	}
	if strings.EqualFold(src, dst) {
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s to itself: name another database", src)
	}
	tables, err := w.tablesOf(ctx, src)
	if err != nil {
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	if err := w.Exec(ctx, createDatabaseSQL(dst)); err != nil {
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	if err := w.fillClone(ctx, src, dst, tables); err != nil {
		if derr := w.Exec(context.WithoutCancel(ctx), dropDatabaseSQL(dst)); derr != nil {
			err = errors.Join(err, fmt.Errorf("drop the half clone %s: %w", dst, derr))
		}
		return warehouse.CloneInfo{}, fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	return warehouse.CloneInfo{Method: "CREATE DATABASE, then CREATE TABLE ... CLONE per table", Bytes: -1}, nil
}

// fillClone creates dst's schemas and table clones, then records its origin.
func (w *Warehouse) fillClone(ctx context.Context, src, dst string, tables []warehouse.TableRef) error {
	made := map[string]bool{}
	for _, t := range tables {
		if !made[t.Schema] {
			if err := w.Exec(ctx, createSchemaSQL(dst, t.Schema)); err != nil {
				return err
			}
			made[t.Schema] = true
		}
		to := t
		to.Database = dst
		if err := w.Exec(ctx, cloneTableSQL(to, t)); err != nil {
			return err
		}
	}
	now := time.Now
	if w.cfg.Now != nil {
		now = w.cfg.Now
	}
	if err := w.Exec(ctx, commentSQL(dst, warehouse.CloneNote{Origin: src, ClonedAt: now().UTC()})); err != nil {
		return fmt.Errorf("record clone %s: %w", dst, err)
	}
	return nil
}

// tablesOf lists db's base tables from its information schema, leaving out
// the load tables of writes in flight. A name assetflow cannot quote is an
// error rather than a table silently left out of the clone.
func (w *Warehouse) tablesOf(ctx context.Context, db string) ([]warehouse.TableRef, error) {
	var out []warehouse.TableRef
	err := w.retryGone(ctx, func() error {
		out = nil
		rows, err := w.db.QueryContext(ctx, listTablesSQL(db), db)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var schema, table sql.NullString
			if err := rows.Scan(&schema, &table); err != nil {
				return err
			}
			if strings.HasPrefix(table.String, rawPrefix) {
				continue
			}
			ref := warehouse.TableRef{Database: db, Schema: schema.String, Table: table.String}
			if err := ref.Check(); err != nil {
				return fmt.Errorf("table %q.%q: %w", schema.String, table.String, err)
			}
			out = append(out, ref)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	return out, nil
}
