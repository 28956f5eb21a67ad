package diff

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// Statement text is built only from validated, quoted identifiers; the one
// value that travels (a table name in the information schema) is bound.
// Both dialects share COUNT_IF, HASH, IS DISTINCT FROM and FULL OUTER JOIN.

// dialect is what differs between the backends: how to list a table's columns.
type dialect struct {
	columns func(ref warehouse.TableRef) (string, []any)
}

func dialectOf(backend string) dialect {
	if backend == "snowflake" {
		return dialect{columns: func(ref warehouse.TableRef) (string, []any) {
			return fmt.Sprintf(`SELECT "COLUMN_NAME", "DATA_TYPE" FROM %s."INFORMATION_SCHEMA"."COLUMNS" WHERE "TABLE_SCHEMA" = ? AND "TABLE_NAME" = ? ORDER BY "ORDINAL_POSITION"`,
				warehouse.Quote(ref.Database)), []any{ref.Schema, ref.Table}
		}}
	}
	return dialect{columns: func(ref warehouse.TableRef) (string, []any) {
		return `SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index`,
			[]any{ref.Database, ref.Schema, ref.Table}
	}}
}

func quoteAll(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + warehouse.Quote(n)
	}
	return out
}

// hashOf hashes a row's value columns; a table with none hashes a constant.
func hashOf(alias string, values []string) string {
	if len(values) == 0 {
		return "0"
	}
	return "HASH(" + strings.Join(quoteAll(alias+".", values), ", ") + ")"
}

func joinOn(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "b." + warehouse.Quote(k) + " = h." + warehouse.Quote(k)
	}
	return strings.Join(parts, " AND ")
}

// duplicatesSQL counts rows that repeat a key and rows with a null key part.
func duplicatesSQL(ref warehouse.TableRef, keys []string) string {
	k := strings.Join(quoteAll("", keys), ", ")
	nulls := make([]string, len(keys))
	for i, q := range quoteAll("", keys) {
		nulls[i] = q + " IS NULL"
	}
	return fmt.Sprintf(`SELECT (SELECT COUNT(*) FROM %[1]s) - (SELECT COUNT(*) FROM (SELECT DISTINCT %[2]s FROM %[1]s) AS d), (SELECT COUNT_IF(%[3]s) FROM %[1]s)`,
		ref.Quoted(), k, strings.Join(nulls, " OR "))
}

// narrow is one side reduced to its key, a hash of the value columns and one
// hash per value column: all the join needs to carry, whatever the width of the
// rows.
func narrow(ref warehouse.TableRef, alias string, keys, values []string) string {
	cols := quoteAll("", keys)
	cols = append(cols, hashOf("t", values)+` AS "_af_hash"`)
	for i, v := range values {
		cols = append(cols, fmt.Sprintf(`HASH(t.%s) AS "_af_h%d"`, warehouse.Quote(v), i))
	}
	return fmt.Sprintf("(SELECT %s FROM %s AS t) AS %s", strings.Join(cols, ", "), ref.Quoted(), alias)
}

// changedCond holds for a key on both sides whose row hash differs.
func changedCond(keys []string) string {
	first := warehouse.Quote(keys[0])
	return fmt.Sprintf(`b.%[1]s IS NOT NULL AND h.%[1]s IS NOT NULL AND b."_af_hash" <> h."_af_hash"`, first)
}

// compareSQL joins both sides' narrow forms on the key: a row only in head is
// added, only in base removed, in both with another hash changed. One count per
// value column tells how many changed rows differ in it (by the column's hash).
//
// With one key column and samples wanted, it also picks the first keys of each
// kind (MIN_BY with a count, in both dialects), so samples are then read by key
// instead of joining the tables again.
func compareSQL(base, head warehouse.TableRef, keys, values []string, samples int) string {
	first := warehouse.Quote(keys[0])
	changed := changedCond(keys)
	exprs := []string{
		fmt.Sprintf("COUNT_IF(b.%s IS NULL)", first),
		fmt.Sprintf("COUNT_IF(h.%s IS NULL)", first),
		"COUNT_IF(" + changed + ")",
		fmt.Sprintf("COUNT_IF(b.%s IS NOT NULL)", first),                    // base's rows in the join: more than base has means head repeats a key
		fmt.Sprintf("COUNT_IF(b.%[1]s IS NULL AND h.%[1]s IS NULL)", first), // head rows with a null key
	}
	for i := range values {
		exprs = append(exprs, fmt.Sprintf(`COUNT_IF(%s AND b."_af_h%d" <> h."_af_h%d")`, changed, i, i))
	}
	if len(keys) == 1 && samples > 0 {
		pick := func(cond, side string) string {
			e := fmt.Sprintf("CASE WHEN %s THEN %s.%s END", cond, side, first)
			return fmt.Sprintf("MIN_BY(%s, %s, %d)", e, e, samples)
		}
		exprs = append(exprs, pick("b."+first+" IS NULL", "h"), pick("h."+first+" IS NULL", "b"), pick(changed, "b"))
	}
	return fmt.Sprintf("SELECT %s FROM %s FULL OUTER JOIN %s ON %s", strings.Join(exprs, ", "),
		narrow(base, "b", keys, values), narrow(head, "h", keys, values), joinOn(keys))
}

// onlyInSQL selects rows of from whose key other lacks, first keys first. The
// anti-join reads only the key columns; the rows are fetched for the few keys.
func onlyInSQL(from, other warehouse.TableRef, keys, values []string, limit int) string {
	cols := append(quoteAll("h.", keys), quoteAll("h.", values)...)
	k := strings.Join(quoteAll("h.", keys), ", ")
	missing := fmt.Sprintf("SELECT %s FROM %s AS h WHERE NOT EXISTS (SELECT 1 FROM %s AS b WHERE %s) ORDER BY %s LIMIT %d",
		k, from.Quoted(), other.Quoted(), joinOn(keys), k, limit)
	return fmt.Sprintf("SELECT %s FROM %s AS h WHERE (%s) IN (%s) ORDER BY %s", strings.Join(cols, ", "), from.Quoted(), k, missing, k)
}

// changedSQL selects changed rows: key, then each value column's base and
// head. The changed keys come from the narrow join; only their rows are read.
func changedSQL(base, head warehouse.TableRef, keys, values []string, limit int) string {
	cols := quoteAll("b.", keys)
	for _, v := range values {
		q := warehouse.Quote(v)
		cols = append(cols, "b."+q, "h."+q)
	}
	bk := strings.Join(quoteAll("b.", keys), ", ")
	firstKeys := fmt.Sprintf("SELECT %s FROM %s JOIN %s ON %s WHERE %s ORDER BY %s LIMIT %d", bk,
		narrow(base, "b", keys, values), narrow(head, "h", keys, values), joinOn(keys), changedCond(keys), bk, limit)
	return fmt.Sprintf("SELECT %s FROM %s AS b JOIN %s AS h ON %s WHERE (%s) IN (%s) ORDER BY %s",
		strings.Join(cols, ", "), base.Quoted(), head.Quoted(), joinOn(keys), bk, firstKeys, bk)
}

// inKeys is "(?, ?, ...)" for n keys.
func inKeys(n int) string { return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")" }

// rowsByKeySQL reads the rows of from with the n given values of its one key.
func rowsByKeySQL(from warehouse.TableRef, keys, values []string, n int) string {
	cols := append(quoteAll("h.", keys), quoteAll("h.", values)...)
	k := "h." + warehouse.Quote(keys[0])
	return fmt.Sprintf("SELECT %s FROM %s AS h WHERE %s IN %s ORDER BY %s", strings.Join(cols, ", "), from.Quoted(), k, inKeys(n), k)
}

// changedByKeySQL reads both sides of the changed rows with the n given keys.
func changedByKeySQL(base, head warehouse.TableRef, keys, values []string, n int) string {
	cols := quoteAll("b.", keys)
	for _, v := range values {
		q := warehouse.Quote(v)
		cols = append(cols, "b."+q, "h."+q)
	}
	k := "b." + warehouse.Quote(keys[0])
	return fmt.Sprintf("SELECT %s FROM %s AS b JOIN %s AS h ON %s WHERE %s IN %s ORDER BY %s",
		strings.Join(cols, ", "), base.Quoted(), head.Quoted(), joinOn(keys), k, inKeys(n), k)
}

// keyList reads the keys MIN_BY picked, returned as a JSON array in both
// dialects (DuckDB's list is rendered as JSON by text): numbers as int64 where
// they are integers, else text.
func keyList(v sql.NullString) ([]any, error) {
	if !v.Valid || v.String == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(v.String))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("diff: sample keys %.40q: %w", v.String, err)
	}
	out := make([]any, 0, len(raw))
	for _, k := range raw {
		switch x := k.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				out = append(out, n)
			} else {
				out = append(out, x.String())
			}
		case nil:
		default:
			out = append(out, fmt.Sprint(x))
		}
	}
	return out, nil
}

// text renders a scanned value as text; NULL stays invalid.
func text(v any) sql.NullString {
	switch x := v.(type) {
	case nil:
		return sql.NullString{}
	case string:
		return sql.NullString{String: x, Valid: true}
	case []byte:
		return sql.NullString{String: string(x), Valid: true}
	case time.Time:
		return sql.NullString{String: x.UTC().Format("2006-01-02 15:04:05.999999"), Valid: true}
	case int64:
		return sql.NullString{String: strconv.FormatInt(x, 10), Valid: true}
	case float64:
		return sql.NullString{String: strconv.FormatFloat(x, 'g', -1, 64), Valid: true}
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return sql.NullString{String: string(b), Valid: true}
	}
	return sql.NullString{String: fmt.Sprint(v), Valid: true}
}

func parseCount(v sql.NullString) (int64, error) {
	if !v.Valid {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.String, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("diff: expected a count, got %q", v.String)
	}
	return n, nil
}

// shown renders values for display: NULL as null, control characters (line
// breaks, terminal escapes) as spaces, long text cut.
func shown(vals []sql.NullString) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		v.String = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				return ' '
			}
			return r
		}, v.String)
		switch {
		case !v.Valid:
			out[i] = "null"
		case len([]rune(v.String)) > maxSampleValue:
			out[i] = string([]rune(v.String)[:maxSampleValue-1]) + "…"
		default:
			out[i] = v.String
		}
	}
	return out
}
