package bench

import (
	"os"
	"testing"
)

func TestWriteSQLSection(t *testing.T) {
	sc, err := SQLAsset(t.TempDir(), 1_000_000, 5)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create("/tmp/sqlbench/section.md")
	defer f.Close()
	WriteReport(f, []Scenario{sc}, 5, false)
}
