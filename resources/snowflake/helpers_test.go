package snowflake

import (
	"database/sql"
	"fmt"
)

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func equal(a, b any) bool {
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) || fmt.Sprint(a) == fmt.Sprint(b)
}
