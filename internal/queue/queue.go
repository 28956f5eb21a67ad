// Package queue carries queued runs from whoever enqueues them to the workers
// that execute them, through River (github.com/riverqueue/river) on the
// instance's PostgreSQL database. River gives durable jobs, a rescuer for jobs
// whose worker died, and cancellation that reaches a running job on any host.
//
// A job is a whole run (RunArgs), or one step of a run spread over workers
// (StepArgs). A run's worker claims the run in the run store and keeps a
// heartbeat on it; a job River rescues after its worker died is continued by
// another worker from the steps that did not succeed (see Worker). A step's
// worker does the same for its step, and queues the steps it unblocks.
package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// RunArgs is a queued run: what to plan, and how the command line asked for it.
type RunArgs struct {
	RunID          string                    `json:"run_id"`
	RunKind        string                    `json:"kind"` // "assets" or "job"
	Job            string                    `json:"job,omitempty"`
	Selection      string                    `json:"selection,omitempty"`
	Nodes          []string                  `json:"nodes"` // the planned nodes
	Queue          string                    `json:"-"`     // the River queue; River records it`
	Env            string                    `json:"env"`
	Config         map[string]map[string]any `json:"config,omitempty"`
	MaxConcurrency int                       `json:"max_concurrency"`
	FailFast       bool                      `json:"fail_fast,omitempty"`
	// Warehouse names the warehouse the run writes; a worker that reaches
	// another refuses the run (see the command line's warehouseIdentity).
	Warehouse string `json:"warehouse,omitempty"`
}

// Kind names the job kind in River.
func (RunArgs) Kind() string { return "assetflow_run" }

// InsertOpts gives runs many attempts: an attempt ends early only when its
// worker dies or stops, and the next continues the run.
func (RunArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

// migrateLock serialises River's migrations between processes.
const migrateLock = 0x7269766572 // "river"

// Queue is a connection to an instance's queue, on either River driver.
type Queue struct {
	where     string
	newClient func(cfg *river.Config) (riverClient, error)
	close     func()
}

// riverClient is what Queue uses of a river.Client, whatever its driver.
type riverClient interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobCancel(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	Start(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Open connects to the PostgreSQL instance at url and brings River's tables
// up to date. Errors name the instance without credentials.
func Open(ctx context.Context, url string) (*Queue, error) {
	where := runstore.RedactURL(url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, engine.Usagef("instance %s: not a usable PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)", where)
	}
	runstore.GuardSession(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("instance %s: %s", where, scrub(err, cfg.ConnConfig))
	}
	q := &Queue{where: where, close: pool.Close, newClient: func(cfg *river.Config) (riverClient, error) {
		return river.NewClient(riverpgxv5.New(pool), cfg)
	}}
	if err := migratePostgres(ctx, pool, where, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, err
	}
	return q, nil
}

func scrub(err error, cfg *pgx.ConnConfig) string {
	return runstore.Scrub(err.Error(), cfg.User, cfg.Password)
}

func migratePostgres(ctx context.Context, pool *pgxpool.Pool, where string, cfg *pgx.ConnConfig) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	// River applies each version in its own transaction (some cannot share
	// one); a session lock held on one connection keeps two processes from
	// migrating at once.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("instance %s: %s", where, scrub(err, cfg))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("instance %s: %s", where, scrub(err, cfg))
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("instance %s: queue tables: %s", where, scrub(err, cfg))
	}
	return nil
}

// Close closes the connections.
func (q *Queue) Close() { q.close() }

// insertClient is a River client that only inserts and cancels.
func (q *Queue) insertClient() (riverClient, error) {
	return q.newClient(&river.Config{})
}

// Enqueue puts a run on the queue and returns its job id.
func (q *Queue) Enqueue(ctx context.Context, args RunArgs) (int64, error) {
	c, err := q.insertClient()
	if err != nil {
		return 0, err
	}
	var opts *river.InsertOpts
	if args.Queue != "" {
		opts = &river.InsertOpts{Queue: args.Queue}
	}
	res, err := c.Insert(ctx, args, opts)
	if err != nil {
		return 0, fmt.Errorf("instance %s: queue run: %w", q.where, err)
	}
	return res.Job.ID, nil
}

// Cancel cancels a job: a queued one will not run; a running one's worker
// has its context cancelled, on whichever host it runs.
func (q *Queue) Cancel(ctx context.Context, jobID int64) error {
	c, err := q.insertClient()
	if err != nil {
		return err
	}
	if _, err := c.JobCancel(ctx, jobID); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("instance %s: cancel job %d: %w", q.where, jobID, err)
	}
	return nil
}

// WorkerConfig tunes a worker process.
type WorkerConfig struct {
	Queue       string        // the River queue to take runs from
	Concurrency int           // runs at once
	Heartbeat   time.Duration // how often a running run's heartbeat is written
	// RescueAfter is how long a job may run before River's rescuer hands it
	// to another worker; that worker takes the run over only if its
	// heartbeat is stale (older than three heartbeats), else waits.
	RescueAfter time.Duration
	PollEvery   time.Duration // how often idle workers look for jobs, besides notifications
	Logger      *slog.Logger  // River's own log (warnings and errors)
}

// staleAfter is how old a heartbeat makes its execution dead to other
// workers: three missed beats.
func (c WorkerConfig) staleAfter() time.Duration { return 3 * c.Heartbeat }

// Work runs a worker until ctx ends, then stops taking jobs and waits for the
// running ones (they see ctx cancelled) before it returns.
func (q *Queue) Work(ctx context.Context, cfg WorkerConfig, exec Executor, execStep StepExecutor, store runstore.QueueStore) error {
	workers := river.NewWorkers()
	w := &runWorker{exec: exec, store: store, cfg: cfg, stop: make(chan struct{})}
	if err := river.AddWorkerSafely[RunArgs](workers, w); err != nil {
		return err
	}
	sw := &stepWorker{exec: execStep, store: store, queue: q, cfg: cfg, stop: make(chan struct{})}
	if err := river.AddWorkerSafely[StepArgs](workers, sw); err != nil {
		return err
	}
	c, err := q.newClient(&river.Config{
		Queues:               map[string]river.QueueConfig{cmp.Or(cfg.Queue, river.QueueDefault): {MaxWorkers: cfg.Concurrency}},
		Workers:              workers,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollEvery,
		FetchCooldown:        20 * time.Millisecond, // River: 100ms; a run slot freed waits at most this for the next run
		JobTimeout:           cfg.RescueAfter,       // see runWorker.Timeout: it does not stop a run
		Logger:               cfg.Logger,
	})
	if err != nil {
		return err
	}
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("instance %s: start worker: %w", q.where, err)
	}
	<-ctx.Done()
	w.stopping.Store(true)
	sw.stopping.Store(true)
	close(w.stop)
	close(sw.stop)
	stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return c.StopAndCancel(stopCtx)
}
