package engine

import (
	"fmt"
	"strings"
)

// KindCheck is the kind of the plan node that evaluates one asset check.
const KindCheck NodeKind = "check"

// EventCheckEvaluation reports one asset check's result.
const EventCheckEvaluation EventType = "ASSET_CHECK_EVALUATION"

// Severity says what a failing check does.
type Severity string

// Severities. A failing ERROR check is blocking: the asset's downstream is
// skipped and the run fails naming the check. A failing WARN check is reported
// and nothing else.
const (
	SeverityError Severity = "ERROR"
	SeverityWarn  Severity = "WARN"
)

// Check is an asset check (dbt calls it a test): something that must hold of an
// asset's stored value, such as "id is unique". It runs after the asset
// materializes, in the same run, or alone with `run check`. Evaluate returns the
// failing rows; none means the check passed. SQL checks that run inside the
// warehouse are built by the warehouse package (e.g. warehouse.Unique).
type Check struct {
	Name        string // unique among the asset's checks; letters, digits and _
	Description string
	Severity    Severity // SeverityError when empty
	Evaluate    func(ctx *CheckContext) (CheckResult, error)
}

// CheckContext is what a check's Evaluate receives: the node's Context, with
// the asset's value available as Input(ctx.Context, ctx.Asset), and which asset
// and I/O manager it checks.
type CheckContext struct {
	*Context
	Asset     string // the checked asset
	IOManager string // resource key of the asset's I/O manager
}

// CheckResult is what a check found: how many rows fail it and a few of them.
type CheckResult struct {
	FailingRows int64
	Sample      []map[string]string // a few failing rows, column -> value as text
	Message     string              // optional detail
}

// CheckEvaluation is one check's outcome, carried by EventCheckEvaluation.
type CheckEvaluation struct {
	Asset       string              `json:"asset"`
	Check       string              `json:"check"`
	Severity    Severity            `json:"severity"`
	Passed      bool                `json:"passed"`
	FailingRows int64               `json:"failing_rows"`
	Sample      []map[string]string `json:"sample,omitempty"`
	Message     string              `json:"message,omitempty"`
}

// CheckFailedError is a blocking check that failed.
type CheckFailedError struct {
	Asset, Check string
	FailingRows  int64
}

func (e *CheckFailedError) Error() string {
	return fmt.Sprintf("check %s of asset %s failed: %d failing rows (severity ERROR: downstream assets are skipped)",
		e.Check, e.Asset, e.FailingRows)
}

// CheckNodeName is the plan node (and run step) that evaluates a check.
func CheckNodeName(asset, check string) string { return asset + ":" + check }

// SplitCheckNode returns the asset and check of a check node's name.
func SplitCheckNode(node string) (asset, check string, ok bool) {
	return strings.Cut(node, ":")
}

// maxSample bounds the failing rows an evaluation carries.
const maxSample = 5

func (c *Check) severity() Severity {
	if c.Severity == "" {
		return SeverityError
	}
	return c.Severity
}

// checkAssetChecks validates each asset's checks.
func checkAssetChecks(assets []Asset, errs *ValidationErrors) {
	for _, a := range assets {
		seen := map[string]bool{}
		for _, c := range a.Checks {
			subject := "asset " + a.Name + ": check"
			switch {
			case !namePattern.MatchString(c.Name):
				errs.add(ProblemInvalidName, subject, c.Name, "expected letters, digits and _, not starting with a digit")
			case seen[c.Name]:
				errs.add(ProblemDuplicateName, subject+" "+c.Name, c.Name, "defined more than once")
			case c.Evaluate == nil:
				errs.add(ProblemMissingCompute, subject+" "+c.Name, "", "Evaluate is nil")
			case c.Severity != "" && c.Severity != SeverityError && c.Severity != SeverityWarn:
				errs.add(ProblemConfig, subject+" "+c.Name, string(c.Severity), "severity: expected ERROR or WARN")
			}
			seen[c.Name] = true
		}
		for _, k := range a.Key {
			if !namePattern.MatchString(k) {
				errs.add(ProblemInvalidName, "asset "+a.Name+": key column", k, "expected letters, digits and _")
			}
		}
	}
}

// checkNode is the node that evaluates check c of asset a: it reads the asset
// as its one input, emits the evaluation, and fails when a blocking check does.
func checkNode(a *node, c Check) *node {
	n := &node{name: CheckNodeName(a.name, c.Name), kind: KindCheck, description: c.Description, group: a.group,
		ins: []input{{name: a.name, from: a.name}}}
	n.compute = func(ctx *Context) (any, error) {
		res, err := c.Evaluate(&CheckContext{Context: ctx, Asset: a.name, IOManager: a.ioManager})
		if err != nil {
			return nil, fmt.Errorf("check %s of asset %s: %w", c.Name, a.name, err)
		}
		if len(res.Sample) > maxSample {
			res.Sample = res.Sample[:maxSample]
		}
		ev := &CheckEvaluation{Asset: a.name, Check: c.Name, Severity: c.severity(), Passed: res.FailingRows == 0,
			FailingRows: res.FailingRows, Sample: res.Sample, Message: res.Message}
		msg := fmt.Sprintf("check %s of %s passed", c.Name, a.name)
		if !ev.Passed {
			msg = fmt.Sprintf("check %s of %s failed (%s): %d failing rows", c.Name, a.name, ev.Severity, ev.FailingRows)
		}
		ctx.run.emit(Event{Type: EventCheckEvaluation, Node: ctx.Node, Attempt: ctx.Attempt, Message: msg, Check: ev})
		if !ev.Passed && ev.Severity == SeverityError {
			return nil, &CheckFailedError{Asset: a.name, Check: c.Name, FailingRows: ev.FailingRows}
		}
		return nil, nil
	}
	return n
}
