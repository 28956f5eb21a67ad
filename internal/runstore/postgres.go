package runstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgMigrations are the PostgreSQL layouts in order; assetflow_schema holds how
// many a database has applied. Append, never edit.
var pgMigrations = []string{`
CREATE TABLE runs (
	run_id     TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	selection  TEXT NOT NULL,
	env        TEXT NOT NULL,
	nodes      TEXT NOT NULL,
	status     TEXT NOT NULL,
	error      TEXT NOT NULL DEFAULT '',
	started_ns BIGINT NOT NULL,
	ended_ns   BIGINT,
	pid        INTEGER NOT NULL,
	proc_start TEXT NOT NULL,
	host       TEXT NOT NULL,
	warehouse  TEXT NOT NULL DEFAULT '',
	database   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_started ON runs (started_ns DESC);
CREATE TABLE events (
	run_id   TEXT NOT NULL,
	seq      BIGINT NOT NULL,
	type     TEXT NOT NULL,
	node     TEXT NOT NULL,
	time_ns  BIGINT NOT NULL,
	attempt  INTEGER NOT NULL,
	dur_ns   BIGINT NOT NULL,
	error    TEXT NOT NULL,
	stack    TEXT NOT NULL,
	message  TEXT NOT NULL,
	mat      TEXT,
	PRIMARY KEY (run_id, seq)
);
CREATE INDEX events_materializations ON events (type, node, time_ns) WHERE type = 'ASSET_MATERIALIZATION';
`, `
ALTER TABLE runs ADD COLUMN job_id BIGINT;
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN heartbeat_ns BIGINT;
ALTER TABLE runs ADD COLUMN cancel_ns BIGINT;
ALTER TABLE events ADD COLUMN worker TEXT NOT NULL DEFAULT '';
`, `
CREATE TABLE schedule_ticks (
	schedule TEXT NOT NULL,
	tick_ns  BIGINT NOT NULL,
	run_id   TEXT NOT NULL,
	fired_ns BIGINT NOT NULL,
	error    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (schedule, tick_ns)
);
`, `
CREATE TABLE steps (
	run_id       TEXT NOT NULL,
	node         TEXT NOT NULL,
	position     INTEGER NOT NULL,
	upstream     TEXT NOT NULL,
	state        TEXT NOT NULL,
	owner        TEXT NOT NULL DEFAULT '',
	heartbeat_ns BIGINT,
	PRIMARY KEY (run_id, node)
);
`, `
ALTER TABLE runs ADD COLUMN config TEXT NOT NULL DEFAULT '';
`}

// pgMigrateLock is the advisory lock key that serialises migrations of one
// database by several processes.
const pgMigrateLock = 0x617373657466 // "assetf"

// Postgres is the Store of a PostgreSQL instance, for many machines: the same
// tables as SQLite, through pgx v5.
type Postgres struct {
	*sqlStore
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the instance at a postgres:// URL and brings its
// layout up to date. Errors name the URL without its user and password.
func OpenPostgres(ctx context.Context, rawURL string) (*Postgres, error) {
	where := RedactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, engine.Usagef("instance %s: not a usable PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)", where)
	}
	GuardSession(cfg)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	s := &Postgres{&sqlStore{where: where, db: db, postgres: true, secrets: [2]string{cfg.User, cfg.Password}}}
	s.host, _ = os.Hostname()
	if err := s.migrate(ctx, cfg); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Postgres) migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	latest := len(pgMigrations)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err, cfg)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
		return s.wrap(err, cfg)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS assetflow_schema (version INTEGER NOT NULL)`); err != nil {
		return s.wrap(err, cfg)
	}
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM assetflow_schema`).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO assetflow_schema (version) VALUES (0)`); err != nil {
			return s.wrap(err, cfg)
		}
	case err != nil:
		return s.wrap(err, cfg)
	}
	if version > latest {
		return fmt.Errorf("instance %s was written by a newer assetflow (layout %d; this one reads %d): upgrade, or point ASSETFLOW_INSTANCE elsewhere",
			s.where, version, latest)
	}
	for ; version < latest; version++ {
		if _, err := tx.ExecContext(ctx, pgMigrations[version]); err != nil {
			return s.wrap(err, cfg)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE assetflow_schema SET version = $1`, latest); err != nil {
		return s.wrap(err, cfg)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(err, cfg)
	}
	return nil
}

// wrap names the instance in an error and scrubs the credentials a driver
// message may repeat.
func (s *Postgres) wrap(err error, cfg *pgx.ConnConfig) error {
	return fmt.Errorf("instance %s: %s", s.where, Scrub(err.Error(), cfg.User, cfg.Password))
}

// GuardSession sets, unless the URL already does, how long the server lets a
// session sit idle in a transaction (10 s) and wait for a lock (60 s). A
// worker cut off from the network in the middle of a transaction would
// otherwise hold its locks (a run's row) until TCP gives up, hours later, and
// every other worker moving that run on would wait as long. Assetflow's
// transactions take milliseconds.
func GuardSession(cfg *pgx.ConnConfig) {
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	for k, v := range map[string]string{"idle_in_transaction_session_timeout": "10s", "lock_timeout": "60s"} {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
}

// DB is the instance's database connection pool, for tests to look inside.
func (s *Postgres) DB() *sql.DB { return s.db }

// Scrub readies a driver's message to be shown: it removes the user name and
// password (every occurrence of the password, and of the user name as a word:
// the server names it, as in role "bob" does not exist) and puts the message
// on one line (pgx breaks a failed connection's message over two).
func Scrub(msg, user, password string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	if user != "" {
		msg = regexp.MustCompile(`\b`+regexp.QuoteMeta(user)+`\b`).ReplaceAllString(msg, "xxxxx")
	}
	return msg
}

// RedactURL returns a URL without the user information (user and password)
// and query (which may carry a password), for messages. A value that does not
// parse is replaced whole, since it may hold a secret anywhere.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(unparsable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "..."
	}
	u.Fragment = ""
	return u.String()
}
