package runstore

import (
	"context"
	"fmt"
	"time"
)

// Tick is one firing of a schedule: the run it queued, or why it could not.
type Tick struct {
	Schedule string    `json:"schedule"`
	Time     time.Time `json:"tick"`  // the timetable's time
	Fired    time.Time `json:"fired"` // when a worker queued it
	RunID    string    `json:"run_id"`
	Error    string    `json:"error,omitempty"`
}

// ClaimTick records a schedule's tick as fired with runID, unless it already
// was: the tick's (schedule, time) is unique, so of several workers exactly
// one claims it and queues its run.
func (s *sqlStore) ClaimTick(ctx context.Context, t Tick) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO schedule_ticks (schedule, tick_ns, run_id, fired_ns) VALUES (?, ?, ?, ?)
		ON CONFLICT (schedule, tick_ns) DO NOTHING`), t.Schedule, t.Time.UnixNano(), t.RunID, t.Fired.UnixNano())
	if err != nil {
		return false, s.fail(fmt.Errorf("record tick: %w", err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TickFailed records why a claimed tick queued no run.
func (s *sqlStore) TickFailed(ctx context.Context, schedule string, tick time.Time, msg string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE schedule_ticks SET error = ? WHERE schedule = ? AND tick_ns = ?`), msg, schedule, tick.UnixNano())
	if err != nil {
		return s.fail(fmt.Errorf("record tick: %w", err))
	}
	return nil
}

// Ticks returns a schedule's latest ticks, newest first.
func (s *sqlStore) Ticks(ctx context.Context, schedule string, limit int) ([]Tick, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT tick_ns, fired_ns, run_id, error FROM schedule_ticks WHERE schedule = ?
		ORDER BY tick_ns DESC LIMIT ?`), schedule, limit)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []Tick
	for rows.Next() {
		t := Tick{Schedule: schedule}
		var tick, fired int64
		if err := rows.Scan(&tick, &fired, &t.RunID, &t.Error); err != nil {
			return nil, err
		}
		t.Time, t.Fired = time.Unix(0, tick).UTC(), time.Unix(0, fired).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// TickStore keeps schedules' ticks; both backends are one.
type TickStore interface {
	ClaimTick(ctx context.Context, t Tick) (bool, error)
	TickFailed(ctx context.Context, schedule string, tick time.Time, msg string) error
	Ticks(ctx context.Context, schedule string, limit int) ([]Tick, error)
}

var (
	_ TickStore = (*Postgres)(nil)
	_ TickStore = (*SQLite)(nil)
)
