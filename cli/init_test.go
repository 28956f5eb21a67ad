package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
)

// runInit runs `run init` in process.
func runInit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), cli.App{Name: "run"}, append([]string{"init"}, args...), &out, &errOut,
		func(string) (string, bool) { return "", false })
	return code, out.String(), errOut.String()
}

// goCmd runs the go tool (or a built binary) in dir with the module cache and
// proxy of this machine, and no workspace.
func goCmd(t *testing.T, dir string, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	return goCmdEnv(t, dir, timeout, nil, name, args...)
}

// baseEnv is this process's environment without a workspace and without any
// variable of assetflow, Dagster or Snowflake: unset, not empty, since an empty
// DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT decides prod. Each command adds its own.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "ASSETFLOW_") && !strings.HasPrefix(k, "DAGSTER_") && !strings.Contains(k, "SNOWFLAKE") {
			env = append(env, kv)
		}
	}
	return append(env, "GOFLAGS=-mod=mod", "GOWORK=off")
}

// goCmdEnv is goCmd with variables added to the environment.
func goCmdEnv(t *testing.T, dir string, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// serve starts a long-running command of a built binary, waits (at most two
// minutes) for a line of its output matching pattern and returns the pattern's
// first group. At cleanup the command is interrupted, as Ctrl-C would, and must
// end within 30 seconds.
func serve(t *testing.T, dir string, env []string, pattern, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found, done := make(chan string, 1), make(chan error, 1)
	go func() {
		re := regexp.MustCompile(pattern)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%s %s did not stop on an interrupt", bin, args[0])
		}
	})
	select {
	case v := <-found:
		return v
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("%s %s ended before it was ready: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s %s printed no line matching %q within 2 minutes", bin, strings.Join(args, " "), pattern)
	}
	return ""
}

// A new project from `run init`, pointed at this checkout, builds its own
// binary with every command; it materializes its Go asset and its SQL asset on
// the embedded warehouse and on Snowflake (the binary's own local double), in
// production and in a pull request's clone; every command answers; its tests
// pass.
func TestInitScaffoldsAWorkingProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a new module")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sales-flow")
	code, out, errOut := runInit(t, dir, "--module", "example.com/acme/sales-flow", "--no-tidy")
	if code != 0 || !strings.Contains(out, "schema SALES_FLOW") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	for _, f := range []string{"go.mod", "main.go", "assets.go", "assets_test.go", "data/events.csv", "README.md",
		".github/workflows/assetflow-branch-deployments.yml", ".gitlab-ci.yml", ".gitignore"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("init wrote no %s", f)
		}
	}
	main, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if !strings.Contains(string(main), `cli.Main(cli.App{Name: "sales-flow"`) {
		t.Errorf("main.go does not call cli.Main:\n%s", main)
	}
	assets, _ := os.ReadFile(filepath.Join(dir, "assets.go"))
	if !strings.Contains(string(assets), "sqlasset.Definition{") || !strings.Contains(string(assets), `FROM {{ ref "events" }}`) {
		t.Errorf("assets.go has no SQL asset over events:\n%s", assets)
	}
	checkWorkflows(t, dir)

	goCmd(t, dir, time.Minute, "go", "mod", "edit", "-replace", "github.com/assetflow/assetflow="+checkout)
	goCmd(t, dir, 5*time.Minute, "go", "build", "-o", "sales-flow", ".")
	bin := filepath.Join(dir, "sales-flow")

	help := goCmd(t, dir, time.Minute, bin, "--help")
	for _, c := range []string{"assets", "job", "graph", "list", "runs", "show", "env", "clones", "dev", "ui", "diff", "check", "init"} {
		if !regexp.MustCompile(`(?m)^  ` + c + ` +\S`).MatchString(help) {
			t.Errorf("the project's binary has no command %s:\n%s", c, help)
		}
	}

	// Production on the embedded warehouse: the Go asset reads the CSV, the SQL
	// asset aggregates it inside DuckDB, and its check runs after it.
	lines, days := csvShape(t, filepath.Join(dir, "data", "events.csv"))
	run := goCmd(t, dir, 2*time.Minute, bin, "assets", "--log-format", "json")
	for _, want := range []string{fmt.Sprintf("PRODUCTION.SALES_FLOW.EVENTS: %d rows", lines),
		fmt.Sprintf("PRODUCTION.SALES_FLOW.DAILY_EVENTS: %d rows", days), "daily_events:unique_day", "SUCCESS"} {
		if !strings.Contains(run, want) {
			t.Errorf("assets output lacks %q:\n%s", want, run)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".assetflow", "warehouse")); err != nil {
		t.Errorf("no embedded warehouse in the project: %v", err)
	}
	if plan := goCmd(t, dir, time.Minute, bin, "assets", "--dry-run", "--select", "daily_events"); !strings.Contains(plan, `FROM "PRODUCTION"."SALES_FLOW"."EVENTS"`) {
		t.Errorf("dry run does not print the resolved SQL:\n%s", plan)
	}
	graph := goCmd(t, dir, time.Minute, bin, "graph")
	if !strings.Contains(graph, "daily_events  <- events") || !strings.Contains(graph, "PRODUCTION.SALES_FLOW.<ASSET>") {
		t.Errorf("graph:\n%s", graph)
	}
	var runs []struct {
		ID     string `json:"run_id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(goCmd(t, dir, time.Minute, bin, "runs", "--json")), &runs); err != nil || len(runs) != 1 || runs[0].Status != "SUCCESS" {
		t.Fatalf("runs --json: %+v, %v", runs, err)
	}
	if show := goCmd(t, dir, time.Minute, bin, "show", runs[0].ID); !regexp.MustCompile(fmt.Sprintf(`daily_events +PRODUCTION\.SALES_FLOW\.DAILY_EVENTS +%d `, days)).MatchString(show) {
		t.Errorf("show %s:\n%s", runs[0].ID, show)
	}
	if list := goCmd(t, dir, time.Minute, bin, "list"); !regexp.MustCompile(`daily_events +sales_flow +events .*` + fmt.Sprintf("%d rows", days)).MatchString(list) {
		t.Errorf("list:\n%s", list)
	}
	if env := goCmd(t, dir, time.Minute, bin, "env"); !strings.Contains(env, "environment: local") || !strings.Contains(env, "backend      duckdb") {
		t.Errorf("env:\n%s", env)
	}

	// A pull request's clone: the SQL asset reads and writes PRODUCTION_CLONE_5.
	branch := []string{"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=1", "DAGSTER_CLOUD_PULL_REQUEST_ID=5"}
	goCmdEnv(t, dir, 2*time.Minute, branch, bin, "job", "clone_prod", "--log-format", "json")
	if clones := goCmdEnv(t, dir, time.Minute, branch, bin, "clones"); !regexp.MustCompile(`PRODUCTION_CLONE_5 +5 .* yes`).MatchString(clones) {
		t.Errorf("clones:\n%s", clones)
	}
	if out := goCmdEnv(t, dir, 2*time.Minute, branch, bin, "assets", "--select", "daily_events", "--log-format", "json"); !strings.Contains(out,
		fmt.Sprintf("PRODUCTION_CLONE_5.SALES_FLOW.DAILY_EVENTS: %d rows", days)) {
		t.Errorf("assets in the clone:\n%s", out)
	}
	if diff := goCmdEnv(t, dir, time.Minute, branch, bin, "diff"); !strings.Contains(diff, "PRODUCTION (base) -> PRODUCTION_CLONE_5 (head): 0 of 2 tables changed") {
		t.Errorf("diff:\n%s", diff)
	}
	if check := goCmdEnv(t, dir, time.Minute, branch, bin, "check", "--log-format", "json"); !strings.Contains(check, "checks: 1 passed, 0 failed") {
		t.Errorf("check:\n%s", check)
	}
	goCmdEnv(t, dir, 2*time.Minute, branch, bin, "job", "drop_prod_clone", "--log-format", "json")
	if clones := goCmd(t, dir, time.Minute, bin, "clones"); strings.Contains(clones, "PRODUCTION_CLONE_5") {
		t.Errorf("drop_prod_clone left the clone:\n%s", clones)
	}

	// The web UI serves the project's assets and their last materialization.
	base := strings.TrimSuffix(serve(t, dir, nil, `assetflow UI on (\S+)`, bin, "ui", "--listen", "127.0.0.1:0"), "/")
	checkUIRows(t, base+"/api/assets", "daily_events", int64(days))

	// The same binary on the Snowflake backend, against the double its own dev
	// command serves.
	pw := []string{"SYSTEM_SNOWFLAKE_PASSWORD=pw"}
	sfURL := serve(t, dir, pw, `export ASSETFLOW_WAREHOUSE='([^']+)'`, bin, "dev", "snowflake-server", "--dir", filepath.Join(t.TempDir(), "sf"))
	sf := append(pw, "ASSETFLOW_ENV=prod", "ASSETFLOW_WAREHOUSE="+sfURL)
	out = goCmdEnv(t, dir, 2*time.Minute, sf, bin, "assets", "--log-format", "json")
	for _, want := range []string{fmt.Sprintf("PRODUCTION.SALES_FLOW.EVENTS: %d rows", lines),
		fmt.Sprintf("PRODUCTION.SALES_FLOW.DAILY_EVENTS: %d rows", days), "checks: 1 passed, 0 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("assets on Snowflake lack %q:\n%s", want, out)
		}
	}
	if env := goCmdEnv(t, dir, time.Minute, sf, bin, "env"); !strings.Contains(env, "backend      snowflake") {
		t.Errorf("env on Snowflake:\n%s", env)
	}

	if h := goCmd(t, dir, time.Minute, bin, "init", "--help"); !strings.Contains(h, "init DIR") {
		t.Errorf("init --help:\n%s", h)
	}
	test := goCmd(t, dir, 5*time.Minute, "go", "test", "-count=1", "-v", "./...")
	for _, want := range []string{"--- PASS: TestEventsReadsTheBundledCSV", "--- PASS: TestDailyEventsAddsUpEachDay"} {
		if !strings.Contains(test, want) {
			t.Errorf("go test output lacks %q:\n%s", want, test)
		}
	}
}

// csvShape reads the project's CSV on its own: its events and distinct days.
func csvShape(t *testing.T, path string) (events, days int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		seen[r[0]] = true
	}
	if len(recs) < 3 || len(seen) < 2 || len(seen) == len(recs)-1 {
		t.Fatalf("the CSV makes a poor test: %d events on %d days", len(recs)-1, len(seen))
	}
	return len(recs) - 1, len(seen)
}

// checkUIRows asks the UI's JSON API for the assets and checks asset's rows.
func checkUIRows(t *testing.T, url, asset string, rows int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Graph engine.GraphView `json:"graph"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	for _, a := range body.Graph.Assets {
		if a.Name == asset {
			if a.Status == nil || a.Status.Rows != rows {
				t.Errorf("the UI shows %s with status %+v, want %d rows", asset, a.Status, rows)
			}
			return
		}
	}
	t.Errorf("the UI does not show %s: %+v", asset, body.Graph.Assets)
}

// The workflows run jobs that exist, with the go run of the project.
func checkWorkflows(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{".github/workflows/assetflow-branch-deployments.yml", ".gitlab-ci.yml"} {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Errorf("%s is not YAML: %v", f, err)
		}
		for _, want := range []string{"go run . job clone_prod", "go run . job drop_prod_clone", "go run . assets", "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT"} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("%s lacks %q", f, want)
			}
		}
		if strings.Contains(string(raw), "cmd/run") {
			t.Errorf("%s still runs the Hacker News project's cmd/run", f)
		}
	}
}

func TestInitRefusals(t *testing.T) {
	base := t.TempDir()
	full := filepath.Join(base, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(full, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{full}, "already exists and is not empty"},
		{[]string{filepath.Join(base, "Bad Name")}, `project name "bad name"`},
		{[]string{filepath.Join(base, "ok"), "--module", "../evil"}, `--module "../evil"`},
		{[]string{filepath.Join(base, "ok2"), "--assetflow", base}, "no go.mod there"},
		{nil, "expected one folder"},
	}
	for _, tc := range cases {
		code, _, errOut := runInit(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("init %v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Error("init touched a folder it refused")
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 {
		t.Errorf("refused inits left %d entries in %s", len(entries), base)
	}
	// An empty folder is accepted and filled.
	empty := filepath.Join(base, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runInit(t, empty, "--no-tidy"); code != 0 {
		t.Fatalf("empty folder: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(empty, "main.go")); err != nil {
		t.Error("empty folder not filled")
	}
	// "." names the project after the current folder.
	dot := filepath.Join(base, "dot-proj")
	if err := os.Mkdir(dot, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dot)
	if code, out, errOut := runInit(t, ".", "--no-tidy"); code != 0 || !strings.Contains(out, "schema DOT_PROJ") {
		t.Fatalf("init .: exit %d: %s%s", code, out, errOut)
	}
	if main, err := os.ReadFile(filepath.Join(dot, "main.go")); err != nil || !strings.Contains(string(main), `Name: "dot-proj"`) {
		t.Errorf("init . wrote main.go %q, %v", main, err)
	}
	if left, _ := filepath.Glob(filepath.Join(base, ".*init-*")); len(left) != 0 {
		t.Errorf("temporary folders left: %v", left)
	}
}

// A checkout path with a space still makes a go.mod the go tool reads.
func TestInitReplaceWithASpace(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	link := filepath.Join(base, "my checkout")
	if err := os.Symlink(checkout, link); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "proj")
	if code, _, errOut := runInit(t, dir, "--assetflow", link, "--no-tidy"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	out := goCmd(t, dir, time.Minute, "go", "mod", "edit", "-json")
	var mod struct {
		Replace []struct{ New struct{ Path string } }
	}
	if err := json.Unmarshal([]byte(out), &mod); err != nil {
		t.Fatal(err)
	}
	if len(mod.Replace) != 1 || mod.Replace[0].New.Path != link {
		t.Errorf("replace %+v, want %q", mod.Replace, link)
	}
}
