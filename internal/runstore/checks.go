package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"sort"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// CheckRecord is one recorded asset check evaluation.
type CheckRecord struct {
	engine.CheckEvaluation
	RunID string    `json:"run_id"`
	Time  time.Time `json:"time"`
}

// LastCheckEvaluations returns each check's latest evaluation in runs of the
// environment env ("" for any), by asset and check name. Evaluations share the
// events table's payload column with materializations; the event type tells
// which one a row holds.
func (s *sqlStore) LastCheckEvaluations(ctx context.Context, env string) ([]CheckRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT e.run_id, e.time_ns, e.mat FROM events e
		JOIN (SELECT ev.node, max(ev.time_ns) AS t FROM events ev JOIN runs r ON r.run_id = ev.run_id
			WHERE ev.type = 'ASSET_CHECK_EVALUATION' AND (? = '' OR r.env = ?) GROUP BY ev.node) last
		ON e.node = last.node AND e.time_ns = last.t
		WHERE e.type = 'ASSET_CHECK_EVALUATION' ORDER BY e.time_ns DESC`), env, env)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []CheckRecord
	for rows.Next() {
		var r CheckRecord
		var t int64
		var payload sql.NullString
		if err := rows.Scan(&r.RunID, &t, &payload); err != nil {
			return nil, err
		}
		if !payload.Valid || json.Unmarshal([]byte(payload.String), &r.CheckEvaluation) != nil {
			continue
		}
		key := r.Asset + ":" + r.Check
		if seen[key] {
			continue
		}
		seen[key] = true
		r.Time = time.Unix(0, t).UTC()
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Asset != out[j].Asset {
			return out[i].Asset < out[j].Asset
		}
		return out[i].Check < out[j].Check
	})
	return out, rows.Err()
}
