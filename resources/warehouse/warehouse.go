// Package warehouse defines the one interface assetflow's data layer speaks,
// implemented by the embedded DuckDB backend and by Snowflake, together with what
// both share: validated identifiers, the production guard, and the I/O manager
// that stores assets as tables.
package warehouse

import (
	"context"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// Warehouse is a set of databases holding schemas of tables. Every name passed in
// is validated with CheckIdent before it reaches SQL.
type Warehouse interface {
	// Backend names the implementation: "duckdb" or "snowflake".
	Backend() string
	// Exec runs one statement with bound arguments.
	Exec(ctx context.Context, stmt string, args ...any) error
	// WriteTable replaces the table with the Arrow table's rows, atomically: it
	// fills a staging table and swaps it into place, so a failure leaves the
	// previous table intact and readers never see a partial one.
	WriteTable(ctx context.Context, ref TableRef, t arrow.Table) error
	// WriteQuery replaces the table with the result of one SELECT that the
	// warehouse runs itself: CREATE TABLE <staging> AS <query>, then the same
	// atomic replace as WriteTable. No row passes through Go, and a query that
	// fails leaves the previous table intact. The query's identifiers must be
	// validated and quoted by the caller; see CheckQuery.
	WriteQuery(ctx context.Context, ref TableRef, query string) (TableShape, error)
	// ReadTable returns the table's rows as Arrow. The caller releases it.
	ReadTable(ctx context.Context, ref TableRef) (arrow.Table, error)
	// TableInfo tells whether the table exists and how many rows it has.
	TableInfo(ctx context.Context, ref TableRef) (TableInfo, error)
	// CloneDatabase creates dst as a copy of src, replacing an old dst
	// atomically: a reader sees the old dst or the new one, never a partial one.
	CloneDatabase(ctx context.Context, src, dst string) (CloneInfo, error)
	// DropDatabase removes a database if it exists.
	DropDatabase(ctx context.Context, name string) error
	// ListDatabases returns the database names, sorted.
	ListDatabases(ctx context.Context) ([]string, error)
	// ListClones returns every database named like a pull-request clone, with
	// what CloneDatabase recorded of it (nothing, for one it did not make).
	ListClones(ctx context.Context) ([]CloneRecord, error)
	// Close releases connections and files.
	Close() error
}

// TableRef names a table as DATABASE.SCHEMA.TABLE.
type TableRef struct {
	Database string
	Schema   string
	Table    string
}

// String returns the dotted name.
func (r TableRef) String() string { return r.Database + "." + r.Schema + "." + r.Table }

// Check validates every part of the name.
func (r TableRef) Check() error {
	for _, part := range []struct{ what, v string }{{"database", r.Database}, {"schema", r.Schema}, {"table", r.Table}} {
		if err := CheckIdent(part.what, part.v); err != nil {
			return err
		}
	}
	return nil
}

// Quoted returns the name with each part quoted, for SQL text.
func (r TableRef) Quoted() string {
	return Quote(r.Database) + "." + Quote(r.Schema) + "." + Quote(r.Table)
}

// TableInfo describes a table.
type TableInfo struct {
	Exists   bool
	Rows     int64
	Modified time.Time // when it was last written, where the backend knows
}

// CloneRecord is what the warehouse knows of a database named like a clone.
type CloneRecord struct {
	Name     string    `json:"name"`
	PRID     string    `json:"pr_id"`
	Origin   string    `json:"origin,omitempty"`   // the database it was cloned from; "" if not recorded
	ClonedAt time.Time `json:"cloned_at,omitzero"` // when it was made or last refreshed
	Bytes    int64     `json:"bytes"`              // size on disk, -1 when unknown (or no file)
	// TempBytes is the size of temporary files of clones of this name still
	// on disk: one being made now, or one a killed clone left.
	TempBytes int64 `json:"temp_bytes,omitempty"`
}

// TempRemover is a warehouse that can remove what killed clones left behind.
type TempRemover interface {
	// RemoveStaleTemps removes temporary clone files no live clone is writing
	// and returns how many bytes it freed.
	RemoveStaleTemps(ctx context.Context) (int64, error)
}

// CloneNote is the document a clone records: its origin and when it was made.
type CloneNote struct {
	Origin   string    `json:"origin"`
	ClonedAt time.Time `json:"cloned_at"`
}

// PRIDOf returns the pull request of a database named PRODUCTION_CLONE_<digits>.
func PRIDOf(name string) (string, bool) {
	id, ok := strings.CutPrefix(name, ClonePrefix)
	if !ok || CheckPRID(id) != nil {
		return "", false
	}
	return id, true
}

// CloneInfo says how a clone was made, for the op's log line.
type CloneInfo struct {
	Method string // e.g. "reflink", "copy", "CREATE OR REPLACE DATABASE ... CLONE"
	Bytes  int64  // bytes copied, when known
}
