package warehouse

import (
	"database/sql"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
)

// ReadRows collects a query's rows into an Arrow table. kindOf maps each
// column's database type to a kind; decode, when not nil, converts each value
// as the driver scanned it into what TableBuilder.Append takes.
func ReadRows(rows *sql.Rows, kindOf func(*sql.ColumnType) (ColumnKind, error), decode func(any, ColumnKind) (any, error)) (arrow.Table, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(types))
	for i, ct := range types {
		k, err := kindOf(ct)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", ct.Name(), err)
		}
		cols[i] = Column{Name: ct.Name(), Kind: k}
	}
	b := NewTableBuilder(cols)
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	fail := func(err error) (arrow.Table, error) {
		b.Release()
		return nil, err
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fail(err)
		}
		if decode != nil {
			for i, v := range values {
				if values[i], err = decode(v, cols[i].Kind); err != nil {
					return fail(fmt.Errorf("column %s: %w", cols[i].Name, err))
				}
			}
		}
		if err := b.Append(values); err != nil {
			return fail(err)
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return b.Table(), nil
}
