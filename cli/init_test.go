package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/internal/sfserver"
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
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "ASSETFLOW_ENV=", "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// A new project from `run init`, pointed at this checkout, builds, materializes
// its assets on the embedded warehouse, shows its graph and passes its tests.
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
	if !strings.Contains(string(assets), `{{ ref "events" }}`) {
		t.Error("the SQL asset's place is not marked in assets.go")
	}
	checkWorkflows(t, dir)

	goCmd(t, dir, time.Minute, "go", "mod", "edit", "-replace", "github.com/assetflow/assetflow="+checkout)
	goCmd(t, dir, 5*time.Minute, "go", "build", "-o", "sales-flow", ".")
	bin := filepath.Join(dir, "sales-flow")
	run := goCmd(t, dir, 2*time.Minute, bin, "assets", "--log-format", "json")
	for _, want := range []string{"PRODUCTION.SALES_FLOW.EVENTS: 74 rows", "PRODUCTION.SALES_FLOW.DAILY_EVENTS: 14 rows", "SUCCESS"} {
		if !strings.Contains(run, want) {
			t.Errorf("assets output lacks %q:\n%s", want, run)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".assetflow", "warehouse")); err != nil {
		t.Errorf("no embedded warehouse in the project: %v", err)
	}
	graph := goCmd(t, dir, time.Minute, bin, "graph")
	if !strings.Contains(graph, "daily_events  <- events") || !strings.Contains(graph, "PRODUCTION.SALES_FLOW.<ASSET>") {
		t.Errorf("graph:\n%s", graph)
	}
	if runs := goCmd(t, dir, time.Minute, bin, "runs"); !strings.Contains(runs, "SUCCESS") {
		t.Errorf("runs:\n%s", runs)
	}
	// The same binary on the Snowflake backend, against the local double.
	srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: filepath.Join(t.TempDir(), "sf"),
		Users: map[string]string{"CI": "pw"}, Databases: []string{"PRODUCTION"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	sfCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sf := exec.CommandContext(sfCtx, bin, "assets", "--log-format", "json")
	sf.Dir = dir
	sf.Env = append(os.Environ(), "SYSTEM_SNOWFLAKE_PASSWORD=pw", "ASSETFLOW_ENV=prod",
		fmt.Sprintf("ASSETFLOW_WAREHOUSE=snowflake://CI@local?host=127.0.0.1&port=%d&protocol=http", srv.Port()))
	if out, err := sf.CombinedOutput(); err != nil || !strings.Contains(string(out), "PRODUCTION.SALES_FLOW.DAILY_EVENTS: 14 rows") {
		t.Errorf("assets on Snowflake: %v\n%s", err, out)
	}
	test := goCmd(t, dir, 5*time.Minute, "go", "test", "-count=1", "-v", "./...")
	for _, want := range []string{"--- PASS: TestEventsReadsTheBundledCSV", "--- PASS: TestDailyEventsAddsUpEachDay"} {
		if !strings.Contains(test, want) {
			t.Errorf("go test output lacks %q:\n%s", want, test)
		}
	}
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
