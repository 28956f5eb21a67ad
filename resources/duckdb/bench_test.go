package duckdb_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/memstat"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// BenchmarkWriteItems1M writes 1,000,000 item rows from Arrow into the embedded
// warehouse and reports rows/s and the process's peak resident memory.
func BenchmarkWriteItems1M(b *testing.B) {
	const n = 1_000_000
	tbl := warehousetest.Items(n)
	defer tbl.Release()
	w := open(&testing.T{}, b.TempDir())
	defer w.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.WriteTable(ctx, items, tbl); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(memstat.PeakRSS())/(1<<20), "peakRSS-MB")
}

// BenchmarkClone1M clones a database of 1,000,000 item rows and reports the time
// relative to a plain copy of its file (1.0: as fast as the copy).
func BenchmarkClone1M(b *testing.B) {
	dir := b.TempDir()
	w := open(&testing.T{}, dir)
	defer w.Close()
	ctx := context.Background()
	tbl := warehousetest.Items(1_000_000)
	if err := w.WriteTable(ctx, items, tbl); err != nil {
		b.Fatal(err)
	}
	tbl.Release()
	src := filepath.Join(dir, "PRODUCTION.duckdb")
	var cloneTotal, copyTotal float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := nowSeconds()
		if _, err := w.CloneDatabase(ctx, warehouse.Production, "PRODUCTION_CLONE_1"); err != nil {
			b.Fatal(err)
		}
		cloneTotal += nowSeconds() - start
		start = nowSeconds()
		if err := plainCopy(src, filepath.Join(dir, "copy.bin")); err != nil {
			b.Fatal(err)
		}
		copyTotal += nowSeconds() - start
	}
	b.ReportMetric(cloneTotal/copyTotal, "clone/copy")
}

func plainCopy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func nowSeconds() float64 { return float64(timeNow().UnixNano()) / 1e9 }

var timeNow = time.Now
