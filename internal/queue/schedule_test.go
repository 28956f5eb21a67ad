package queue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/pgtest"
	"github.com/assetflow/assetflow/internal/queue"
	"github.com/assetflow/assetflow/internal/runstore"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

type tickStore interface {
	runstore.TickStore
	Close() error
}

// Two workers' schedulers on one instance, driven by an injected clock: each
// tick queues exactly one run, missed ticks are not made up, every tick is
// recorded, and a tick whose run could not be queued records why.
func TestSchedulesFireOncePerTick(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var open func() (tickStore, error)
			if backend == "sqlite" {
				path := filepath.Join(t.TempDir(), "runs.db")
				open = func() (tickStore, error) { return runstore.OpenSQLite(context.Background(), path) }
			} else {
				url := pgtest.Shared(t).NewDatabase(t)
				open = func() (tickStore, error) { return runstore.OpenPostgres(context.Background(), url) }
			}
			testSchedulesFireOncePerTick(t, open)
		})
	}
}

func testSchedulesFireOncePerTick(t *testing.T, open func() (tickStore, error)) {
	ctx := context.Background()
	at := func(hms string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05", "2026-01-01 "+hms)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	scheds := []engine.Schedule{
		{Name: "nightly", Cron: "0 3 * * *", Job: "reap"},
		{Name: "hourly", Cron: "@hourly", Selection: "*"},
		{Name: "every5", Cron: "*/5 * * * *", Selection: "items"},
		{Name: "broken", Cron: "30 3 * * *", Job: "gone"},
	}
	var mu sync.Mutex
	queued := map[string][]string{} // schedule -> run ids
	var ids atomic.Int64
	var workers []*queue.Scheduler
	for w := range 2 {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		workers = append(workers, &queue.Scheduler{Store: s, Schedules: scheds, Since: at("02:58:30"),
			NewRunID: func() string { return fmt.Sprintf("w%d-%d", w, ids.Add(1)) },
			Enqueue: func(_ context.Context, sc engine.Schedule, runID string) error {
				if sc.Job == "gone" {
					return errors.New("no job gone")
				}
				mu.Lock()
				defer mu.Unlock()
				queued[sc.Name] = append(queued[sc.Name], runID)
				return nil
			}})
	}
	for _, now := range []string{"02:59:30", "03:00:00", "03:00:10", "03:04:59", "03:05:01", "03:30:00", "03:30:05", "04:00:00"} {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.Check(ctx, at(now))
				if err != nil && !strings.Contains(err.Error(), "no job gone") {
					t.Errorf("%s: %v", now, err)
				}
			}()
		}
		wg.Wait()
	}
	counts := map[string]int{}
	for name, runs := range queued {
		counts[name] = len(runs)
	}
	want := map[string]int{"nightly": 1, "hourly": 2, "every5": 4} // every5: 03:00, 03:05, 03:30, 04:00
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("runs queued per schedule %v, want %v", counts, want)
	}
	store := workers[0].Store
	ticks, err := store.Ticks(ctx, "every5", 10)
	if err != nil {
		t.Fatal(err)
	}
	var times []string
	for _, tk := range ticks {
		times = append(times, tk.Time.Format("15:04"))
	}
	sort.Strings(times)
	if strings.Join(times, ",") != "03:00,03:05,03:30,04:00" {
		t.Errorf("every5 ticks %v", times)
	}
	if ticks[0].RunID != queued["every5"][len(queued["every5"])-1] && ticks[0].RunID != queued["every5"][0] {
		t.Errorf("tick run %s not among queued %v", ticks[0].RunID, queued["every5"])
	}
	broken, err := store.Ticks(ctx, "broken", 10)
	if err != nil || len(broken) != 1 || broken[0].Error != "no job gone" {
		t.Errorf("broken ticks %+v %v", broken, err)
	}
}

func TestLastTick(t *testing.T) {
	tt, err := engine.ParseCron("0 3 * * *")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, ok := engine.LastTick(tt, day, day.Add(50*time.Hour)); !ok || !got.Equal(day.Add(27*time.Hour)) {
		t.Errorf("last tick %v %v", got, ok)
	}
	if _, ok := engine.LastTick(tt, day.Add(4*time.Hour), day.Add(5*time.Hour)); ok {
		t.Error("a tick between 04:00 and 05:00")
	}
	for _, bad := range []string{"", "61 * * * *", "* * *", "@fortnightly"} {
		if _, err := engine.ParseCron(bad); err == nil || !strings.Contains(err.Error(), "expected five fields") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
