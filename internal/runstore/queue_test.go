package runstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/pgtest"
	"github.com/assetflow/assetflow/internal/runstore"
)

// A queued run is claimed by one worker; a second waits while the first's
// heartbeat is fresh, takes over once it is stale, and the first, having lost
// it, can neither heartbeat nor finish it. The second continues the event log.
func TestClaimHeartbeatTakeover(t *testing.T) { eachBackend(t, testClaimHeartbeatTakeover) }

func testClaimHeartbeatTakeover(t *testing.T, b backend) {
	s := b.open(t).(runstore.QueueStore)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	if err := s.QueueRun(ctx, runstore.Run{ID: "q1", Kind: "assets", Name: "assets", Selection: "*", Env: "local",
		Nodes: []string{"a", "b"}, Start: t0.Add(-time.Hour)}); err != nil { // an hour in the queue
		t.Fatal(err)
	}
	if err := s.SetJob(ctx, "q1", 42); err != nil {
		t.Fatal(err)
	}
	if job, status, err := s.Job(ctx, "q1"); err != nil || job != 42 || status != "QUEUED" {
		t.Fatalf("job %d %s %v", job, status, err)
	}
	// MarkAbandoned leaves queued runs to the queue.
	if n, err := s.MarkAbandoned(ctx); err != nil || n != 0 {
		t.Fatalf("MarkAbandoned: %d %v", n, err)
	}
	claim := func(owner string, now time.Time) string {
		t.Helper()
		got, err := s.Claim(ctx, "q1", owner, now, now.Add(-3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := claim("w1", t0); got != runstore.Claimed {
		t.Fatalf("w1: %s", got)
	}
	started := func() time.Time {
		t.Helper()
		d, err := s.Run(ctx, "q1")
		if err != nil {
			t.Fatal(err)
		}
		return d.Start
	}
	if !started().Equal(t0) {
		t.Fatalf("a queued run starts when a worker claims it (%s), not when queued: %s", t0, started())
	}
	sink := s.WorkerEvents("q1", "w1", "host1:11")
	sink.Emit(engine.Event{RunID: "q1", Type: engine.EventStepStart, Node: "a", Time: t0})
	sink.Emit(engine.Event{RunID: "q1", Type: engine.EventStepSuccess, Node: "a", Attempt: 1, Time: t0})
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, cancel, err := s.Heartbeat(ctx, "q1", "w1", t0.Add(2*time.Second)); err != nil || !ok || cancel {
		t.Fatalf("heartbeat: %v %v %v", ok, cancel, err)
	}
	if got := claim("w2", t0.Add(4*time.Second)); got != runstore.Busy {
		t.Fatalf("w2 with w1 alive: %s", got)
	}
	if got := claim("w2", t0.Add(10*time.Second)); got != runstore.Claimed {
		t.Fatalf("w2 with w1 stale: %s", got)
	}
	if ok, _, _ := s.Heartbeat(ctx, "q1", "w1", t0.Add(11*time.Second)); ok {
		t.Error("w1 still heartbeats a run w2 took over")
	}
	if !started().Equal(t0) {
		t.Errorf("a run taken over keeps its start %s: %s", t0, started())
	}
	if ok, _ := s.FinishOwned(ctx, "w1", "q1", "FAILURE", "late", t0.Add(11*time.Second)); ok {
		t.Error("w1 finished a run w2 took over")
	}
	d, err := s.Run(ctx, "q1")
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Remaining(); len(r) != 1 || r[0] != "b" || d.Steps[0].Worker != "host1:11" {
		t.Fatalf("remaining %v, steps %+v", r, d.Steps)
	}
	// w1, taken over, can record nothing more: a success of its would be a
	// second one, since w2 runs what had not succeeded when it took over.
	late := s.WorkerEvents("q1", "w1", "host1:11")
	late.Emit(engine.Event{RunID: "q1", Type: engine.EventStepSuccess, Node: "b", Attempt: 1, Time: t0})
	if err := late.Close(); !errors.Is(err, runstore.ErrNotOwner) {
		t.Fatalf("w1 recording after the takeover: %v", err)
	}
	sink = s.WorkerEvents("q1", "w2", "host2:22")
	sink.Emit(engine.Event{RunID: "q1", Type: engine.EventStepStart, Node: "b", Time: t0})
	sink.Emit(engine.Event{RunID: "q1", Type: engine.EventStepSuccess, Node: "b", Attempt: 1, Time: t0})
	if err := sink.Close(); err != nil {
		t.Fatalf("continuing the event log: %v", err)
	}
	if ok, err := s.FinishOwned(ctx, "w2", "q1", "SUCCESS", "", t0.Add(12*time.Second)); err != nil || !ok {
		t.Fatalf("w2 finish: %v %v", ok, err)
	}
	if got := claim("w3", t0.Add(100*time.Second)); got != runstore.Finished {
		t.Fatalf("w3 after the end: %s", got)
	}
	d, _ = s.Run(ctx, "q1")
	if d.Status != "SUCCESS" || d.Steps[1].Worker != "host2:22" || len(d.Remaining()) != 0 {
		t.Fatalf("run %+v", d)
	}
	events, _ := s.(testStore).RunEvents(ctx, "q1")
	if len(events) != 4 {
		t.Errorf("%d events, want 4", len(events))
	}
}

// A queued run is cancelled only while it waits; Release puts a claimed run back.
func TestCancelQueuedAndRelease(t *testing.T) { eachBackend(t, testCancelQueuedAndRelease) }

func testCancelQueuedAndRelease(t *testing.T, b backend) {
	s := b.open(t).(runstore.QueueStore)
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"c1", "c2"} {
		if err := s.QueueRun(ctx, runstore.Run{ID: id, Kind: "job", Name: "j", Env: "local", Nodes: []string{"x"}, Start: now}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.CancelQueued(ctx, "c1", now); err != nil || !ok {
		t.Fatalf("cancel c1: %v %v", ok, err)
	}
	if got, _ := s.Claim(ctx, "c1", "w", now, now); got != runstore.Finished {
		t.Errorf("claimed a cancelled run: %s", got)
	}
	if got, _ := s.Claim(ctx, "c2", "w", now, now); got != runstore.Claimed {
		t.Fatalf("c2: %s", got)
	}
	if ok, _ := s.CancelQueued(ctx, "c2", now); ok {
		t.Error("CancelQueued cancelled a started run")
	}
	if err := s.RequestCancel(ctx, "c2", now); err != nil {
		t.Fatal(err)
	}
	if mine, cancel, err := s.Heartbeat(ctx, "c2", "w", now); !mine || !cancel || err != nil {
		t.Errorf("heartbeat after run cancel: mine %v cancel %v %v", mine, cancel, err)
	}
	if err := s.Release(ctx, "c2", "w"); err != nil {
		t.Fatal(err)
	}
	if _, status, _ := s.Job(ctx, "c2"); status != "QUEUED" {
		t.Errorf("released run is %s", status)
	}
}

// Heartbeats tell dead runs across hosts: another host's run whose heartbeat
// stopped is FAILED, a live one is left; a queued run cancelled while its
// worker was dead is CANCELED; one not cancelled is left to the queue.
func TestStaleHeartbeats(t *testing.T) { eachBackend(t, testStaleHeartbeats) }

func testStaleHeartbeats(t *testing.T, b backend) {
	s := b.open(t)
	qs := s.(runstore.QueueStore)
	ctx := context.Background()
	now := time.Now()
	old := now.Add(-time.Minute)
	for _, id := range []string{"dead", "live"} {
		if err := s.StartRun(ctx, runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: "local", Start: old}); err != nil {
			t.Fatal(err)
		}
	}
	hosts := s.(interface {
		SetHost(ctx context.Context, runID, host string, heartbeat time.Time) error
	})
	if err := hosts.SetHost(ctx, "dead", "elsewhere", old); err != nil {
		t.Fatal(err)
	}
	if err := hosts.SetHost(ctx, "live", "elsewhere", now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"q-cancelled", "q-orphan"} {
		if err := qs.QueueRun(ctx, runstore.Run{ID: id, Kind: "job", Name: "j", Env: "local", Nodes: []string{"x"}, Start: old}); err != nil {
			t.Fatal(err)
		}
		if got, err := qs.Claim(ctx, id, "w", old, old); got != runstore.Claimed || err != nil {
			t.Fatalf("claim %s: %s %v", id, got, err)
		}
	}
	if err := qs.RequestCancel(ctx, "q-cancelled", now); err != nil {
		t.Fatal(err)
	}
	n, err := s.MarkAbandoned(ctx)
	if err != nil || n != 2 {
		t.Errorf("MarkAbandoned: %d (%v), want 2", n, err)
	}
	want := map[string]string{"dead": "FAILURE", "live": "STARTED", "q-cancelled": "CANCELED", "q-orphan": "STARTED"}
	for id, status := range want {
		d, err := s.Run(ctx, id)
		if err != nil || d.Status != status {
			t.Errorf("%s: %v %v, want %s", id, d, err, status)
		}
	}
}

// The instance's clock is measured against this machine's; a machine whose
// clock is off by more than a heartbeat does not judge other hosts' runs by
// their heartbeats (it would fail live ones), and one whose clock agrees does.
func TestSkewedClockJudgesNoOtherHost(t *testing.T) {
	{
		url := pgtest.Shared(t).NewDatabase(t)
		s, err := runstore.OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		skew, unsure, err := s.ClockSkew(ctx, time.Now)
		if err != nil || skew.Abs()-unsure > time.Second {
			t.Fatalf("the same machine's clocks differ by %s (± %s): %v", skew, unsure, err)
		}
		ahead := func() time.Time { return time.Now().Add(time.Hour) }
		if skew, unsure, _ := s.ClockSkew(ctx, ahead); skew > -time.Hour+time.Second+unsure || skew < -time.Hour-time.Second-unsure {
			t.Fatalf("a clock an hour ahead measures %s (± %s)", skew, unsure)
		}
		if err := s.StartRun(ctx, runstore.Run{ID: "other", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetHost(ctx, "other", "elsewhere", time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		s.SetClock(ahead)
		if _, err := s.MarkAbandoned(ctx); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.Run(ctx, "other"); d.Status != "STARTED" {
			t.Fatalf("a machine whose clock is an hour ahead judged another host's run: %s", d.Status)
		}
		var reads atomic.Int64 // how often this machine's clock is read
		s.SetClock(func() time.Time { reads.Add(1); return time.Now() })
		if n, err := s.MarkAbandoned(ctx); err != nil || n != 1 {
			t.Fatalf("a machine whose clock agrees: %d %v", n, err)
		}
		// The measure (three round trips, six reads) is not repeated within a
		// minute: the web UI judges runs on every request.
		first := reads.Load()
		if _, err := s.MarkAbandoned(ctx); err != nil {
			t.Fatal(err)
		}
		if again := reads.Load() - first; first < 7 || again >= 6 {
			t.Errorf("clock read %d times by the first judgement and %d by the next: the measure was repeated", first, again)
		}
		if d, _ := s.Run(ctx, "other"); d.Status != "FAILURE" {
			t.Fatalf("another host's stale run: %s", d.Status)
		}
	}
}

// The instance's sessions tell the server to end one that sits idle in a
// transaction (a worker cut off in the middle of one) and to stop waiting
// for a lock, so its locks do not hold other workers until TCP gives up. The
// behaviour itself is TestWorkersInNetworkNamespaces's: the worker it cuts off
// is often in the middle of a transaction on the run's row.
func TestPostgresSessionsAreGuarded(t *testing.T) {
	url := pgtest.Shared(t).NewDatabase(t)
	s, err := runstore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var idle, lock string
	if err := s.DB().QueryRow(`SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('lock_timeout')`).Scan(&idle, &lock); err != nil {
		t.Fatal(err)
	}
	if idle != "10s" || lock != "1min" {
		t.Fatalf("idle_in_transaction_session_timeout %s, lock_timeout %s", idle, lock)
	}
}
