package queue

import (
	"context"
	"errors"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// Scheduler fires schedules: at each check it takes each schedule's latest
// tick at or before now (and not before Since) and claims it in the store;
// the one worker whose claim lands queues the run. Every worker runs one, so
// schedules fire while any worker is up, once per tick. Ticks missed while no
// worker ran are not made up, except one within Since.
type Scheduler struct {
	Store     runstore.TickStore
	Schedules []engine.Schedule
	Since     time.Time // ticks before this are not fired (a worker's start, less a grace)
	// Enqueue queues a schedule's run under runID.
	Enqueue func(ctx context.Context, s engine.Schedule, runID string) error
	// NewRunID makes run ids (engine.NewRunID unless set).
	NewRunID func() string
}

// Check fires the due ticks as of now and returns the run ids it queued.
func (s *Scheduler) Check(ctx context.Context, now time.Time) ([]string, error) {
	var queued []string
	var errs []error
	for _, sc := range s.Schedules {
		tt, err := engine.ParseCron(sc.Cron)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		tick, ok := engine.LastTick(tt, s.Since, now)
		if !ok {
			continue
		}
		newID := s.NewRunID
		if newID == nil {
			newID = engine.NewRunID
		}
		runID := newID()
		claimed, err := s.Store.ClaimTick(ctx, runstore.Tick{Schedule: sc.Name, Time: tick, Fired: now, RunID: runID})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !claimed {
			continue // fired already, by this worker or another
		}
		if err := s.Enqueue(ctx, sc, runID); err != nil {
			errs = append(errs, errors.Join(err, s.Store.TickFailed(ctx, sc.Name, tick, err.Error())))
			continue
		}
		queued = append(queued, runID)
	}
	return queued, errors.Join(errs...)
}

// Run checks every interval until ctx ends, reading the time from now.
func (s *Scheduler) Run(ctx context.Context, every time.Duration, now func() time.Time, report func([]string, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		report(s.Check(ctx, now()))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
