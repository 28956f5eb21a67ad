package bench

import "testing"

// The diff scenario runs and finds the rows it planted (small, for go test).
func TestDiffScenario(t *testing.T) {
	sc, err := Diff(t.TempDir(), 30_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Rows) != 2 || sc.Rows[0].Ours.Median() <= 0 || sc.Rows[0].Baseline.Median() <= 0 {
		t.Fatalf("scenario %+v", sc)
	}
	t.Logf("%s: %.1f ms vs %.1f ms (count) and %.1f ms (full)", sc.Rows[0].Extra, sc.Rows[0].Ours.Median(), sc.Rows[0].Baseline.Median(), sc.Rows[1].Baseline.Median())
}
