package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/queue"
	"github.com/assetflow/assetflow/internal/runstore"
)

func (c *cli) workerCmd() *cobra.Command {
	cfg := queue.WorkerConfig{}
	var scheduleEvery time.Duration
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Execute queued runs (run assets --queue, run job NAME --queue) until stopped; any number of machines may run workers",
		Long: `Take runs queued on the instance (ASSETFLOW_INSTANCE: PostgreSQL for workers on many machines,
or the folder instance for workers on this one) for this environment and execute
them as the command line does, recording them in the same run history. Stop with Ctrl-C or SIGTERM:
the runs in progress are handed back to the queue and continued by another worker from their
unfinished steps. A worker killed outright (kill -9, a lost machine) stops writing its heartbeat;
once River's rescuer hands its runs on (after --rescue-after), another worker continues them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case cfg.Concurrency < 1 || cfg.Concurrency > river.QueueNumWorkersMax:
				return engine.Usagef("--concurrency %d: expected 1 to %d", cfg.Concurrency, river.QueueNumWorkersMax)
			case cfg.Heartbeat < 10*time.Millisecond:
				return engine.Usagef("--heartbeat %s: expected 10ms or more", cfg.Heartbeat)
			case cfg.RescueAfter <= 3*cfg.Heartbeat:
				return engine.Usagef("--rescue-after %s: expected more than three heartbeats (%s)", cfg.RescueAfter, 3*cfg.Heartbeat)
			case cfg.PollEvery < 100*time.Millisecond:
				return engine.Usagef("--poll %s: expected 100ms or more", cfg.PollEvery)
			case scheduleEvery < 100*time.Millisecond:
				return engine.Usagef("--schedule-every %s: expected 100ms or more", scheduleEvery)
			}
			l, err := c.load()
			if err != nil {
				return err
			}
			instName, err := c.storePath()
			if err != nil {
				return err
			}
			here, err := warehouseIdentity(l.spec)
			if err != nil {
				return err
			}
			wp := workerPlanner{l: l, here: here}
			store, q, err := c.openQueue(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			defer q.Close()
			if err := clockAgrees(cmd.Context(), store, time.Now, cfg.Heartbeat); err != nil {
				return err
			}
			cfg.Queue = queueName(l.env.Name)
			cfg.Logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			l.log.Info().Str("worker", queue.Worker()).Str("env", l.env.Name).Int("concurrency", cfg.Concurrency).
				Str("instance", instName).Msg("worker started")
			ctx, stop := context.WithCancel(cmd.Context())
			defer stop()
			sched := c.scheduler(l, store, q, time.Now().Add(-time.Minute))
			done := make(chan struct{})
			go func() {
				defer close(done)
				sched.Run(ctx, scheduleEvery, time.Now, func(queued []string, err error) {
					if err != nil {
						l.log.Warn().Err(err).Msg("schedules")
					}
				})
			}()
			err = q.Work(ctx, cfg, wp.executor(), wp.stepExecutor(), store)
			stop()
			<-done
			l.log.Info().Str("worker", queue.Worker()).Msg("worker stopped")
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&cfg.Concurrency, "concurrency", 1, "runs this worker executes at once")
	fl.DurationVar(&cfg.Heartbeat, "heartbeat", 5*time.Second, "how often a running run's heartbeat is written")
	fl.DurationVar(&cfg.RescueAfter, "rescue-after", time.Minute, "how long a run may go without its worker finishing before River hands it on; it is taken over only if its heartbeat is stale")
	fl.DurationVar(&cfg.PollEvery, "poll", time.Second, "how often an idle worker looks for runs, besides PostgreSQL notifications")
	fl.DurationVar(&scheduleEvery, "schedule-every", 15*time.Second, "how often the worker checks the schedules for a due tick (each tick queues one run, whichever worker sees it first)")
	return cmd
}

// clockAgrees refuses a worker whose clock is off the instance's by more than
// a heartbeat: workers judge each other's heartbeats by their own clocks, so
// it would take live steps over, or be taken over while alive.
func clockAgrees(ctx context.Context, store runstore.QueueStore, local func() time.Time, heartbeat time.Duration) error {
	skew, unsure, err := store.ClockSkew(ctx, local)
	if err != nil {
		return err
	}
	if runstore.ClockOff(skew, unsure, heartbeat) {
		way := "behind"
		if skew < 0 {
			way = "ahead of"
		}
		return engine.Usagef("this machine's clock is %s %s the instance's: workers judge each other's heartbeats by their clocks, so they must agree within --heartbeat (%s); synchronise this machine's clock (NTP), or raise --heartbeat",
			skew.Abs().Round(time.Millisecond), way, heartbeat)
	}
	return nil
}
