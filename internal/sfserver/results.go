package sfserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// selectRows runs a SELECT and encodes its rows in the JSON row format.
func (s *Server) selectRows(ctx context.Context, sess *session, stmt string, req queryRequest) (*queryData, error) {
	if err := s.attachNamed(ctx, stmt); err != nil {
		return nil, err
	}
	args, err := scalarArgs(req.Bindings)
	if err != nil {
		return nil, err
	}
	rows, err := sess.conn.QueryContext(ctx, translateTypes(stmt), args...)
	if err != nil {
		return nil, execError(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, execError(err)
	}
	d := &queryData{StatementTypeID: typeSelect}
	for _, ct := range types {
		d.RowType = append(d.RowType, columnType(ct))
	}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, execError(err)
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			row[i] = encode(v)
		}
		d.RowSet = append(d.RowSet, row)
	}
	if err := rows.Err(); err != nil {
		return nil, execError(err)
	}
	return d, nil
}

// columnType describes a DuckDB column as Snowflake would.
func columnType(ct *sql.ColumnType) rowType {
	rt := rowType{Name: ct.Name(), Nullable: true}
	switch name := ct.DatabaseTypeName(); {
	case name == "BIGINT" || name == "INTEGER" || name == "SMALLINT" || name == "TINYINT" || name == "HUGEINT" || name == "UBIGINT":
		rt.Type, rt.Precision = "fixed", 38
	case name == "DOUBLE" || name == "FLOAT" || strings.HasPrefix(name, "DECIMAL"):
		rt.Type = "real"
	case name == "BOOLEAN":
		rt.Type = "boolean"
	case name == "TIMESTAMP":
		rt.Type, rt.Scale = "timestamp_ntz", 9
	case name == "TIMESTAMPTZ" || name == "TIMESTAMP WITH TIME ZONE":
		rt.Type, rt.Scale = "timestamp_ltz", 9
	case name == "JSON" || strings.HasSuffix(name, "[]"):
		rt.Type, rt.Length = "array", 16777216
	case name == "DATE":
		rt.Type = "date"
	default:
		rt.Type, rt.Length = "text", 16777216
	}
	return rt
}

// encode renders a value as the JSON row format does: numbers as decimal text,
// timestamps as seconds.fraction, dates as days since the epoch, arrays as JSON.
func encode(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		s = strconv.FormatInt(x, 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	case string:
		s = x
	case []byte:
		s = string(x)
	case time.Time:
		s = fmt.Sprintf("%d.%09d", x.Unix(), x.Nanosecond())
	case []any:
		b, _ := json.Marshal(x)
		s = string(b)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	return &s
}
