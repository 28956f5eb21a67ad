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

func useSchemaSQL(db, schema string) string {
	return fmt.Sprintf("USE SCHEMA %s.%s", warehouse.Quote(db), warehouse.Quote(schema))
}

func createStageSQL(stage warehouse.TableRef) string {
	return "CREATE OR REPLACE TEMPORARY STAGE " + stage.Quoted()
}

func dropStageSQL(stage warehouse.TableRef) string {
	return "DROP STAGE IF EXISTS " + stage.Quoted()
}

// putSQL uploads one streamed file to a stage. The file name is only a name:
// the content comes from the context (gosnowflake's WithFileStream).
func putSQL(file string, stage warehouse.TableRef) string {
	return fmt.Sprintf("PUT 'file:///assetflow/%s' @%s AUTO_COMPRESS=FALSE SOURCE_COMPRESSION=NONE OVERWRITE=TRUE PARALLEL=4", file, stage.Quoted())
}

// copySQL loads every Parquet file of a stage into a table, by column name,
// and removes the files.
func copySQL(table, stage warehouse.TableRef) string {
	return fmt.Sprintf("COPY INTO %s FROM @%s FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PURGE = TRUE", table.Quoted(), stage.Quoted())
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

// selectConvertedSQL selects the raw load table's rows in the final types,
// parsing lists from JSON text into ARRAY.
func selectConvertedSQL(raw warehouse.TableRef, cols []warehouse.Column) string {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		q := warehouse.Quote(c.Name)
		if c.Kind == warehouse.Int64List {
			exprs[i] = fmt.Sprintf("PARSE_JSON(%s)::ARRAY AS %s", q, q)
		} else {
			exprs[i] = q
		}
	}
	return fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), raw.Quoted())
}

func dropTableSQL(ref warehouse.TableRef) string {
	return "DROP TABLE IF EXISTS " + ref.Quoted()
}

func createDatabaseSQL(db string) string {
	return "CREATE OR REPLACE DATABASE " + warehouse.Quote(db)
}

// cloneTableSQL clones one table: the new table is owned by the role that runs
// it and keeps none of the source's grants.
func cloneTableSQL(dst, src warehouse.TableRef) string {
	return fmt.Sprintf("CREATE TABLE %s CLONE %s", dst.Quoted(), src.Quoted())
}

// listTablesSQL lists a database's tables, in the order they are cloned.
func listTablesSQL(db string) string {
	return fmt.Sprintf(`SELECT "TABLE_SCHEMA", "TABLE_NAME" FROM %s."INFORMATION_SCHEMA"."TABLES" WHERE "TABLE_CATALOG" = ? AND "TABLE_TYPE" = 'BASE TABLE' AND "TABLE_SCHEMA" <> 'INFORMATION_SCHEMA' ORDER BY 1, 2`, warehouse.Quote(db))
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

// CloneStatement describes the statements that clone src to dst, for dry runs.
func CloneStatement(src, dst string) string {
	return fmt.Sprintf("%s; then for each table S.T of %s: CREATE SCHEMA IF NOT EXISTS %s.S; CREATE TABLE %s.S.T CLONE %s.S.T",
		createDatabaseSQL(dst), warehouse.Quote(src), warehouse.Quote(dst), warehouse.Quote(dst), warehouse.Quote(src))
}

// DropStatement is the statement that drops a database, for dry runs.
func DropStatement(name string) string { return dropDatabaseSQL(name) }
