package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// SIGINT during a run cancels it: the run ends CANCELED within about a second,
// the process exits non-zero, and no table is written.
func TestInterruptCancelsTheRun(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "maxitem.json") {
					w.Write([]byte("500"))
					return
				}
				requests.Add(1)
				select { // a slow API: every item takes a minute
				case <-time.After(time.Minute):
				case <-r.Context().Done():
				}
			}))
			defer srv.Close()
			p := newProject(t)
			cmd := exec.Command(binary, "assets", "--log-format", "json")
			cmd.Dir = p.dir
			cmd.Env = append(p.base[:3:3], "ASSETFLOW_HN_URL="+srv.URL+"/v0")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for requests.Load() < 8 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			took := time.Since(sent)
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1\n%s", err, lastLines(errOut.String(), 5))
			}
			if took > 2*time.Second {
				t.Errorf("the run took %s to end after %s", took, sig)
			}
			if !strings.Contains(errOut.String(), `"event":"RUN_CANCELED"`) || !strings.Contains(out.String(), "items     CANCELED") {
				t.Errorf("no CANCELED run:\n%s\n%s", out.String(), lastLines(errOut.String(), 4))
			}
			if _, err := os.Stat(filepath.Join(p.dir, "wh", "PRODUCTION.duckdb")); !os.IsNotExist(err) {
				t.Error("a cancelled run wrote to the warehouse")
			}
		})
	}
}
