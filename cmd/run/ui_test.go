package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// uiProcess is `run ui` running as its own process.
type uiProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	csrf string
}

// startUI starts the binary's ui command on a free loopback port and waits for
// the URL it prints.
func (p *project) startUI(env []string, args ...string) *uiProcess {
	p.t.Helper()
	cmd := exec.Command(binary, append([]string{"ui", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.base...), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	u := &uiProcess{t: p.t, cmd: cmd}
	p.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(sc.Text()); m != "" {
				found <- m
			}
		}
		close(found)
	}()
	select {
	case u.url = <-found:
	case <-time.After(60 * time.Second):
		p.t.Fatal("run ui printed no URL within 60s")
	}
	if u.url == "" {
		p.t.Fatal("run ui ended without printing its URL")
	}
	var tok struct{ Token string }
	u.get("/api/csrf", &tok)
	u.csrf = tok.Token
	return u
}

func (u *uiProcess) get(path string, out any) {
	u.t.Helper()
	res, err := http.Get(u.url + path)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		u.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		u.t.Fatal(err)
	}
}

func (u *uiProcess) post(path, body string) (int, string) {
	u.t.Helper()
	req, _ := http.NewRequest("POST", u.url+path, strings.NewReader(body))
	req.Header.Set("X-CSRF-Token", u.csrf)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type uiRun struct {
	ID     string `json:"run_id"`
	Status string `json:"status"`
	Steps  []struct {
		Node, Status string
	} `json:"steps"`
	Materializations []struct {
		Asset string `json:"asset"`
		Rows  int64  `json:"rows"`
	} `json:"materializations"`
}

// waitRun polls the API until the run has ended.
func (u *uiProcess) waitRun(id string) uiRun {
	u.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var r uiRun
		u.get("/api/runs/"+id, &r)
		if r.Status != "STARTED" {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	u.t.Fatalf("run %s did not end within 90s", id)
	return uiRun{}
}

// TestUILaunchesRunsAsTheCLIDoes drives the real binary: the UI shows the Hacker
// News graph, launches a run in its own process exactly as run assets does
// (same store, same warehouse), sees a run of another process, and stops on
// SIGINT.
func TestUILaunchesRunsAsTheCLIDoes(t *testing.T) {
	p := newProject(t)
	u := p.startUI(nil)
	var assets struct {
		Graph struct {
			Assets []struct {
				Name string   `json:"name"`
				Deps []string `json:"deps"`
			} `json:"assets"`
		} `json:"graph"`
		States map[string]struct{ State string } `json:"states"`
	}
	u.get("/api/assets", &assets)
	deps := map[string]string{}
	for _, a := range assets.Graph.Assets {
		deps[a.Name] = strings.Join(a.Deps, ",")
	}
	if deps["items"] != "" || deps["comments"] != "items" || deps["stories"] != "items" || assets.States["items"].State != "never" {
		t.Fatalf("graph %v states %v, want items -> comments, stories, never materialized", deps, assets.States)
	}
	code, body := u.post("/api/launch", `{"kind":"assets","selection":"*","config":"ops:\n  items:\n    config:\n      base_item_id: 50\n"}`)
	if code != 202 {
		t.Fatalf("launch: %d %s", code, body)
	}
	var launched struct {
		RunID string `json:"run_id"`
	}
	_ = json.Unmarshal([]byte(body), &launched)
	r := u.waitRun(launched.RunID)
	if r.Status != "SUCCESS" || len(r.Materializations) != 3 {
		t.Fatalf("UI run %+v", r)
	}
	// A run of another process shows up.
	out := p.must(nil, "assets", "--select", "items")
	cliID := regexp.MustCompile(`run ([0-9a-f]{16}) `).FindStringSubmatch(out.stdout)
	if cliID == nil {
		t.Fatalf("no run id in %q", out.stdout)
	}
	var runs []uiRun
	u.get("/api/runs", &runs)
	if len(runs) != 2 || runs[0].ID != cliID[1] || runs[1].ID != launched.RunID {
		t.Errorf("runs %+v, want the CLI's %s then the UI's %s", runs, cliID[1], launched.RunID)
	}
	// The CLI sees the UI's run in the same store.
	if show := p.must(nil, "show", launched.RunID); !strings.Contains(show.stdout, "SUCCESS") {
		t.Errorf("run show of the UI's run: %s", show.stdout)
	}
	// Re-executing a successful run is refused as --from-failure refuses it.
	if code, body := u.post("/api/runs/"+launched.RunID+"/reexecute", ""); code != 400 || !strings.Contains(body, "nothing to re-execute") {
		t.Errorf("re-execute a success: %d %s", code, body)
	}
	if err := u.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- u.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run ui after SIGINT: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run ui did not stop within 30s of SIGINT")
	}
}

func TestUIRefusesUnsafeStarts(t *testing.T) {
	p := newProject(t)
	r := p.run(nil, "ui", "--listen", "0.0.0.0:0")
	if r.code != 2 || !strings.Contains(r.stderr, "ASSETFLOW_UI_TOKEN") {
		t.Errorf("ui on 0.0.0.0 without a token: exit %d, %s", r.code, lastLines(r.stderr, 2))
	}
	r = p.run(nil, "ui", "--listen", "nonsense")
	if r.code != 2 || !strings.Contains(r.stderr, "nonsense") {
		t.Errorf("ui --listen nonsense: exit %d, %s", r.code, lastLines(r.stderr, 2))
	}
	u := p.startUI(nil, "--read-only")
	if code, body := u.post("/api/launch", `{"kind":"assets"}`); code != 403 || !strings.Contains(body, "read-only") {
		t.Errorf("launch on a read-only UI: %d %s", code, body)
	}
	if _, err := os.Stat(p.dir + "/wh/PRODUCTION.duckdb"); err == nil {
		t.Error("a refused launch wrote the warehouse")
	}
}

// TestUIInBranchWritesOnlyTheClone launches runs from a branch deployment's UI:
// clone_prod makes PR 42's clone, and materializing writes only into it; the
// PRODUCTION file stays byte for byte the same, as with the CLI.
func TestUIInBranchWritesOnlyTheClone(t *testing.T) {
	p := newProject(t)
	p.must(prod, "assets")
	production := p.rows("PRODUCTION")
	before := p.checksums()
	u := p.startUI(branch("42"))
	var env struct {
		Name     string `json:"environment"`
		Database string `json:"database"`
	}
	u.get("/api/env", &env)
	if env.Name != "branch" || env.Database != "PRODUCTION_CLONE_42" {
		t.Fatalf("env %+v, want branch on PRODUCTION_CLONE_42", env)
	}
	for _, body := range []string{`{"kind":"job","job":"clone_prod"}`,
		`{"kind":"assets","config":"ops:\n  items:\n    config:\n      base_item_id: 100\n"}`} {
		code, text := u.post("/api/launch", body)
		if code != 202 {
			t.Fatalf("launch %s: %d %s", body, code, text)
		}
		var ans struct {
			RunID string `json:"run_id"`
		}
		_ = json.Unmarshal([]byte(text), &ans)
		if r := u.waitRun(ans.RunID); r.Status != "SUCCESS" {
			t.Fatalf("run %s: %+v", body, r)
		}
	}
	if after := p.checksums(); after["PRODUCTION.duckdb"] != before["PRODUCTION.duckdb"] {
		t.Error("a run launched from the branch UI changed PRODUCTION's file")
	}
	if n := len(p.rows("PRODUCTION_CLONE_42")["ITEMS"]); n == 0 || n >= len(production["ITEMS"]) {
		t.Errorf("the clone has %d items after base_item_id=100 (production %d)", n, len(production["ITEMS"]))
	}
	var clones []struct {
		Name string `json:"name"`
	}
	u.get("/api/clones", &clones)
	if len(clones) != 1 || clones[0].Name != "PRODUCTION_CLONE_42" {
		t.Errorf("clones %+v", clones)
	}
}
