package ops

import "github.com/assetflow/assetflow/engine"

// Schedules are the project's timetables, fired by the workers of a
// PostgreSQL instance (run worker): reap_stale_clones nightly at 03:00 UTC,
// with its default config (clones not refreshed for 14 days), as an
// alternative to the CI cron files under deploy/.
func Schedules() []engine.Schedule {
	return []engine.Schedule{
		{Name: "reap_stale_clones_nightly", Cron: "0 3 * * *", Job: "reap_stale_clones"},
	}
}
