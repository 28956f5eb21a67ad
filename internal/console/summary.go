package console

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/assetflow/assetflow/engine"
)

// Summary prints a run's outcome: one line per step, then the run's status.
// Steps skipped because an upstream failed show no error of their own.
func Summary(w io.Writer, res *engine.RunResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "STEP\tSTATUS\tTIME\tATTEMPTS\tDETAIL\n")
	for _, s := range res.Steps {
		detail := ""
		switch {
		case s.Materialization != nil:
			m := s.Materialization
			detail = fmt.Sprintf("%s: %d rows", m.Location, m.Rows)
		case s.Status == engine.StepFailure && s.Err != nil:
			detail = firstLine(s.Err.Error())
		case s.Status == engine.StepSkipped:
			detail = "an upstream failed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.Node, s.Status, round(s.Duration), s.Attempts, detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "run %s %s %s in %s\n", res.RunID, res.Name, res.Status, round(res.Duration))
}

func round(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
