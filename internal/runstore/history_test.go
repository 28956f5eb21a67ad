package runstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// historyStore is what the web UI reads besides the Store interface.
type historyStore interface {
	runstore.Store
	AssetVersions(ctx context.Context, asset string, limit int) ([]runstore.AssetVersion, error)
	LastStepOutcomes(ctx context.Context) (map[string]runstore.StepOutcome, error)
	EventsAfter(ctx context.Context, runID string, seq int64, limit int) ([]runstore.SeqEvent, error)
	RunHeader(ctx context.Context, runID string) (runstore.Run, error)
}

// The web UI's queries answer the same on both backends: the latest step
// outcome per node, an asset's versions newest first with their step's
// duration, events after a position, and a run's header.
func TestHistoryQueries(t *testing.T) { eachBackend(t, testHistoryQueries) }

func testHistoryQueries(t *testing.T, b backend) {
	s, ok := b.open(t).(historyStore)
	if !ok {
		t.Fatalf("%s store does not serve the web UI", b.name)
	}
	ctx := context.Background()
	t0 := time.Now().UTC().Add(-time.Hour)
	step := func(typ engine.EventType, node string, d time.Duration, errText string) engine.Event {
		return engine.Event{Type: typ, Node: node, Duration: d, Error: errText}
	}
	recordRun(t, s, "r1", "local", t0,
		step(engine.EventStepStart, "items", 0, ""), step(engine.EventStepSuccess, "items", 3*time.Second, ""), mat("items", "PRODUCTION.HN.ITEMS", "v1"),
		step(engine.EventStepStart, "stories", 0, ""), step(engine.EventStepFailure, "stories", time.Second, "boom"))
	recordRun(t, s, "r2", "local", t0.Add(time.Minute),
		step(engine.EventStepStart, "items", 0, ""), step(engine.EventStepSuccess, "items", 5*time.Second, ""), mat("items", "PRODUCTION.HN.ITEMS", "v2"),
		step(engine.EventStepSkipped, "stories", 0, ""), eval("items", "unique_id", 2))

	out, err := s.LastStepOutcomes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out["items"].RunID != "r2" || out["items"].Status != "SUCCESS" || out["stories"].Status != "SKIPPED" || out["stories"].RunID != "r2" {
		t.Errorf("last outcomes: %+v", out)
	}
	versions, err := s.AssetVersions(ctx, "items", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].RunID != "r2" || versions[0].Duration != 5*time.Second || versions[1].Duration != 3*time.Second {
		t.Errorf("versions: %+v", versions)
	}
	after, err := s.EventsAfter(ctx, "r2", 2, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 3 || after[0].Seq != 3 || after[0].Type != engine.EventMaterialization || after[2].Check == nil || after[2].Check.FailingRows != 2 {
		t.Errorf("events after 2: %+v", after)
	}
	h, err := s.RunHeader(ctx, "r1")
	if err != nil || h.ID != "r1" || h.Env != "local" {
		t.Errorf("header: %+v %v", h, err)
	}
	if _, err := s.RunHeader(ctx, "nope"); !engine.IsInvalidInput(err) {
		t.Errorf("missing run: %v", err)
	}
}

// A run's config is kept whole for re-execution, and shown as JSON with the
// values of credential-named keys hidden.
func TestRunConfigIsKeptAndShownWithoutSecrets(t *testing.T) { eachBackend(t, testRunConfigIsKept) }

func testRunConfigIsKept(t *testing.T, b backend) {
	s := b.open(t)
	ctx := context.Background()
	cfg := runstore.Config{"items": {"base_item_id": 80.0, "api_token": "tok-123"}, "db": {"password": "pw-456", "key": "k-789", "monkey": "ok"}}
	if err := s.StartRun(ctx, runstore.Run{ID: "c1", Kind: "assets", Name: "assets", Env: "local", Start: time.Now(), Config: cfg}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d.Config) != fmt.Sprint(cfg) {
		t.Fatalf("kept %v, want %v", d.Config, cfg)
	}
	shown, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"tok-123", "pw-456", "k-789"} {
		if strings.Contains(string(shown), secret) {
			t.Errorf("%s shown in %s", secret, shown)
		}
	}
	if !strings.Contains(string(shown), `"base_item_id":80`) || !strings.Contains(string(shown), `"monkey":"ok"`) {
		t.Errorf("parameters hidden too: %s", shown)
	}
}
