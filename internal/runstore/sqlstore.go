package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// sqlStore is the Store both backends share: the same tables and queries over
// database/sql, written with ? placeholders that PostgreSQL gets as $1, $2...
type sqlStore struct {
	where    string // the file, or the redacted URL, for messages
	db       *sql.DB
	host     string
	postgres bool
	secrets  [2]string        // the URL's user and password, scrubbed from driver errors
	clock    func() time.Time // this machine's clock; time.Now unless a test sets it

	clockMu sync.Mutex // guards the last measure of the clock (see clockAgrees)
	clockOK bool
	clockAt time.Time
}

// now reads this machine's clock.
func (s *sqlStore) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// fail names the store in an error; on PostgreSQL it scrubs the credentials a
// driver message may repeat (a lost connection's error names the user).
func (s *sqlStore) fail(err error) error {
	if s.secrets == [2]string{} {
		return fmt.Errorf("run store %s: %w", s.where, err)
	}
	msg := Scrub(err.Error(), s.secrets[0], s.secrets[1])
	if msg == err.Error() {
		return fmt.Errorf("run store %s: %w", s.where, err)
	}
	return errors.New("run store " + s.where + ": " + msg)
}

// q adapts a query's placeholders to the backend.
func (s *sqlStore) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Close closes the database.
func (s *sqlStore) Close() error { return s.db.Close() }

// StartRun records a run as STARTED by this process.
func (s *sqlStore) StartRun(ctx context.Context, r Run) error {
	nodes, _ := json.Marshal(r.Nodes)
	pid := os.Getpid()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO runs (run_id, kind, name, selection, env, nodes, status, started_ns, pid, proc_start, host, heartbeat_ns, warehouse, database, config)
		VALUES (?, ?, ?, ?, ?, ?, 'STARTED', ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.Kind, r.Name, r.Selection, r.Env, string(nodes), r.Start.UnixNano(), pid, processStart(pid), s.host, time.Now().UnixNano(),
		r.Warehouse, r.Database, configJSON(r.Config))
	if err != nil {
		return s.fail(fmt.Errorf("record run: %w", err))
	}
	return nil
}

// FinishRun records the run's status, end and error.
func (s *sqlStore) FinishRun(ctx context.Context, res *engine.RunResult) error {
	msg := ""
	if err := res.Err(); err != nil {
		msg = err.Error()
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, error = ?, ended_ns = ? WHERE run_id = ?`),
		string(res.Status), msg, res.Start.Add(res.Duration).UnixNano(), res.RunID)
	if err != nil {
		return s.fail(fmt.Errorf("finish run: %w", err))
	}
	return nil
}

// MarkAbandoned fails the STARTED runs of this host whose process is gone,
// and the runs of any host whose heartbeat stopped.
func (s *sqlStore) MarkAbandoned(ctx context.Context) (int, error) {
	gone, stale, err := s.markAbandoned(ctx, nil)
	return len(gone) + stale, err
}

// markAbandoned fails the STARTED runs of this host whose process is gone,
// except those in keep, and returns them; then it ends the stale runs of any
// host and returns how many.
func (s *sqlStore) markAbandoned(ctx context.Context, keep map[string]bool) ([]string, int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, pid, proc_start FROM runs WHERE status = 'STARTED' AND host = ? AND job_id IS NULL`), s.host)
	if err != nil {
		return nil, 0, s.fail(err)
	}
	var gone []string
	for rows.Next() {
		var id, start string
		var pid int
		if err := rows.Scan(&id, &pid, &start); err != nil {
			rows.Close()
			return nil, 0, s.fail(err)
		}
		if !alive(pid, start) && !keep[id] {
			gone = append(gone, id)
		}
	}
	rows.Close()
	for _, id := range gone {
		_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = 'FAILURE', error = 'process ended without finishing the run',
			ended_ns = COALESCE((SELECT max(time_ns) FROM events WHERE run_id = ?), started_ns) WHERE run_id = ? AND status = 'STARTED'`), id, id)
		if err != nil {
			return nil, 0, s.fail(err)
		}
	}
	if !s.clockAgrees(ctx, s.now) {
		// This machine's clock is off: it cannot judge other hosts' heartbeats.
		// A machine whose clock agrees will.
		return gone, 0, nil
	}
	n, err := s.markStale(ctx, s.now().Add(-StaleAfter))
	return gone, n, err
}

// markStale ends the runs whose heartbeat stopped before staleBefore, on any
// host: a run of another host's command line is FAILED (this host's are
// judged by their pid, above, which is exact); a queued run that was
// cancelled while its worker was dead is CANCELED. A queued run whose worker
// died is left to the queue, which hands it to another worker.
func (s *sqlStore) markStale(ctx context.Context, staleBefore time.Time) (int, error) {
	stale := staleBefore.UnixNano()
	total := 0
	for _, u := range []struct {
		stmt string
		args []any
	}{
		{`UPDATE runs SET status = 'FAILURE', error = 'process stopped writing its heartbeat (killed, or its machine was lost)', ended_ns = heartbeat_ns
			WHERE status = 'STARTED' AND job_id IS NULL AND host <> ? AND heartbeat_ns < ?`, []any{s.host, stale}},
		{`UPDATE runs SET status = 'CANCELED', error = 'cancelled after its worker died', ended_ns = heartbeat_ns
			WHERE status = 'STARTED' AND job_id IS NOT NULL AND cancel_ns IS NOT NULL AND heartbeat_ns < ?`, []any{stale}},
	} {
		res, err := s.db.ExecContext(ctx, s.q(u.stmt), u.args...)
		if err != nil {
			return total, s.fail(err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// HeartbeatEvery is how often a run executing in a command line process
// records that it is alive; StaleAfter is how long without one makes it dead
// to other hosts.
const (
	HeartbeatEvery = 5 * time.Second
	StaleAfter     = 3 * HeartbeatEvery
)

// Beat records that the process executing a run is alive.
func (s *sqlStore) Beat(ctx context.Context, runID string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET heartbeat_ns = ? WHERE run_id = ? AND status = 'STARTED'`), now.UnixNano(), runID)
	return err
}

// KeepAlive writes a run's heartbeat every HeartbeatEvery until the returned
// stop is called, if the store keeps heartbeats.
func KeepAlive(ctx context.Context, store Store, runID string) (stop func()) {
	b, ok := store.(interface {
		Beat(ctx context.Context, runID string, now time.Time) error
	})
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = b.Beat(ctx, runID, time.Now()) // a missed beat is retried at the next
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Runs returns the newest runs.
func (s *sqlStore) Runs(ctx context.Context, limit int) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+runColumns+`
		FROM runs ORDER BY started_ns DESC LIMIT ?`), limit)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// configJSON is a run config as the config column holds it, every value
// kept: "" for none.
func configJSON(c Config) string {
	if len(c) == 0 {
		return ""
	}
	j, _ := json.Marshal(map[string]map[string]any(c))
	return string(j)
}

// runColumns are the columns scanRun reads, in its order.
const runColumns = `run_id, kind, name, selection, env, nodes, status, error, started_ns, ended_ns, pid, host, warehouse, database, owner = 'steps', config`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var nodes, config string
	var started int64
	var ended sql.NullInt64
	if err := row.Scan(&r.ID, &r.Kind, &r.Name, &r.Selection, &r.Env, &nodes, &r.Status, &r.Error, &started, &ended, &r.PID, &r.Host, &r.Warehouse, &r.Database, &r.Distributed, &config); err != nil {
		return r, err
	}
	_ = json.Unmarshal([]byte(nodes), &r.Nodes)
	if config != "" {
		_ = json.Unmarshal([]byte(config), &r.Config)
	}
	r.Start = time.Unix(0, started).UTC()
	if ended.Valid {
		r.Duration = time.Duration(ended.Int64 - started)
	}
	return r, nil
}

// RunHeader returns one run's record without its steps, cheaply, for readers
// that poll a run in progress.
func (s *sqlStore) RunHeader(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE run_id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, engine.Usagef("no run %q in %s (see run runs)", id, s.where)
	}
	if err != nil {
		return r, s.fail(err)
	}
	return r, nil
}

// Run returns a run with its steps folded from its events.
func (s *sqlStore) Run(ctx context.Context, id string) (*RunDetail, error) {
	r, err := s.RunHeader(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &RunDetail{Run: r}
	steps := map[string]*Step{}
	for _, n := range r.Nodes {
		d.Steps = append(d.Steps, Step{Node: n, Status: "NOT STARTED"})
	}
	for i := range d.Steps {
		steps[d.Steps[i].Node] = &d.Steps[i]
	}
	events, workers, err := s.events(ctx, id)
	if err != nil {
		return nil, err
	}
	for i, e := range events {
		st := steps[e.Node]
		switch {
		case e.Type == engine.EventMaterialization && e.Materialization != nil:
			d.Materialization = append(d.Materialization, Materialization{Asset: e.Node, RunID: id, Time: e.Time,
				Location: e.Materialization.Location, Rows: e.Materialization.Rows, CodeVersion: e.Materialization.CodeVersion})
		case e.Type == engine.EventCheckEvaluation && e.Check != nil:
			d.Checks = append(d.Checks, CheckRecord{CheckEvaluation: *e.Check, RunID: id, Time: e.Time})
		case st == nil:
		case e.Type == engine.EventStepStart:
			st.Status, st.Attempts, st.Worker = "STARTED", 1, workers[i]
		case e.Type == engine.EventStepRetry:
			st.Attempts = e.Attempt + 1
			st.Error = e.Error
		case e.Type == engine.EventStepSuccess, e.Type == engine.EventStepFailure, e.Type == engine.EventStepSkipped, e.Type == engine.EventStepCanceled:
			st.Status = strings.TrimPrefix(string(e.Type), "STEP_")
			if e.Attempt > 0 {
				st.Attempts = e.Attempt
			}
			st.Duration, st.Error = e.Duration, e.Error
		}
	}
	return d, nil
}

// Events returns the recorded events of a run, in order.
// The second list is the worker (host:pid) that recorded each event, "" for
// runs executed by the command line.
func (s *sqlStore) events(ctx context.Context, id string) ([]engine.Event, []string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT type, node, time_ns, attempt, dur_ns, error, stack, message, mat, worker
		FROM events WHERE run_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, nil, s.fail(err)
	}
	defer rows.Close()
	var out []engine.Event
	var workers []string
	for rows.Next() {
		e := engine.Event{RunID: id}
		var typ, worker string
		var t, dur int64
		var mat sql.NullString
		if err := rows.Scan(&typ, &e.Node, &t, &e.Attempt, &dur, &e.Error, &e.Stack, &e.Message, &mat, &worker); err != nil {
			return nil, nil, err
		}
		workers = append(workers, worker)
		e.Type, e.Time, e.Duration = engine.EventType(typ), time.Unix(0, t).UTC(), time.Duration(dur)
		decodePayload(&e, mat)
		out = append(out, e)
	}
	return out, workers, rows.Err()
}

// RunEvents returns a run's events as recorded.
func (s *sqlStore) RunEvents(ctx context.Context, id string) ([]engine.Event, error) {
	events, _, err := s.events(ctx, id)
	return events, err
}

// decodePayload fills an event's materialization or check evaluation from the
// events table's payload column; the event type tells which one it holds.
func decodePayload(e *engine.Event, payload sql.NullString) {
	switch {
	case !payload.Valid:
	case e.Type == engine.EventCheckEvaluation:
		e.Check = &engine.CheckEvaluation{}
		_ = json.Unmarshal([]byte(payload.String), e.Check)
	default:
		e.Materialization = &engine.Materialization{}
		_ = json.Unmarshal([]byte(payload.String), e.Materialization)
	}
}

// LastMaterializationsIn returns each asset's latest materialization made by a
// run of the scope's environment and warehouse into the scope's database; an
// empty field matches anything.
func (s *sqlStore) LastMaterializationsIn(ctx context.Context, scope Scope) (map[string]Materialization, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT e.node, e.run_id, e.time_ns, e.mat FROM events e JOIN runs r ON r.run_id = e.run_id
		WHERE e.type = 'ASSET_MATERIALIZATION' AND (? = '' OR r.env = ?) AND (? = '' OR r.warehouse = ?)
		ORDER BY e.time_ns DESC, e.seq DESC`), scope.Env, scope.Env, scope.Warehouse, scope.Warehouse)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	out := map[string]Materialization{}
	for rows.Next() { // newest first: an asset's first row in the scope's database is its latest
		var m Materialization
		var t int64
		var mat sql.NullString
		if err := rows.Scan(&m.Asset, &m.RunID, &t, &mat); err != nil {
			return nil, s.fail(err)
		}
		if _, found := out[m.Asset]; found {
			continue // an older one: not decoded
		}
		m.Time = time.Unix(0, t).UTC()
		var em engine.Materialization
		if mat.Valid && json.Unmarshal([]byte(mat.String), &em) == nil {
			m.Location, m.Rows, m.CodeVersion = em.Location, em.Rows, em.CodeVersion
		}
		if db, _, _ := strings.Cut(m.Location, "."); scope.Database != "" && !strings.EqualFold(db, scope.Database) {
			continue
		}
		out[m.Asset] = m
	}
	return out, rows.Err()
}
