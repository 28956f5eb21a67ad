package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// prepareLoad creates the schema, makes it the session's current schema, and
// creates the raw load table. The schema may be new, and the login may have
// named a database or schema that did not exist then: such a session has no
// current schema, and the temporary stage of a large array bind or a bulk
// load would fail with 090106. So the session uses the schema once it exists.
func (w *Warehouse) prepareLoad(ctx context.Context, conn *sql.Conn, ref, raw warehouse.TableRef, cols []warehouse.Column) error {
	steps := []struct{ sql, need string }{
		{createSchemaSQL(ref.Database, ref.Schema), "CREATE SCHEMA on database " + ref.Database},
		{useSchemaSQL(ref.Database, ref.Schema), fmt.Sprintf("USAGE on database %s and on schema %s.%s", ref.Database, ref.Database, ref.Schema)},
		{createTableSQL(raw, cols, loadType), fmt.Sprintf("CREATE TABLE on schema %s.%s", ref.Database, ref.Schema)},
	}
	for _, s := range steps {
		if _, err := conn.ExecContext(ctx, s.sql); err != nil {
			return w.privilegeError(ref, s.need, err)
		}
	}
	return nil
}

// load fills the raw load table: by array binds, inline, for small tables;
// by Parquet, PUT and COPY INTO from where the binds would go through a
// temporary stage (see bulk).
func (w *Warehouse) load(ctx context.Context, conn *sql.Conn, ref, raw warehouse.TableRef, cols []warehouse.Column, t arrow.Table) error {
	var err error
	if w.bulk(t.NumRows(), len(cols)) {
		err = w.bulkLoad(ctx, conn, raw, cols, t)
	} else {
		err = w.insertRows(ctx, conn, raw, cols, t)
	}
	if err != nil {
		return w.privilegeError(ref, fmt.Sprintf("CREATE STAGE on schema %s.%s (loads go through a temporary stage)", ref.Database, ref.Schema), err)
	}
	return nil
}

// privilegeError names what the role needs when Snowflake refused a step for
// want of a privilege, a current schema, or an object it cannot see.
func (w *Warehouse) privilegeError(ref warehouse.TableRef, need string, err error) error {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		switch se.Number {
		case 3001, 3041, 2003, 90106, 90105:
			role := w.cfg.Role
			if role == "" {
				role = "of user " + w.cfg.User
			}
			return fmt.Errorf("write %s: role %s needs %s: %w", ref, role, need, err)
		}
	}
	return fmt.Errorf("write %s: %w", ref, err)
}
