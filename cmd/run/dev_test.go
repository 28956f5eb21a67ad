package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// run dev snowflake-server starts the test double; run assets, with the URL it
// prints, materializes through the real driver; Ctrl-C stops it.
func TestDevSnowflakeServer(t *testing.T) {
	p := newProject(t)
	srv := exec.Command(binary, "dev", "snowflake-server", "--dir", filepath.Join(p.dir, "sf"))
	srv.Env = append(append([]string{}, p.base...), "SYSTEM_SNOWFLAKE_PASSWORD=pw")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	srv.Stderr = stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	lines := bufio.NewScanner(stdout)
	var warehouseURL string
	deadline := time.Now().Add(20 * time.Second)
	for warehouseURL == "" && time.Now().Before(deadline) && lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "export ASSETFLOW_WAREHOUSE='"); ok {
			warehouseURL = strings.TrimSuffix(v, "'")
		}
	}
	if warehouseURL == "" {
		t.Fatalf("no URL printed\n%s", stderr.String())
	}
	r := p.must([]string{"ASSETFLOW_WAREHOUSE=" + warehouseURL, "SYSTEM_SNOWFLAKE_PASSWORD=pw"}, "assets", "--set", "items.base_item_id=60")
	if !strings.Contains(r.stdout, "PRODUCTION.HACKER_NEWS.STORIES") || !strings.Contains(r.stdout, "SUCCESS") {
		t.Errorf("run assets against the double:\n%s", r.stdout)
	}
	const wrong = "Zq9-not-the-password"
	bad := p.run([]string{"ASSETFLOW_WAREHOUSE=" + warehouseURL, "SYSTEM_SNOWFLAKE_PASSWORD=" + wrong}, "assets")
	if strings.Contains(bad.stdout+bad.stderr, wrong) {
		t.Error("a failed login shows the password")
	}
	if bad.code != 1 || !strings.Contains(bad.stderr, "open resource warehouse: snowflake account local: login failed for user ASSETFLOW: incorrect username or password") {
		t.Errorf("wrong password: exit %d\n%s", bad.code, lastLines(bad.stderr, 2))
	}
	if err := srv.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the server exited with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the server did not stop on SIGINT")
	}
	if !strings.Contains(stderr.String(), "THIS IS NOT SNOWFLAKE") {
		t.Errorf("the double does not say it is not Snowflake:\n%s", stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer safe to read while a child process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
