package instance_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/instance"
)

func resolve(vars map[string]string) (instance.Instance, error) {
	return instance.Resolve(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		vars         map[string]string
		runsDB, url  string
		wantPostgres bool
	}{
		{vars: nil, runsDB: ".assetflow/runs.db"},
		{vars: map[string]string{"ASSETFLOW_INSTANCE": dir}, runsDB: filepath.Join(dir, "runs.db")},
		{vars: map[string]string{"ASSETFLOW_RUNS": "/x/r.db"}, runsDB: "/x/r.db"},
		// ASSETFLOW_RUNS is narrower: it wins over a folder instance's runs.db.
		{vars: map[string]string{"ASSETFLOW_INSTANCE": dir, "ASSETFLOW_RUNS": "/x/r.db"}, runsDB: "/x/r.db"},
		{vars: map[string]string{"ASSETFLOW_INSTANCE": "postgres://u:p@db/flow"}, url: "postgres://u:p@db/flow", wantPostgres: true},
		// The driver reads only a lower-case scheme: the same URL, in its spelling.
		{vars: map[string]string{"ASSETFLOW_INSTANCE": " PostgreSQL://db/flow "}, url: "postgresql://db/flow", wantPostgres: true},
	} {
		got, err := resolve(c.vars)
		if err != nil {
			t.Errorf("%v: %v", c.vars, err)
			continue
		}
		if got.RunsDB != c.runsDB || got.URL != c.url || got.IsPostgres() != c.wantPostgres {
			t.Errorf("%v: got %+v", c.vars, got)
		}
	}
}

func TestResolveRefusesAndHidesCredentials(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"ASSETFLOW_INSTANCE": "mysql://root:hunter2@db/flow"}, "ASSETFLOW_INSTANCE=mysql://db/flow: expected a folder or a postgres:// URL"},
		{map[string]string{"ASSETFLOW_INSTANCE": "postgress://root:hunter2@db/flow"}, "expected a folder or a postgres:// URL"},
		{map[string]string{"ASSETFLOW_INSTANCE": "postgres://root:hunter2@db/flow", "ASSETFLOW_RUNS": "r.db"}, "are both set"},
		{map[string]string{"ASSETFLOW_INSTANCE": file}, "is a file: expected a folder"},
		// Mistyped URLs are not folders named after them (the history would stay local).
		{map[string]string{"ASSETFLOW_INSTANCE": "postgres:/root:hunter2@db/flow"}, "starts with postgres: but not postgres://"},
		{map[string]string{"ASSETFLOW_INSTANCE": "PostgreSQL:root:hunter2@db"}, "starts with postgres: but not postgres://"},
	} {
		_, err := resolve(c.vars)
		var usage *engine.UsageError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &usage) {
			t.Errorf("%v: got %v, want a usage error with %q", c.vars, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "root") {
			t.Errorf("credentials in %q", err)
		}
	}
	i, _ := resolve(map[string]string{"ASSETFLOW_INSTANCE": "postgres://root:hunter2@db:5432/flow"})
	if s := i.String(); s != "postgres://db:5432/flow" {
		t.Errorf("String() = %q", s)
	}
}
