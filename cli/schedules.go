package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/queue"
	"github.com/assetflow/assetflow/internal/runstore"
)

// tickKey is the key of a schedule's ticks: a schedule fires once per tick in
// each environment whose workers share the instance.
func tickKey(env, schedule string) string { return env + "/" + schedule }

// planSchedule plans a schedule's run in this environment.
func planSchedule(l *loaded, s engine.Schedule) (*engine.Plan, string, error) {
	if s.Job != "" {
		p, err := l.catalog.PlanJob(s.Job, s.Config)
		return p, "job", err
	}
	p, err := l.catalog.PlanAssets(s.Selection, s.Config)
	return p, "assets", err
}

// activeSchedules are the schedules this environment runs: those whose job
// exists here.
func activeSchedules(l *loaded) []engine.Schedule {
	var out []engine.Schedule
	for _, s := range l.catalog.Schedules() {
		var unavailable *engine.JobUnavailableError
		if _, _, err := planSchedule(l, s); errors.As(err, &unavailable) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// scheduler fires this environment's schedules into the queue.
func (c *cli) scheduler(l *loaded, store runstore.QueueStore, q *queue.Queue, since time.Time) *queue.Scheduler {
	var keyed []engine.Schedule
	byKey := map[string]engine.Schedule{}
	for _, s := range activeSchedules(l) {
		k := s
		k.Name = tickKey(l.env.Name, s.Name)
		keyed = append(keyed, k)
		byKey[k.Name] = s
	}
	return &queue.Scheduler{Store: store.(runstore.TickStore), Schedules: keyed, Since: since,
		Enqueue: func(ctx context.Context, k engine.Schedule, runID string) error {
			s := byKey[k.Name]
			plan, kind, err := planSchedule(l, s)
			if err != nil {
				return err
			}
			if err := queueRun(ctx, store, q, l, queuedRun{plan: plan, rc: s.Config, maxConcurrency: 8, kind: kind, selection: s.Selection}, runID); err != nil {
				return err
			}
			l.log.Info().Str("schedule", s.Name).Str("run_id", runID).Msg("schedule queued a run")
			return nil
		}}
}

func (c *cli) schedulesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "schedules",
		Short: "List the schedules: timetable, what they run, next tick, last tick and its run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := c.load()
			if err != nil {
				return err
			}
			type row struct {
				Name   string         `json:"name"`
				Cron   string         `json:"cron"`
				What   string         `json:"what"`
				Active bool           `json:"active"` // runs in this environment
				Next   time.Time      `json:"next"`
				Last   *runstore.Tick `json:"last,omitempty"`
				Status string         `json:"last_run_status,omitempty"`
			}
			var store runstore.Store
			if inst, err := c.instance(); err == nil && inst.Exists() {
				if store, err = c.openStore(cmd.Context(), true); err != nil {
					return err
				}
				defer store.Close()
			}
			active := map[string]bool{}
			for _, s := range activeSchedules(l) {
				active[s.Name] = true
			}
			now := time.Now()
			var rows []row
			for _, s := range l.catalog.Schedules() {
				r := row{Name: s.Name, Cron: s.Cron, What: "job " + s.Job, Active: active[s.Name]}
				if s.Job == "" {
					r.What = "assets " + s.Selection
				}
				if tt, err := engine.ParseCron(s.Cron); err == nil {
					r.Next = tt.Next(now)
				}
				if ts, ok := store.(runstore.TickStore); ok {
					ticks, err := ts.Ticks(cmd.Context(), tickKey(l.env.Name, s.Name), 1)
					if err != nil {
						return err
					}
					if len(ticks) == 1 {
						r.Last = &ticks[0]
						r.Last.Schedule = s.Name
						if h, err := store.RunHeader(cmd.Context(), ticks[0].RunID); err == nil {
							r.Status = h.Status
						}
					}
				}
				rows = append(rows, r)
			}
			if asJSON {
				return writeJSON(c.stdout, rows)
			}
			if len(rows) == 0 {
				c.printf("no schedules defined (engine.Definitions.Schedules)\n")
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "SCHEDULE\tCRON (UTC)\tRUNS\tNEXT\tLAST TICK\tLAST RUN\n")
			for _, r := range rows {
				next, last, run := r.Next.Local().Format("2006-01-02 15:04"), "-", "-"
				if !r.Active {
					next = "not in " + l.env.Name
				}
				if r.Last != nil {
					last = r.Last.Time.Local().Format("2006-01-02 15:04")
					run = r.Last.RunID + " " + r.Status
					if r.Last.Error != "" {
						run = "not queued: " + clip(r.Last.Error, 50)
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Cron, r.What, next, last, run)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON")
	return cmd
}
