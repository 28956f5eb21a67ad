package snowflake

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// Statement text is built only from validated, quoted identifiers and fixed
// keywords; every value travels as a bound parameter.

// sqlType maps a column kind to Snowflake's type. Lists are ARRAY.
func sqlType(k warehouse.ColumnKind) string {
	switch k {
	case warehouse.Int64:
		return "NUMBER(38,0)"
	case warehouse.Float64:
		return "FLOAT"
	case warehouse.Bool:
		return "BOOLEAN"
	case warehouse.String:
		return "VARCHAR"
	case warehouse.Timestamp:
		return "TIMESTAMP_NTZ(6)"
	case warehouse.Int64List:
		return "ARRAY"
	}
	panic(fmt.Sprintf("unknown column kind %d", k))
}

// loadType is the type of a column in the raw staging table that bound rows are
// inserted into: lists arrive as JSON text.
func loadType(k warehouse.ColumnKind) string {
	if k == warehouse.Int64List {
		return "VARCHAR"
	}
	return sqlType(k)
}

func createSchemaSQL(db, schema string) string {
	return fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s.%s", warehouse.Quote(db), warehouse.Quote(schema))
}

func createTableSQL(ref warehouse.TableRef, cols []warehouse.Column, typ func(warehouse.ColumnKind) string) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = warehouse.Quote(c.Name) + " " + typ(c.Kind)
	}
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s)", ref.Quoted(), strings.Join(defs, ", "))
}

func insertSQL(ref warehouse.TableRef, cols []warehouse.Column) string {
	names := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		names[i] = warehouse.Quote(c.Name)
		marks[i] = "?"
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", ref.Quoted(), strings.Join(names, ", "), strings.Join(marks, ", "))
}

// convertSQL makes the final staging table from the raw one, parsing lists.
func convertSQL(dst, raw warehouse.TableRef, cols []warehouse.Column) string {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		q := warehouse.Quote(c.Name)
		if c.Kind == warehouse.Int64List {
			exprs[i] = fmt.Sprintf("PARSE_JSON(%s)::ARRAY AS %s", q, q)
		} else {
			exprs[i] = q
		}
	}
	return fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s FROM %s", dst.Quoted(), strings.Join(exprs, ", "), raw.Quoted())
}

func swapSQL(target, staging warehouse.TableRef) string {
	return fmt.Sprintf("ALTER TABLE %s SWAP WITH %s", target.Quoted(), staging.Quoted())
}

func renameSQL(staging, target warehouse.TableRef) string {
	return fmt.Sprintf("ALTER TABLE %s RENAME TO %s", staging.Quoted(), target.Quoted())
}

func dropTableSQL(ref warehouse.TableRef) string {
	return "DROP TABLE IF EXISTS " + ref.Quoted()
}

func cloneSQL(src, dst string) string {
	return fmt.Sprintf("CREATE OR REPLACE DATABASE %s CLONE %s", warehouse.Quote(dst), warehouse.Quote(src))
}

func dropDatabaseSQL(name string) string {
	return "DROP DATABASE IF EXISTS " + warehouse.Quote(name)
}

func tableInfoSQL(db string) string {
	return fmt.Sprintf(`SELECT "ROW_COUNT", "LAST_ALTERED" FROM %s."INFORMATION_SCHEMA"."TABLES" WHERE "TABLE_SCHEMA" = ? AND "TABLE_NAME" = ?`, warehouse.Quote(db))
}

// commentSQL records a clone's note as its database's comment. The note holds
// a validated name and a timestamp, so it has no quote to escape; it is
// escaped anyway.
func commentSQL(db string, note warehouse.CloneNote) string {
	b, _ := json.Marshal(note)
	return fmt.Sprintf("COMMENT ON DATABASE %s IS '%s'", warehouse.Quote(db), strings.ReplaceAll(string(b), "'", "''"))
}

// CloneStatement is the statement that clones src to dst, for dry runs.
func CloneStatement(src, dst string) string { return cloneSQL(src, dst) }

// DropStatement is the statement that drops a database, for dry runs.
func DropStatement(name string) string { return dropDatabaseSQL(name) }

// createTableAsSQL fills a new table with a query's result, inside the account.
func createTableAsSQL(ref warehouse.TableRef, query string) string {
	return "CREATE TABLE " + ref.Quoted() + " AS " + query
}
