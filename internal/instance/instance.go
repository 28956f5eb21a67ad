// Package instance decides where a project keeps its run history, events,
// queue and schedules: a folder on this machine (SQLite, the default) or a
// PostgreSQL database that many machines share.
package instance

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/queue"
	"github.com/assetflow/assetflow/internal/runstore"
)

// Var names the instance: a folder, or a postgres:// URL.
const Var = "ASSETFLOW_INSTANCE"

// RunsVar names the embedded run store's file. It is the older, narrower
// setting: with a folder instance it wins over the folder's runs.db; with a
// PostgreSQL instance, setting it too is an error (which one was meant?).
const RunsVar = "ASSETFLOW_RUNS"

// DefaultDir is the embedded instance's folder.
const DefaultDir = ".assetflow"

// Instance is either a folder (Dir) or a PostgreSQL database (URL).
type Instance struct {
	Dir    string // the embedded instance's folder
	RunsDB string // the embedded run store's file
	URL    string // postgres://...; may hold credentials: never print it
}

// IsPostgres reports whether the instance is a PostgreSQL database.
func (i Instance) IsPostgres() bool { return i.URL != "" }

// Resolve reads ASSETFLOW_INSTANCE and ASSETFLOW_RUNS through lookup.
func Resolve(lookup func(string) (string, bool)) (Instance, error) {
	val, _ := lookup(Var)
	runs, _ := lookup(RunsVar)
	val, runs = strings.TrimSpace(val), strings.TrimSpace(runs)
	if scheme, rest, ok := strings.Cut(val, "://"); ok {
		switch strings.ToLower(scheme) {
		case "postgres", "postgresql":
			val = strings.ToLower(scheme) + "://" + rest // POSTGRES:// is the same URL; the driver reads only lower case
		default:
			return Instance{}, engine.Usagef("%s=%s: expected a folder or a postgres:// URL", Var, runstore.RedactURL(val))
		}
		if runs != "" {
			return Instance{}, engine.Usagef("%s=%s and %s=%s are both set: a PostgreSQL instance keeps the runs itself; unset %s",
				Var, runstore.RedactURL(val), RunsVar, runs, RunsVar)
		}
		return Instance{URL: val}, nil
	}
	if lower := strings.ToLower(val); strings.HasPrefix(lower, "postgres:") || strings.HasPrefix(lower, "postgresql:") {
		// A mistyped URL (postgres:/host/db) would otherwise be a folder of that
		// name on this machine, and the history would silently stay local. The
		// value is not shown: it may hold a password.
		return Instance{}, engine.Usagef("%s starts with postgres: but not postgres://: write postgres://USER:PASSWORD@HOST:PORT/DATABASE", Var)
	}
	dir := val
	if dir == "" {
		dir = DefaultDir
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return Instance{}, engine.Usagef("%s=%s is a file: expected a folder or a postgres:// URL", Var, dir)
	}
	inst := Instance{Dir: dir, RunsDB: filepath.Join(dir, "runs.db")}
	if runs != "" {
		if err := runstore.CheckPath(runs); err != nil {
			return Instance{}, engine.Usagef("%s: %v", RunsVar, err)
		}
		inst.RunsDB = runs
	}
	return inst, nil
}

// String names the instance for messages, without credentials.
func (i Instance) String() string {
	if i.IsPostgres() {
		return runstore.RedactURL(i.URL)
	}
	return i.RunsDB
}

// Exists reports whether the instance may hold history: a PostgreSQL one is
// asked; a folder one has its run store file.
func (i Instance) Exists() bool {
	if i.IsPostgres() {
		return true
	}
	_, err := os.Stat(i.RunsDB)
	return err == nil
}

// OpenStore opens the instance's run store.
func (i Instance) OpenStore(ctx context.Context) (runstore.QueueStore, error) {
	if i.IsPostgres() {
		return runstore.OpenPostgres(ctx, i.URL)
	}
	return runstore.OpenSQLite(ctx, i.RunsDB)
}

// OpenQueue opens the instance's run store and queue: River on PostgreSQL, or
// on SQLite (queue.db beside the run store) for workers on this machine.
func (i Instance) OpenQueue(ctx context.Context) (runstore.QueueStore, *queue.Queue, error) {
	s, err := i.OpenStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	var q *queue.Queue
	if i.IsPostgres() {
		q, err = queue.Open(ctx, i.URL)
	} else {
		q, err = queue.OpenSQLite(ctx, filepath.Join(filepath.Dir(i.RunsDB), "queue.db"))
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, q, nil
}
