package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// processDeadline bounds every process a test starts: generous, it only turns
// a hang into a failure.
const processDeadline = 5 * time.Minute

// binary is the real run command, built once for the tests that drive it as CI
// would.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "assetflow-run")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "run")
	args := []string{"build", "-o", binary, "."}
	if raceEnabled {
		args = []string{"build", "-race", "-o", binary, "."}
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build run: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// project is a working folder with its own warehouse, as a CI runner's checkout.
type project struct {
	t         *testing.T
	dir       string
	base      []string         // environment every command gets
	snowflake *sfserver.Server // nil: the embedded warehouse
}

func newProject(t *testing.T) *project {
	t.Helper()
	dir := t.TempDir()
	snapshot, err := filepath.Abs("../../testdata/hn/items.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return &project{t: t, dir: dir, base: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"ASSETFLOW_WAREHOUSE=duckdb://" + filepath.Join(dir, "wh"),
		"ASSETFLOW_HN_SNAPSHOT=" + snapshot,
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary with extra variables (KEY=VALUE) and arguments.
func (p *project) run(env []string, args ...string) result {
	p.t.Helper()
	cmd := exec.Command(binary, append(args, "--log-format", "json")...)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.base...), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	// A deadline that only turns a hang into a failure; it asserts no speed.
	hang := time.AfterFunc(processDeadline, func() {
		p.t.Errorf("run %s did not end within %s: killed", strings.Join(args, " "), processDeadline)
		_ = cmd.Process.Kill()
	})
	err := cmd.Wait()
	hang.Stop()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// must runs and fails the test unless the command exits 0.
func (p *project) must(env []string, args ...string) result {
	p.t.Helper()
	r := p.run(env, args...)
	if r.code != 0 {
		p.t.Fatalf("run %s: exit %d\n%s\n%s", strings.Join(args, " "), r.code, r.stdout, lastLines(r.stderr, 5))
	}
	return r
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// checksums returns each database file's SHA-256, by name.
func (p *project) checksums() map[string][32]byte {
	p.t.Helper()
	out := map[string][32]byte{}
	entries, _ := os.ReadDir(filepath.Join(p.dir, "wh"))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(p.dir, "wh", e.Name()))
		if err != nil {
			p.t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

// newSnowflakeProject is a project whose warehouse is Snowflake: the local test
// double, reached through the real driver.
func newSnowflakeProject(t *testing.T) *project {
	t.Helper()
	p := newProject(t)
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: filepath.Join(p.dir, "sf"),
		Users: map[string]string{"ASSETFLOW_CI": "ci-password"}, Databases: []string{"PRODUCTION"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p.snowflake = srv
	p.base[2] = fmt.Sprintf("ASSETFLOW_WAREHOUSE=snowflake://ASSETFLOW_CI@local?host=127.0.0.1&port=%d&protocol=http", srv.Port())
	p.base = append(p.base, "SYSTEM_SNOWFLAKE_PASSWORD=ci-password")
	return p
}

// open returns the project's warehouse, as the binary sees it.
func (p *project) open(readOnly string) warehouse.Warehouse {
	p.t.Helper()
	var w warehouse.Warehouse
	var err error
	if p.snowflake != nil {
		w, err = snowflake.Open(context.Background(), snowflake.Config{Account: "local", User: "ASSETFLOW_CI",
			Password: "ci-password", Host: "127.0.0.1", Port: p.snowflake.Port(), Protocol: "http",
			LoginTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second})
	} else {
		w, err = duckdb.Open(context.Background(), duckdb.Config{Dir: filepath.Join(p.dir, "wh"), ReadOnly: []string{readOnly}})
	}
	if err != nil {
		p.t.Fatal(err)
	}
	return w
}

// databases lists the warehouse's databases.
func (p *project) databases() []string {
	p.t.Helper()
	w := p.open("")
	defer w.Close()
	names, err := w.ListDatabases(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return names
}

// rows reads every Hacker News table of a database (opening and closing the
// warehouse, so no lock outlives the call).
func (p *project) rows(db string) map[string][][]any {
	p.t.Helper()
	w := p.open(db)
	defer w.Close()
	out := map[string][][]any{}
	for _, table := range []string{"ITEMS", "COMMENTS", "STORIES"} {
		tbl, err := w.ReadTable(context.Background(), warehouse.TableRef{Database: db, Schema: "HACKER_NEWS", Table: table})
		if err != nil {
			p.t.Fatalf("read %s.%s: %v", db, table, err)
		}
		out[table] = warehousetest.Rows(tbl)
		tbl.Release()
	}
	return out
}

func sameRows(a, b map[string][][]any) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func branch(pr string) []string {
	return []string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=1", "DAGSTER_CLOUD_PULL_REQUEST_ID=" + pr}
}

var prod = []string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=0"}

// stalledRun starts `run assets` against an HN API whose every item takes a
// minute, and returns once n item requests are waiting: a run caught mid-fetch.
func (p *project) stalledRun(n int32, stdout, stderr io.Writer) *exec.Cmd {
	p.t.Helper()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "maxitem.json") {
			w.Write([]byte("500"))
			return
		}
		requests.Add(1)
		select {
		case <-time.After(time.Minute):
		case <-r.Context().Done():
		}
	}))
	p.t.Cleanup(srv.Close)
	cmd := exec.Command(binary, "assets", "--log-format", "json")
	cmd.Dir = p.dir
	cmd.Env = append(p.base[:3:3], "ASSETFLOW_HN_URL="+srv.URL+"/v0")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	for deadline := time.Now().Add(processDeadline); requests.Load() < n; {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			p.t.Fatalf("only %d of %d item requests arrived within %s", requests.Load(), n, processDeadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cmd
}

// together runs the binary once per environment, all at once, and fails the
// test unless every process exits 0.
func (p *project) together(envs [][]string, args ...string) {
	p.t.Helper()
	var wg sync.WaitGroup
	res := make([]result, len(envs))
	for i, env := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = p.run(env, args...)
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.code != 0 {
			p.t.Fatalf("process %d of run %s: exit %d\n%s", i, strings.Join(args, " "), r.code, lastLines(r.stderr, 3))
		}
	}
}
