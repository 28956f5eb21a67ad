package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

func TestSchedulesAreValidated(t *testing.T) {
	asset := engine.Asset{Name: "items", Compute: func(*engine.Context) (any, error) { return 1, nil }}
	job := engine.Job{Name: "nightly_job", Selection: "items"}
	res := map[string]engine.Resource{engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}}
	good := []engine.Schedule{{Name: "ok", Cron: "@daily", Job: "nightly_job"}, {Name: "ok2", Cron: "*/5 * * * *", Selection: "items"}}
	cat, err := engine.Load(engine.Definitions{Resources: res, Assets: []engine.Asset{asset}, Jobs: []engine.Job{job}, Schedules: good})
	if err != nil || len(cat.Schedules()) != 2 {
		t.Fatalf("good schedules: %v", err)
	}
	for _, c := range []struct {
		s    engine.Schedule
		want string
	}{
		{engine.Schedule{Name: "a", Cron: "every day", Job: "nightly_job"}, "expected five fields"},
		{engine.Schedule{Name: "b", Cron: "@daily"}, "set exactly one of Job and Selection"},
		{engine.Schedule{Name: "c", Cron: "@daily", Job: "nightly_job", Selection: "items"}, "set exactly one of Job and Selection"},
		{engine.Schedule{Name: "d", Cron: "@daily", Job: "nope"}, "no such job"},
		{engine.Schedule{Name: "e", Cron: "@daily", Selection: "itemz"}, "itemz"},
		{engine.Schedule{Name: "bad name", Cron: "@daily", Job: "nightly_job"}, "invalid name"},
	} {
		_, err := engine.Load(engine.Definitions{Resources: res, Assets: []engine.Asset{asset}, Jobs: []engine.Job{job}, Schedules: []engine.Schedule{c.s}})
		var verrs *engine.ValidationErrors
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &verrs) {
			t.Errorf("%+v: %v, want a validation error with %q", c.s, err, c.want)
		}
	}
	_, err = engine.Load(engine.Definitions{Resources: res, Assets: []engine.Asset{asset}, Jobs: []engine.Job{job},
		Schedules: []engine.Schedule{good[0], good[0]}})
	if err == nil || !strings.Contains(err.Error(), "duplicate name") {
		t.Errorf("duplicate: %v", err)
	}
}
