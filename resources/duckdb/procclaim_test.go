package duckdb_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// TestTwoWarehousesOfOneProcessTakeTurns: two warehouses of one process (two
// runs the web UI launched) writing one database file. POSIX locks do not part
// them, so without a claim of their own both wrote, and one's checkpoint
// dropped the other's tables while both reported success.
func TestTwoWarehousesOfOneProcessTakeTurns(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rows := warehousetest.Sample(1, 2000)
	defer rows.Release()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
			if err != nil {
				errs[i] = err
				return
			}
			for j := 0; j < 5; j++ {
				ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: fmt.Sprintf("T%d_%d", i, j)}
				if err := w.WriteTable(ctx, ref, rows); err != nil {
					errs[i] = err
					break
				}
			}
			if err := w.Close(); err != nil && errs[i] == nil {
				errs[i] = err
			}
		}(i)
	}
	wg.Wait()
	t.Logf("writers: %v", errs)
	r, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 2; i++ {
		for j := 0; j < 5; j++ {
			ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: fmt.Sprintf("T%d_%d", i, j)}
			got, err := r.ReadTable(ctx, ref)
			if err != nil {
				if errs[i] == nil {
					t.Errorf("%s reported written, now: %v", ref, err)
				}
				continue
			}
			got.Release()
		}
	}
}
