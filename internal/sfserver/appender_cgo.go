//go:build cgo

package sfserver

import (
	"database/sql/driver"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"
)

// rowAppender appends typed rows to one table: DuckDB's appender.
type rowAppender interface {
	AppendRow(values ...driver.Value) error
	Close() error
}

// newAppender opens DuckDB's appender on a session's connection for table
// parts (database, schema, table) and the columns cols.
func newAppender(conn driver.Conn, parts, cols []string) (rowAppender, error) {
	return duckdbdriver.NewAppenderWithColumns(conn, parts[0], parts[1], parts[2], cols)
}
