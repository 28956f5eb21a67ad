package warehouse

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// TablePlaceholder stands for the checked asset's table in a SQL check's query.
const TablePlaceholder = "{{table}}"

// checkSample is how many failing rows a check brings back.
const checkSample = 5

// SQLCheck is an asset check written as SQL: query selects the failing rows of
// the asset's table, written {{table}}, with args bound to its ? marks. It runs
// inside the warehouse; only the failing-row count and a few rows come back.
// The asset must be stored by a warehouse I/O manager.
func SQLCheck(name string, severity engine.Severity, description, query string, args ...any) engine.Check {
	return engine.Check{Name: name, Severity: severity, Description: description,
		Evaluate: func(ctx *engine.CheckContext) (engine.CheckResult, error) {
			iom, err := engine.Key[*IOManager](ctx.IOManager).From(ctx.Context)
			if err != nil {
				return engine.CheckResult{}, err
			}
			ref := iom.Ref(ctx.Asset)
			if err := ref.Check(); err != nil {
				return engine.CheckResult{}, err
			}
			q, err := QuerierOf(iom.Warehouse)
			if err != nil {
				return engine.CheckResult{}, err
			}
			failing := strings.ReplaceAll(query, TablePlaceholder, ref.Quoted())
			dbs := []string{ref.Database}
			var res engine.CheckResult
			rows, err := q.Query(ctx, dbs, "SELECT COUNT(*) FROM ("+failing+") AS af_failing", args...)
			if err != nil {
				return res, err
			}
			if rows.Next() {
				err = rows.Scan(&res.FailingRows)
			}
			rows.Close()
			if err != nil {
				return res, err
			}
			if res.FailingRows == 0 {
				return res, nil
			}
			res.Sample, err = sample(ctx, q, dbs, fmt.Sprintf("SELECT * FROM (%s) AS af_failing LIMIT %d", failing, checkSample), args)
			return res, err
		}}
}

// sample reads a few rows as column -> text.
func sample(ctx *engine.CheckContext, q Querier, dbs []string, stmt string, args []any) ([]map[string]string, error) {
	rows, err := q.Query(ctx, dbs, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[c] = shownValue(vals[i])
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func shownValue(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "null"
	case []byte:
		s = string(x)
	case time.Time:
		s = x.UTC().Format(time.RFC3339)
	case sql.RawBytes:
		s = string(x)
	default:
		s = fmt.Sprint(x)
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

func quotedList(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = Quote(c)
	}
	return strings.Join(out, ", ")
}

// mustColumns panics on a column name that is not an identifier: checks are
// declared in code, so this is a programming error found at start-up.
func mustColumns(check string, cols ...string) {
	if len(cols) == 0 {
		panic(fmt.Sprintf("check %s: no column given", check))
	}
	for _, c := range cols {
		if err := CheckIdent("column", c); err != nil {
			panic(fmt.Sprintf("check %s: %v", check, err))
		}
	}
}

// NotNull fails for each row in which any of the columns is null.
func NotNull(severity engine.Severity, cols ...string) engine.Check {
	name := "not_null_" + strings.Join(cols, "_")
	mustColumns(name, cols...)
	conds := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = Quote(c) + " IS NULL"
	}
	return SQLCheck(name, severity, strings.Join(cols, ", ")+" never null",
		"SELECT * FROM {{table}} WHERE "+strings.Join(conds, " OR "))
}

// Unique fails for each value of the columns held by more than one row.
func Unique(severity engine.Severity, cols ...string) engine.Check {
	name := "unique_" + strings.Join(cols, "_")
	mustColumns(name, cols...)
	list := quotedList(cols)
	return SQLCheck(name, severity, strings.Join(cols, ", ")+" unique",
		fmt.Sprintf(`SELECT %s, COUNT(*) AS "rows" FROM {{table}} GROUP BY %s HAVING COUNT(*) > 1`, list, list))
}

// AcceptedValues fails for each row whose column holds a value not listed.
// Nulls pass; add NotNull to refuse them.
func AcceptedValues(severity engine.Severity, col string, values ...string) engine.Check {
	name := "accepted_values_" + col
	mustColumns(name, col)
	if len(values) == 0 {
		panic(fmt.Sprintf("check %s: no accepted value given", name))
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return SQLCheck(name, severity, col+" in "+strings.Join(values, ", "),
		fmt.Sprintf("SELECT * FROM {{table}} WHERE %s NOT IN (%s)", Quote(col), marks), args...)
}

// RowCountBetween fails (one failing row) when the table's row count is below
// lo or, for hi >= 0, above hi.
func RowCountBetween(severity engine.Severity, lo, hi int64) engine.Check {
	cond := fmt.Sprintf("COUNT(*) < %d", lo)
	desc := fmt.Sprintf("at least %d rows", lo)
	if hi >= 0 {
		cond += fmt.Sprintf(" OR COUNT(*) > %d", hi)
		desc = fmt.Sprintf("between %d and %d rows", lo, hi)
	}
	return SQLCheck("row_count", severity, desc, `SELECT COUNT(*) AS "rows" FROM {{table}} HAVING `+cond)
}

// Freshness fails (one failing row) when the asset's table was last
// materialized longer ago than within, as the warehouse itself records it
// (DuckDB: the write's table comment; Snowflake: LAST_ALTERED in the
// information schema), or when the table does not exist.
func Freshness(severity engine.Severity, within time.Duration) engine.Check {
	return engine.Check{Name: "freshness", Severity: severity, Description: "materialized within " + within.String(),
		Evaluate: func(ctx *engine.CheckContext) (engine.CheckResult, error) {
			iom, err := engine.Key[*IOManager](ctx.IOManager).From(ctx.Context)
			if err != nil {
				return engine.CheckResult{}, err
			}
			ref := iom.Ref(ctx.Asset)
			info, err := iom.Warehouse.TableInfo(ctx, ref)
			if err != nil {
				return engine.CheckResult{}, err
			}
			age := time.Since(info.Modified)
			switch {
			case !info.Exists:
				return engine.CheckResult{FailingRows: 1, Message: ref.String() + " does not exist"}, nil
			case info.Modified.IsZero():
				return engine.CheckResult{FailingRows: 1, Message: ref.String() + ": the warehouse does not record when it was written"}, nil
			case age > within:
				return engine.CheckResult{FailingRows: 1, Sample: []map[string]string{{"materialized_at": info.Modified.UTC().Format(time.RFC3339)}},
					Message: fmt.Sprintf("%s was materialized %s ago, more than %s", ref, age.Round(time.Second), within)}, nil
			}
			return engine.CheckResult{}, nil
		}}
}
