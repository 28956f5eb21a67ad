package engine

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule queues a run on a timetable: a job, or an asset selection, with its
// run config. The workers of an instance enqueue each tick once, however many
// run (see the command line's run worker and run schedules).
type Schedule struct {
	Name      string
	Cron      string // five fields (minute hour day month weekday) or @hourly, @daily, @weekly...; UTC
	Job       string // a job's name, or
	Selection string // an asset selection
	Config    RunConfig
}

// ProblemSchedule is a schedule that cannot run: a bad cron expression, no
// target or two, an unknown job or asset.
const ProblemSchedule Problem = "invalid schedule"

// Timetable computes a schedule's ticks.
type Timetable interface {
	// Next returns the first tick after t.
	Next(t time.Time) time.Time
}

// ParseCron parses a cron expression (five fields, or a descriptor such as
// @daily); ticks are in UTC.
func ParseCron(expr string) (Timetable, error) {
	s, err := cron.ParseStandard("CRON_TZ=UTC " + expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %v (expected five fields, minute hour day month weekday, or @hourly, @daily, @weekly)", expr, err)
	}
	return s, nil
}

// LastTick returns a timetable's latest tick at or before now and after
// since, and whether there is one.
func LastTick(tt Timetable, since, now time.Time) (time.Time, bool) {
	var last time.Time
	found := false
	for t := tt.Next(since.Add(-time.Nanosecond)); !t.IsZero() && !t.After(now); t = tt.Next(t) {
		last, found = t, true
	}
	return last, found
}

// Schedules returns the schedules, in definition order.
func (c *Catalog) Schedules() []Schedule { return c.schedules }

// checkSchedules validates schedules against the loaded catalog.
func (c *Catalog) checkSchedules(scheds []Schedule, errs *ValidationErrors) {
	seen := map[string]bool{}
	for _, s := range scheds {
		subject := "schedule " + s.Name
		switch {
		case !namePattern.MatchString(s.Name):
			errs.add(ProblemInvalidName, "schedule", s.Name, "expected letters, digits and _")
			continue
		case seen[s.Name]:
			errs.add(ProblemDuplicateName, subject, s.Name, "")
			continue
		}
		seen[s.Name] = true
		if _, err := ParseCron(s.Cron); err != nil {
			errs.add(ProblemSchedule, subject, s.Cron, err.Error())
		}
		switch {
		case (s.Job == "") == (s.Selection == ""):
			errs.add(ProblemSchedule, subject, "", "set exactly one of Job and Selection")
		case s.Job != "":
			if _, ok := c.jobs[s.Job]; !ok {
				errs.add(ProblemSchedule, subject, s.Job, "no such job")
			}
		case c.assets != nil:
			if _, err := c.selectAssets(s.Selection); err != nil {
				errs.add(ProblemSchedule, subject, s.Selection, err.Error())
			}
		}
	}
	c.schedules = scheds
}
