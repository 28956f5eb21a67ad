package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/pgtest"
	"github.com/assetflow/assetflow/internal/runstore"
)

// A worker whose clock is off the instance's by more than a heartbeat is
// refused, saying which way and what to do; one whose clock agrees starts.
func TestWorkerClockMustAgree(t *testing.T) {
	s, err := runstore.OpenPostgres(context.Background(), pgtest.Shared(t).NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := clockAgrees(ctx, s, time.Now, 5*time.Second); err != nil {
		t.Fatalf("the same machine: %v", err)
	}
	ahead := func() time.Time { return time.Now().Add(30 * time.Second) }
	err = clockAgrees(ctx, s, ahead, 5*time.Second)
	if !engine.IsInvalidInput(err) || !strings.Contains(err.Error(), "ahead of the instance's") || !strings.Contains(err.Error(), "NTP") {
		t.Fatalf("a clock 30s ahead: %v", err)
	}
	behind := func() time.Time { return time.Now().Add(-30 * time.Second) }
	if err := clockAgrees(ctx, s, behind, 5*time.Second); err == nil || !strings.Contains(err.Error(), "behind the instance's") {
		t.Fatalf("a clock 30s behind: %v", err)
	}
	if err := clockAgrees(ctx, s, behind, time.Minute); err != nil {
		t.Fatalf("30s off with a one-minute heartbeat: %v", err)
	}
}
