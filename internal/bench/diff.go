package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/diff"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// Diff measures run diff's comparison of two n-row item tables in which 1% of
// the rows differ (a third changed, a third removed, a third added), on the
// embedded warehouse, against one plain scan of both tables (SELECT count(*) of
// each) and, for context, a scan that reads every column of both.
func Diff(dir string, n, runs int) (Scenario, error) {
	ctx := context.Background()
	w, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
	if err != nil {
		return Scenario{}, err
	}
	defer w.Close()
	base := warehouse.TableRef{Database: warehouse.Production, Schema: "HACKER_NEWS", Table: "ITEMS"}
	head := warehouse.TableRef{Database: "PRODUCTION_CLONE_1", Schema: "HACKER_NEWS", Table: "ITEMS"}
	tbl := warehousetest.Items(n)
	for _, ref := range []warehouse.TableRef{base, head} {
		if err := w.WriteTable(ctx, ref, tbl); err != nil {
			tbl.Release()
			return Scenario{}, err
		}
	}
	tbl.Release()
	h := head.Quoted()
	for _, stmt := range []string{
		fmt.Sprintf(`UPDATE %s SET score = coalesce(score, 0) + 1 WHERE id %% 300 = 0`, h),
		fmt.Sprintf(`DELETE FROM %s WHERE id %% 300 = 1`, h),
		fmt.Sprintf(`INSERT INTO %s SELECT id + %d, parent, time, type, user_id, text, kids, score, title, descendants, url FROM %s WHERE id %% 300 = 2`, h, 10*n, base.Quoted()),
	} {
		if err := w.Exec(ctx, stmt); err != nil {
			return Scenario{}, fmt.Errorf("prepare the head table: %w", err)
		}
	}
	var last *diff.Table
	ours, err := repeat(runs, func() (float64, error) {
		start := time.Now()
		t, err := diff.Compare(ctx, w, base, head, diff.Options{Key: []string{"id"}})
		last = t
		return ms(time.Since(start)), err
	})
	if err != nil {
		return Scenario{}, err
	}
	if want := int64(n / 300); last.RowsChanged < want-1 || last.RowsRemoved < want-1 || last.RowsAdded < want-1 {
		return Scenario{}, fmt.Errorf("diff found %d changed, %d removed, %d added; expected about %d each", last.RowsChanged, last.RowsRemoved, last.RowsAdded, want)
	}
	scan := func(expr string) (Sample, error) {
		return repeat(runs, func() (float64, error) {
			start := time.Now()
			for _, ref := range []warehouse.TableRef{base, head} {
				rows, err := w.Query(ctx, []string{ref.Database}, fmt.Sprintf("SELECT %s FROM %s", expr, ref.Quoted()))
				if err != nil {
					return 0, err
				}
				for rows.Next() {
				}
				rows.Close()
			}
			return ms(time.Since(start)), nil
		})
	}
	count, err := scan("count(*)")
	if err != nil {
		return Scenario{}, err
	}
	full, err := scan("sum(hash(id, parent, time, type, user_id, text, kids, score, title, descendants, url))")
	if err != nil {
		return Scenario{}, err
	}
	extra := fmt.Sprintf("%d changed, %d removed, %d added rows found", last.RowsChanged, last.RowsRemoved, last.RowsAdded)
	return Scenario{Title: "Diff", Note: fmt.Sprintf("`run diff`'s comparison of two %d-row item tables in which 1%% of the rows differ, inside the embedded warehouse (schema, counts, key check, full outer join on id with a hash of the other columns, per-column counts, samples); baselines: one plain scan of both tables (SELECT count(*) of each, the target's yardstick: within 3x), and a scan reading every column of both (hash of each row), in ms.", n),
		Rows: []Row{
			{Case: fmt.Sprintf("%d rows, vs count(*)", n), Unit: "ms", Ours: ours, Baseline: count, Base: "SELECT count(*) of each", LowerWins: true, Extra: extra},
			{Case: fmt.Sprintf("%d rows, vs full scan", n), Unit: "ms", Ours: ours, Baseline: full, Base: "hash of every column of each", LowerWins: true},
		}}, nil
}
