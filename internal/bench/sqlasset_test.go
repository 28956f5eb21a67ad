package bench

import (
	"strings"
	"testing"
)

// The scenario runs both variants and they agree; its figures are not checked
// (machines are shared), only that each variant was measured.
func TestSQLAssetScenario(t *testing.T) {
	sc, err := SQLAsset(t.TempDir(), 3000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Rows) != 1 || len(sc.Rows[0].Ours) != 1 || len(sc.Rows[0].Baseline) != 1 || !strings.Contains(sc.Rows[0].Case, "3000 items") {
		t.Fatalf("scenario %+v", sc)
	}
}
