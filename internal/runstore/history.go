package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// AssetVersion is one recorded materialization of an asset with what the web
// UI shows beside it: how long its step took, its columns and metadata.
type AssetVersion struct {
	Materialization
	Duration time.Duration  `json:"duration_ns"`
	Columns  []string       `json:"columns,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// StepOutcome is how an asset's most recent finished step ended.
type StepOutcome struct {
	RunID  string    `json:"run_id"`
	Status string    `json:"status"` // SUCCESS, FAILURE, SKIPPED or CANCELED
	Time   time.Time `json:"time"`
	Error  string    `json:"error,omitempty"`
}

// SeqEvent is a recorded event with its position in the run, so a reader can
// ask for what came after it.
type SeqEvent struct {
	Seq int64 `json:"seq"`
	engine.Event
}

// AssetVersions returns an asset's materializations, newest first, at most limit.
func (s *sqlStore) AssetVersions(ctx context.Context, asset string, limit int) ([]AssetVersion, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT m.run_id, m.time_ns, m.mat,
		COALESCE((SELECT dur_ns FROM events d WHERE d.run_id = m.run_id AND d.node = m.node AND d.type = 'STEP_SUCCESS' LIMIT 1), 0)
		FROM events m WHERE m.type = 'ASSET_MATERIALIZATION' AND m.node = ? ORDER BY m.time_ns DESC LIMIT ?`), asset, limit)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	out := []AssetVersion{}
	for rows.Next() {
		v := AssetVersion{Materialization: Materialization{Asset: asset}}
		var t, dur int64
		var mat sql.NullString
		if err := rows.Scan(&v.RunID, &t, &mat, &dur); err != nil {
			return nil, err
		}
		v.Time, v.Duration = time.Unix(0, t).UTC(), time.Duration(dur)
		var em engine.Materialization
		if mat.Valid && json.Unmarshal([]byte(mat.String), &em) == nil {
			v.Location, v.Rows, v.Columns, v.Metadata = em.Location, em.Rows, em.Columns, em.Metadata
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// LastStepOutcomes returns, for every node that ever finished a step, how its
// latest step ended.
func (s *sqlStore) LastStepOutcomes(ctx context.Context) (map[string]StepOutcome, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT node, run_id, type, time_ns, error FROM (
			SELECT node, run_id, type, time_ns, error, row_number() OVER (PARTITION BY node ORDER BY time_ns DESC) AS newest FROM events
			WHERE type IN ('STEP_SUCCESS', 'STEP_FAILURE', 'STEP_SKIPPED', 'STEP_CANCELED')) last WHERE newest = 1`))
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	out := map[string]StepOutcome{}
	for rows.Next() {
		var node, typ string
		var o StepOutcome
		var t int64
		if err := rows.Scan(&node, &o.RunID, &typ, &t, &o.Error); err != nil {
			return nil, err
		}
		o.Status, o.Time = typ[len("STEP_"):], time.Unix(0, t).UTC()
		out[node] = o
	}
	return out, rows.Err()
}

// EventsAfter returns a run's events recorded after position seq (0: from the
// start), at most limit, in order.
func (s *sqlStore) EventsAfter(ctx context.Context, id string, seq int64, limit int) ([]SeqEvent, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, type, node, time_ns, attempt, dur_ns, error, stack, message, mat
		FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`), id, seq, limit)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	out := []SeqEvent{}
	for rows.Next() {
		e := SeqEvent{Event: engine.Event{RunID: id}}
		var typ string
		var t, dur int64
		var mat sql.NullString
		if err := rows.Scan(&e.Seq, &typ, &e.Node, &t, &e.Attempt, &dur, &e.Error, &e.Stack, &e.Message, &mat); err != nil {
			return nil, err
		}
		e.Type, e.Time, e.Duration = engine.EventType(typ), time.Unix(0, t).UTC(), time.Duration(dur)
		decodePayload(&e.Event, mat)
		out = append(out, e)
	}
	return out, rows.Err()
}
