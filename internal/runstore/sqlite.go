package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/assetflow/assetflow/engine"
)

// DefaultPath is where the embedded run store lives unless configured.
const DefaultPath = ".assetflow/runs.db"

// schemaVersion is the layout this code reads and writes (SQLite user_version).
const schemaVersion = 2

const schema = `
CREATE TABLE runs (
	run_id     TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	selection  TEXT NOT NULL,
	env        TEXT NOT NULL,
	nodes      TEXT NOT NULL,            -- JSON list, in plan order
	status     TEXT NOT NULL,
	error      TEXT NOT NULL DEFAULT '',
	started_ns INTEGER NOT NULL,
	ended_ns   INTEGER,
	pid        INTEGER NOT NULL,
	proc_start TEXT NOT NULL,
	host       TEXT NOT NULL,
	warehouse  TEXT NOT NULL DEFAULT '', -- backend and place, e.g. duckdb /abs/folder
	database   TEXT NOT NULL DEFAULT ''  -- the database the run read and wrote
);
CREATE INDEX runs_started ON runs (started_ns DESC);
CREATE TABLE events (
	run_id   TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	type     TEXT NOT NULL,
	node     TEXT NOT NULL,
	time_ns  INTEGER NOT NULL,
	attempt  INTEGER NOT NULL,
	dur_ns   INTEGER NOT NULL,
	error    TEXT NOT NULL,
	stack    TEXT NOT NULL,
	message  TEXT NOT NULL,
	mat      TEXT,                       -- JSON engine.Materialization
	PRIMARY KEY (run_id, seq)
);
CREATE INDEX events_materializations ON events (type, node, time_ns) WHERE type = 'ASSET_MATERIALIZATION';
`

// SQLite is the embedded Store: one SQLite file in WAL mode, which several
// processes write at once (each waits its turn for at most busy_timeout).
type SQLite struct {
	path string
	db   *sql.DB
	host string
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens or creates the store at path. A file that is not a SQLite
// database, or one written by a newer assetflow, is an error naming the file.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	dsn := "file:" + uriPath(path) + "?_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer per process; processes take turns
	s := &SQLite{path: path, db: db}
	s.host, _ = os.Hostname()
	// Two processes opening a new store at once may find it busy while the
	// other switches it to WAL, a step busy_timeout does not cover: retry.
	deadline := time.Now().Add(15 * time.Second)
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 250*time.Millisecond) {
		err = s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(wait):
			continue
		}
		break
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func (s *SQLite) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.unreadable(err)
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("run store %s was written by a newer assetflow (layout %d; this one reads %d): upgrade, or point ASSETFLOW_RUNS elsewhere",
			s.path, version, schemaVersion)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.unreadable(err)
	}
	defer tx.Rollback()
	// Another process may have created it meanwhile: look again inside the lock.
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.unreadable(err)
	}
	switch version {
	case schemaVersion:
		return nil
	case 1: // layout 1 had no warehouse and database per run
		for _, col := range []string{"warehouse", "database"} {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE runs ADD COLUMN "+col+" TEXT NOT NULL DEFAULT ''"); err != nil {
				return s.unreadable(err)
			}
		}
	default:
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return s.unreadable(err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return s.unreadable(err)
	}
	return tx.Commit()
}

// unreadable words an error of opening the store: a file that is not a SQLite
// database is named as such; anything else (busy, permissions) as it is.
func (s *SQLite) unreadable(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed") || strings.Contains(msg, "SQLITE_NOTADB") ||
		strings.Contains(msg, "SQLITE_CORRUPT") {
		return fmt.Errorf("run store %s is not a readable assetflow run store (%v): move it aside to start a new history", s.path, err)
	}
	return fmt.Errorf("run store %s: %w", s.path, err)
}

// Path returns the store's file.
func (s *SQLite) Path() string { return s.path }

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// StartRun records a run as STARTED by this process.
func (s *SQLite) StartRun(ctx context.Context, r Run) error {
	nodes, _ := json.Marshal(r.Nodes)
	pid := os.Getpid()
	_, err := s.db.ExecContext(ctx, `INSERT INTO runs (run_id, kind, name, selection, env, nodes, status, started_ns, pid, proc_start, host, warehouse, database)
		VALUES (?, ?, ?, ?, ?, ?, 'STARTED', ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.Name, r.Selection, r.Env, string(nodes), r.Start.UnixNano(), pid, processStart(pid), s.host, r.Warehouse, r.Database)
	if err != nil {
		return fmt.Errorf("run store %s: record run: %w", s.path, err)
	}
	s.reserveEnd(r.ID)
	return nil
}

// FinishRun records the run's status, end and error.
func (s *SQLite) FinishRun(ctx context.Context, res *engine.RunResult) error {
	msg := ""
	if err := res.Err(); err != nil {
		msg = err.Error()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, ended_ns = ? WHERE run_id = ?`,
		string(res.Status), msg, res.Start.Add(res.Duration).UnixNano(), res.RunID)
	if err != nil {
		if s.keepEnd(res, err) {
			return fmt.Errorf("run store %s: finish run: %w (the end is kept in %s for the next command)", s.path, err, s.reservePath(res.RunID))
		}
		return fmt.Errorf("run store %s: finish run: %w", s.path, err)
	}
	s.dropReserve(res.RunID)
	return nil
}

// MarkAbandoned fails the STARTED runs of this host whose process is gone.
func (s *SQLite) MarkAbandoned(ctx context.Context) (int, error) {
	kept := s.applyKeptEnds(ctx)
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, pid, proc_start FROM runs WHERE status = 'STARTED' AND host = ?`, s.host)
	if err != nil {
		return 0, fmt.Errorf("run store %s: %w", s.path, err)
	}
	var gone []string
	for rows.Next() {
		var id, start string
		var pid int
		if err := rows.Scan(&id, &pid, &start); err != nil {
			rows.Close()
			return 0, err
		}
		if !alive(pid, start) && !kept[id] {
			gone = append(gone, id)
		}
	}
	rows.Close()
	for _, id := range gone {
		_, err := s.db.ExecContext(ctx, `UPDATE runs SET status = 'FAILURE', error = 'process ended without finishing the run',
			ended_ns = COALESCE((SELECT max(time_ns) FROM events WHERE run_id = ?), started_ns) WHERE run_id = ? AND status = 'STARTED'`, id, id)
		if err != nil {
			return 0, fmt.Errorf("run store %s: %w", s.path, err)
		}
		s.dropReserve(id)
	}
	return len(gone), nil
}

// Runs returns the newest runs.
func (s *SQLite) Runs(ctx context.Context, limit int) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, kind, name, selection, env, nodes, status, error, started_ns, ended_ns, pid, host, warehouse, database
		FROM runs ORDER BY started_ns DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", s.path, err)
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

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var nodes string
	var started int64
	var ended sql.NullInt64
	if err := row.Scan(&r.ID, &r.Kind, &r.Name, &r.Selection, &r.Env, &nodes, &r.Status, &r.Error, &started, &ended, &r.PID, &r.Host, &r.Warehouse, &r.Database); err != nil {
		return r, err
	}
	_ = json.Unmarshal([]byte(nodes), &r.Nodes)
	r.Start = time.Unix(0, started).UTC()
	if ended.Valid {
		r.Duration = time.Duration(ended.Int64 - started)
	}
	return r, nil
}

// Run returns a run with its steps folded from its events.
func (s *SQLite) Run(ctx context.Context, id string) (*RunDetail, error) {
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
	events, err := s.events(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		st := steps[e.Node]
		switch {
		case e.Type == engine.EventMaterialization && e.Materialization != nil:
			d.Materialization = append(d.Materialization, Materialization{Asset: e.Node, RunID: id, Time: e.Time,
				Location: e.Materialization.Location, Rows: e.Materialization.Rows, CodeVersion: e.Materialization.CodeVersion})
		case e.Type == engine.EventCheckEvaluation && e.Check != nil:
			d.Checks = append(d.Checks, CheckRecord{CheckEvaluation: *e.Check, RunID: id, Time: e.Time})
		case st == nil:
		case e.Type == engine.EventStepStart:
			st.Status, st.Attempts = "STARTED", 1
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
func (s *SQLite) events(ctx context.Context, id string) ([]engine.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT type, node, time_ns, attempt, dur_ns, error, stack, message, mat
		FROM events WHERE run_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []engine.Event
	for rows.Next() {
		e := engine.Event{RunID: id}
		var typ string
		var t, dur int64
		var mat sql.NullString
		if err := rows.Scan(&typ, &e.Node, &t, &e.Attempt, &dur, &e.Error, &e.Stack, &e.Message, &mat); err != nil {
			return nil, err
		}
		e.Type, e.Time, e.Duration = engine.EventType(typ), time.Unix(0, t).UTC(), time.Duration(dur)
		switch {
		case mat.Valid && e.Type == engine.EventCheckEvaluation:
			e.Check = &engine.CheckEvaluation{}
			_ = json.Unmarshal([]byte(mat.String), e.Check)
		case mat.Valid:
			e.Materialization = &engine.Materialization{}
			_ = json.Unmarshal([]byte(mat.String), e.Materialization)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RunEvents returns a run's events as recorded.
func (s *SQLite) RunEvents(ctx context.Context, id string) ([]engine.Event, error) {
	return s.events(ctx, id)
}

// LastMaterializations returns each asset's latest materialization, anywhere.
func (s *SQLite) LastMaterializations(ctx context.Context) (map[string]Materialization, error) {
	return s.LastMaterializationsIn(ctx, Scope{})
}

// LastMaterializationsIn returns each asset's latest materialization made by a
// run of the scope's environment and warehouse into the scope's database; an
// empty field matches anything.
func (s *SQLite) LastMaterializationsIn(ctx context.Context, scope Scope) (map[string]Materialization, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.node, e.run_id, e.time_ns, e.mat FROM events e JOIN runs r ON r.run_id = e.run_id
		WHERE e.type = 'ASSET_MATERIALIZATION' AND (? = '' OR r.env = ?) AND (? = '' OR r.warehouse = ?)
		ORDER BY e.time_ns`, scope.Env, scope.Env, scope.Warehouse, scope.Warehouse)
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", s.path, err)
	}
	defer rows.Close()
	out := map[string]Materialization{}
	for rows.Next() {
		var m Materialization
		var t int64
		var mat sql.NullString
		if err := rows.Scan(&m.Asset, &m.RunID, &t, &mat); err != nil {
			return nil, err
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
