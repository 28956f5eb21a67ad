package resources

import (
	"fmt"
	"path/filepath"

	"github.com/assetflow/assetflow/resources/snowflake"
)

// CloneStatement describes what cloning src to dst runs on the bound backend,
// for logs and dry runs.
func (s WarehouseSpec) CloneStatement(src, dst string) string {
	if s.Backend == "snowflake" {
		return snowflake.CloneStatement(src, dst)
	}
	return fmt.Sprintf("copy %s to a temporary file, rename it over %s (DuckDB: CREATE OR REPLACE DATABASE %s CLONE %s)",
		s.file(src), s.file(dst), dst, src)
}

// DropStatement describes what dropping a database runs on the bound backend.
func (s WarehouseSpec) DropStatement(name string) string {
	if s.Backend == "snowflake" {
		return snowflake.DropStatement(name)
	}
	return fmt.Sprintf("detach and remove %s if it exists (DuckDB: DROP DATABASE IF EXISTS %s)", s.file(name), name)
}

func (s WarehouseSpec) file(db string) string { return filepath.Join(s.Location, db+".duckdb") }
