package clones_test

import (
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/ops"
	"github.com/assetflow/assetflow/resources/clones"
)

// TestAgeBounds: ages are bounded at 36500d; beyond, and anything that would
// overflow a duration, is refused instead of wrapping (200000d once became
// "drop everything", issue 16, item 8).
func TestAgeBounds(t *testing.T) {
	ok := map[string]time.Duration{
		"36500d":  36500 * 24 * time.Hour,
		"876000h": 36500 * 24 * time.Hour,
		"0d":      0,
		"0s":      0,
	}
	for in, want := range ok {
		if got, err := clones.ParseAge(in); err != nil || got != want {
			t.Errorf("%s: %s (%v)", in, got, err)
		}
	}
	for _, bad := range []string{"36501d", "876001h", "106751d", "106752d", "200000d", "9223372036854775807d",
		"99999999999999999999d", "2562048h", "9223372036854775807ns0h", "+14d", "-0h1s"} {
		_, err := clones.ParseAge(bad)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "36500d") {
			t.Errorf("age %q: %v, want a refusal naming it and the bound", bad, err)
		}
	}
	if err := (ops.ReapConfig{OlderThan: "200000d"}).Validate(); err == nil {
		t.Error("the job's older_than 200000d accepted")
	}
}

// FuzzParseAge: an age is refused or lands in [0, 36500d], never negative.
func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"14d", "36h", "200000d", "106752d", "9223372036854775807d", "2562048h", "-1h", "1.5h", "36500d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := clones.ParseAge(s)
		if err == nil && (d < 0 || d > clones.MaxAgeDays*24*time.Hour) {
			t.Fatalf("%q gave %s", s, d)
		}
	})
}
