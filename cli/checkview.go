package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
)

// writeChecks adds a run's check evaluations to run show's table.
func writeChecks(w io.Writer, checks []runstore.CheckRecord) {
	if len(checks) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCHECK\tSEVERITY\tRESULT\tFAILING ROWS\tSAMPLE\n")
	for _, c := range checks {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", engine.CheckNodeName(c.Asset, c.Check), c.Severity, checkResult(c.CheckEvaluation),
			c.FailingRows, clip(sampleText(c.Sample), 70))
	}
}

func checkResult(c engine.CheckEvaluation) string {
	switch {
	case c.Passed:
		return "passed"
	case c.Severity == engine.SeverityError:
		return "FAILED (blocking)"
	}
	return "failed (warning)"
}

func sampleText(rows []map[string]string) string {
	if len(rows) == 0 {
		return ""
	}
	var parts []string
	for _, r := range rows {
		if id, ok := r["id"]; ok {
			parts = append(parts, "id="+id)
		}
	}
	if len(parts) == 0 {
		for k, v := range rows[0] {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// checkTally is an event sink that counts a run's check evaluations, for the
// line under the run's summary.
type checkTally struct {
	mu     sync.Mutex
	passed int
	failed []engine.CheckEvaluation
}

func (t *checkTally) Emit(e engine.Event) {
	if e.Type != engine.EventCheckEvaluation || e.Check == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Check.Passed {
		t.passed++
		return
	}
	t.failed = append(t.failed, *e.Check)
}

// write prints "asset checks: 11 passed, 1 failed: ..." when the run evaluated any.
func (t *checkTally) write(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.passed+len(t.failed) == 0 {
		return
	}
	fmt.Fprintf(w, "asset checks: %d passed, %d failed", t.passed, len(t.failed))
	for i, f := range t.failed {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(w, "%s%s (%s, %d rows)", sep, engine.CheckNodeName(f.Asset, f.Check), f.Severity, f.FailingRows)
	}
	fmt.Fprintln(w)
}
