package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
)

// failing is a check that finds n failing rows.
func failing(name string, sev engine.Severity, n int64) engine.Check {
	return engine.Check{Name: name, Severity: sev, Evaluate: func(*engine.CheckContext) (engine.CheckResult, error) {
		return engine.CheckResult{FailingRows: n, Sample: []map[string]string{{"id": "7"}}}, nil
	}}
}

// A failing ERROR check is blocking: the asset's downstream is skipped and the
// run fails naming the check; a failing WARN check only reports.
func TestBlockingCheckSkipsDownstream(t *testing.T) {
	a := ok("a")
	a.Checks = []engine.Check{failing("unique_id", engine.SeverityError, 3), failing("has_rows", engine.SeverityWarn, 1)}
	c, _ := load(t, a, ok("b", "a"), ok("c", "b"), ok("other"))
	res, rec := runAll(t, c, engine.Runner{})
	wantStatuses(t, res, map[string]engine.StepStatus{"a": engine.StepSuccess, "a:unique_id": engine.StepFailure,
		"a:has_rows": engine.StepSuccess, "b": engine.StepSkipped, "c": engine.StepSkipped, "other": engine.StepSuccess})
	var cf *engine.CheckFailedError
	if res.Status != engine.RunFailure || !errors.As(res.Err(), &cf) || cf.Check != "unique_id" || cf.FailingRows != 3 {
		t.Fatalf("run %s, err %v", res.Status, res.Err())
	}
	if !strings.Contains(res.Err().Error(), "check unique_id of asset a failed") {
		t.Fatalf("error does not name the check: %v", res.Err())
	}
	var evals []*engine.CheckEvaluation
	for _, e := range rec.Events() {
		if e.Type == engine.EventCheckEvaluation {
			evals = append(evals, e.Check)
		}
	}
	if len(evals) != 2 {
		t.Fatalf("%d evaluations, want 2", len(evals))
	}
	for _, ev := range evals {
		if ev.Passed || ev.Asset != "a" || len(ev.Sample) != 1 {
			t.Fatalf("evaluation %+v", ev)
		}
	}
	if position(rec.Events(), engine.EventStepStart, "a:unique_id") < position(rec.Events(), engine.EventStepSuccess, "a") {
		t.Fatal("the check started before its asset finished")
	}
}

func TestPassingAndWarningChecksLetDownstreamRun(t *testing.T) {
	a := ok("a")
	a.Checks = []engine.Check{failing("fine", engine.SeverityError, 0), failing("warned", engine.SeverityWarn, 2)}
	c, _ := load(t, a, ok("b", "a"))
	res, _ := runAll(t, c, engine.Runner{})
	if res.Status != engine.RunSuccess || res.Count(engine.StepSuccess) != 4 {
		t.Fatalf("run %s: %+v", res.Status, res.Steps)
	}
	if got := res.Steps[0].Node + "," + res.Steps[1].Node + "," + res.Steps[2].Node; got != "a,a:fine,a:warned" {
		t.Fatalf("checks are not planned right after their asset: %s", got)
	}
}

// run check: checks alone, reading the stored value through the I/O manager.
func TestPlanChecksAlone(t *testing.T) {
	a := ok("a")
	a.Checks = []engine.Check{{Name: "is_a", Evaluate: func(ctx *engine.CheckContext) (engine.CheckResult, error) {
		v, err := engine.Input[string](ctx.Context, ctx.Asset)
		if err != nil {
			return engine.CheckResult{}, err
		}
		if v != "a" {
			return engine.CheckResult{FailingRows: 1}, nil
		}
		return engine.CheckResult{}, nil
	}}}
	c, m := load(t, a, ok("b", "a"))
	if _, err := c.PlanChecks("b"); err == nil {
		t.Fatal("a selection without checks was planned")
	}
	p, err := c.PlanChecks("*")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Nodes(), ","); got != "a:is_a" {
		t.Fatalf("nodes %s", got)
	}
	res := (&engine.Runner{}).Run(context.Background(), p)
	if res.Status != engine.RunFailure { // nothing stored yet: the check cannot read a
		t.Fatalf("check of a never-stored asset: %s", res.Status)
	}
	m.values["a"] = "not a"
	res = (&engine.Runner{}).Run(context.Background(), p)
	var cf *engine.CheckFailedError
	if !errors.As(res.Err(), &cf) || m.loads["a"] != 2 {
		t.Fatalf("run %s err %v loads %d", res.Status, res.Err(), m.loads["a"])
	}
}

func TestInvalidChecksAreRefused(t *testing.T) {
	a := ok("a")
	a.Checks = []engine.Check{failing("x", "FATAL", 0), failing("x", engine.SeverityWarn, 0), {Name: "nil_eval"}, failing("bad name", "", 0)}
	_, err := engine.Load(engine.Definitions{Assets: []engine.Asset{a}, Resources: ioResources(newMemIO())})
	var ve *engine.ValidationErrors
	if !errors.As(err, &ve) || len(ve.Errs) != 4 {
		t.Fatalf("got %v", err)
	}
}

func TestCodeVersions(t *testing.T) {
	type cfg struct{ N int }
	if engine.DeriveCodeVersion("", cfg{1}) != "" {
		t.Fatal("an unversioned asset got a version")
	}
	v1, v2 := engine.DeriveCodeVersion("1", cfg{1}), engine.DeriveCodeVersion("1", cfg{2})
	if v1 == v2 || v1 != engine.DeriveCodeVersion("1", cfg{1}) || v1 == engine.DeriveCodeVersion("2", cfg{1}) {
		t.Fatalf("versions do not follow code and config: %s %s", v1, v2)
	}
	same := []string{"SELECT a,  b\nFROM t -- note\n;"}
	if engine.NormalizeSQL(same[0]) != engine.NormalizeSQL("SELECT a, b /* x */ FROM t") {
		t.Fatalf("%q vs %q", engine.NormalizeSQL(same[0]), engine.NormalizeSQL("SELECT a, b /* x */ FROM t"))
	}
	for _, pair := range [][2]string{
		{"SELECT 'a--b' FROM t", "SELECT 'a--c' FROM t"},
		{"SELECT 'a  b'", "SELECT 'a b'"},
		{`SELECT "x  y"`, `SELECT "x y"`},
		{"SELECT 1", "SELECT 2"},
	} {
		if engine.NormalizeSQL(pair[0]) == engine.NormalizeSQL(pair[1]) {
			t.Errorf("%q and %q normalize alike: %q", pair[0], pair[1], engine.NormalizeSQL(pair[0]))
		}
	}
	for _, s := range []string{"'", "SELECT '", "/*", "--", "\"", "''''", ""} {
		_ = engine.NormalizeSQL(s) // must not panic
	}
}
