package runstore

import (
	"context"
	"time"
)

// Heartbeats compare clocks across machines: a worker or command line writes
// its own time, and another judges it stale against its own. A machine whose
// clock is off by more than a heartbeat would take live work over, or fail
// another host's live run. ClockSkew lets each check its clock against the
// instance's first.

// ClockSkew measures how far the instance's clock is from local's (positive:
// the instance is ahead), from the quickest of three round trips, and returns
// the measure's uncertainty (half that round trip). A folder instance is on
// this machine: zero.
func (s *sqlStore) ClockSkew(ctx context.Context, local func() time.Time) (skew, uncertainty time.Duration, err error) {
	if !s.postgres {
		return 0, 0, nil
	}
	best := time.Duration(-1)
	for range 3 {
		var dbNS int64
		t1 := local()
		if err := s.db.QueryRowContext(ctx, `SELECT (extract(epoch FROM clock_timestamp()) * 1e9)::bigint`).Scan(&dbNS); err != nil {
			return 0, 0, s.fail(err)
		}
		t2 := local()
		if trip := t2.Sub(t1); best < 0 || trip < best {
			best = trip
			skew = time.Unix(0, dbNS).Sub(t1.Add(trip / 2))
		}
	}
	return skew, best / 2, nil
}

// ClockOff reports whether a clock measured skew (± unsure) off the
// instance's is off by more than limit, as far as can be told.
func ClockOff(skew, unsure, limit time.Duration) bool { return skew.Abs()-unsure > limit }

// remeasureAfter is how long a store trusts its last measure of the clock: a
// command opens the store once, but the web UI keeps it open and judges runs
// on every request.
const remeasureAfter = time.Minute

// clockAgrees reports whether this machine's clock is within a heartbeat of
// the instance's, measured at most once a minute.
func (s *sqlStore) clockAgrees(ctx context.Context, local func() time.Time) bool {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	if !s.clockAt.IsZero() && local().Sub(s.clockAt).Abs() < remeasureAfter {
		return s.clockOK
	}
	skew, unsure, err := s.ClockSkew(ctx, local)
	if err != nil {
		return false // not remembered: the next call measures again
	}
	s.clockOK, s.clockAt = !ClockOff(skew, unsure, HeartbeatEvery), local()
	return s.clockOK
}
