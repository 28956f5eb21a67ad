package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGINT during a run cancels it: the run ends CANCELED, the process exits
// non-zero, and no table is written. The stalled server would hold each request
// a minute, so a run that ignored the signal would end FAILURE, not CANCELED; a
// deadline catches a hang, and no elapsed time is asserted.
func TestInterruptCancelsTheRun(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			p := newProject(t)
			var out, errOut bytes.Buffer
			cmd := p.stalledRun(8, &out, &errOut)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			hang := time.AfterFunc(processDeadline, func() { _ = cmd.Process.Kill() })
			err := cmd.Wait()
			if !hang.Stop() {
				t.Fatalf("the run did not end within %s of %s", processDeadline, sig)
			}
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1\n%s", err, lastLines(errOut.String(), 5))
			}
			if !strings.Contains(errOut.String(), `"event":"RUN_CANCELED"`) || !regexp.MustCompile(`(?m)^items +CANCELED`).MatchString(out.String()) {
				t.Errorf("no CANCELED run:\n%s\n%s", out.String(), lastLines(errOut.String(), 4))
			}
			if _, err := os.Stat(filepath.Join(p.dir, "wh", "PRODUCTION.duckdb")); !os.IsNotExist(err) {
				t.Error("a cancelled run wrote to the warehouse")
			}
		})
	}
}
