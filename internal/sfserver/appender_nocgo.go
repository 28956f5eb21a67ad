//go:build !cgo

// Without cgo the double cannot link DuckDB; the build stops in
// resources/duckdb with a message naming cgo and gcc (see its nocgo.go). This
// file only keeps this package from importing duckdb-go directly, which would
// fail first with "build constraints exclude all Go files".

package sfserver

import (
	"database/sql/driver"
	"errors"
)

type rowAppender interface {
	AppendRow(values ...driver.Value) error
	Close() error
}

func newAppender(driver.Conn, []string, []string) (rowAppender, error) {
	return nil, errors.New("the DuckDB appender needs cgo")
}
