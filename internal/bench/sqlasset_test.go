package bench

import (
	"strings"
	"testing"
)

// The scenario runs both variants and they agree; its figures are not checked
// (machines are shared), only that each variant was measured.
func TestSQLAssetScenario(t *testing.T) {
	sc, err := SQLAsset(t.TempDir(), 3000, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Rows) != 2 || !strings.Contains(sc.Rows[0].Case, "3000 items") || !strings.Contains(sc.Rows[1].Case, "Snowflake double: 1000 items") {
		t.Fatalf("scenario %+v", sc)
	}
	for _, r := range sc.Rows {
		if len(r.Ours) != 1 || len(r.Baseline) != 1 {
			t.Errorf("%s: measured %d and %d times, want 1 and 1", r.Case, len(r.Ours), len(r.Baseline))
		}
	}
}
