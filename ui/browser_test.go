package ui

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var screenshots = flag.Bool("screenshots", false, "rewrite the screenshots under docs/ from the browser tests")

// chromiumPath finds Chromium. Without it the browser tests skip, except in CI
// (CI=true), where a missing browser is a failure.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("ASSETFLOW_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browser tests: Chromium not found, and CI=true: install it (apt-get install -y chromium) or set ASSETFLOW_CHROMIUM")
	}
	t.Skip("browser tests skipped: Chromium not found (apt-get install -y chromium, or set ASSETFLOW_CHROMIUM); in CI they fail instead")
	return ""
}

// browser is one headless Chromium tab with its console recorded.
type browser struct {
	t       testing.TB
	ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser starts Debian's Chromium with a fresh profile; it stops with the test.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	return b
}

// do runs actions with a deadline, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v (console: %v)", what, err, b.errors())
	}
}

// eval evaluates JavaScript and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy, at most timeout. It
// evaluates again after errors, so it survives the page navigating meanwhile.
func (b *browser) waitJS(what, expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("browser: %s: not true within %s: %s (last error %v, console %v)", what, timeout, expr, last, b.errors())
}

// input sets a form field's value as typing would, firing its input and
// change events.
func (b *browser) input(sel, value string) {
	b.t.Helper()
	v, _ := json.Marshal(value)
	q, _ := json.Marshal(sel)
	eval[bool](b, `(() => { const e = document.querySelector(`+string(q)+`); e.value = `+string(v)+`;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
}

// forgetConsole drops the messages so far, after a step that logs an error on
// purpose (a refused request).
func (b *browser) forgetConsole() {
	b.mu.Lock()
	b.console = nil
	b.mu.Unlock()
}

// open navigates and waits until the page's script has run.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url))
	b.waitJS("page ready "+url, `document.body && document.body.dataset.ready === "1"`, 20*time.Second)
}

// errors returns the console errors and exceptions so far.
func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			out = append(out, m.String())
		}
	}
	return out
}

func (b *browser) noConsoleErrors(where string) {
	b.t.Helper()
	time.Sleep(50 * time.Millisecond) // let the last messages arrive
	if errs := b.errors(); len(errs) > 0 {
		b.t.Errorf("%s: console errors: %v", where, errs)
	}
}

func (b *browser) noInjectedScript(where string) {
	b.t.Helper()
	if v := eval[string](b, `String(window.__xss)`); v != "undefined" {
		b.t.Errorf("%s: injected script ran (window.__xss = %s)", where, v)
	}
}

// screenshot writes docs/<name>.png when -screenshots is given.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if !*screenshots {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", "ui-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func TestBrowserPagesLoadWithoutConsoleErrors(t *testing.T) {
	f := newFixture(t, nil)
	ok := f.launchAndWait(`{"kind":"assets","selection":"items,comments,stories"}`)
	f.launchAndWait(`{"kind":"assets","selection":"items,comments,stories","config":"ops:\n  items:\n    config:\n      base_item_id: 140\n"}`)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items+,flaky"}`)
	b := newBrowser(t)
	pages := []struct{ path, shot string }{
		{"/assets", "assets"}, {"/assets?collapsed=all", ""}, {"/assets/items", "asset"}, {"/runs", "runs"},
		{"/runs/" + bad.ID, "run"}, {"/runs/" + ok.ID, ""}, {"/jobs", "jobs"}, {"/launchpad", "launchpad"},
		{"/clones?older_than=14d", "clones"}, {"/env", "env"},
	}
	for _, p := range pages {
		b.open(f.http.URL + p.path)
		if strings.HasPrefix(p.path, "/runs/") {
			b.waitJS("run page ended", `document.body.dataset.ended === "1"`, 20*time.Second)
		}
		b.noConsoleErrors(p.path)
		b.noInjectedScript(p.path)
		if p.shot != "" {
			b.screenshot(p.shot)
		}
	}
}

func TestBrowserGraphShowsLineageLeftToRight(t *testing.T) {
	f := newFixture(t, nil)
	f.launchAndWait(`{"kind":"assets","selection":"items,comments"}`)
	b := newBrowser(t)
	b.open(f.http.URL + "/assets")
	type box struct {
		X     float64
		State string
	}
	boxes := eval[map[string]box](b, `Object.fromEntries([...document.querySelectorAll("#graph .node")].map(g =>
		[g.dataset.name, {X: g.transform.baseVal[0].matrix.e, State: [...g.classList].find(c => c.startsWith("state-")).slice(6)}]))`)
	edges := eval[[]string](b, `[...document.querySelectorAll("#graph .edges path")].map(p => p.dataset.from + "->" + p.dataset.to)`)
	for _, e := range []string{"items->comments", "items->stories"} {
		if !strings.Contains(strings.Join(edges, " "), e) {
			t.Errorf("graph lacks the edge %s (edges %v)", e, edges)
		}
	}
	if !(boxes["items"].X < boxes["comments"].X && boxes["comments"].X == boxes["stories"].X) {
		t.Errorf("boxes %v: items should stand left of comments and stories, which share a column", boxes)
	}
	if boxes["items"].State != StateFresh || boxes["comments"].State != StateFresh || boxes["stories"].State != StateNever {
		t.Errorf("states %v", boxes)
	}
	// The search box takes the CLI's selection syntax.
	b.do("search", chromedp.SendKeys("#search-q", "items+"), chromedp.Click("#search button[type=submit]"))
	b.waitJS("selection shown", `document.querySelectorAll("#graph .node.selected").length === 4`, 10*time.Second)
	b.input("#search-q", "storiez")
	b.do("bad search", chromedp.Click("#search button[type=submit]"))
	b.waitJS("selection error shown", `document.getElementById("msg").textContent.includes("stories")`, 10*time.Second)
	b.forgetConsole() // the refused request (400) is logged by the browser
	// Select one box, materialize it: the run page follows it to SUCCESS.
	b.do("clear", chromedp.Click("#clear-sel"))
	b.do("select stories", chromedp.Click(`#graph .node[data-name="stories"] rect`))
	b.waitJS("one selected", `document.getElementById("sel-count").textContent === "1 selected"`, 10*time.Second)
	b.do("materialize", chromedp.Click("#mat-selected"))
	b.waitJS("run page", `location.pathname.startsWith("/runs/") && document.getElementById("run-status") !== null`, 20*time.Second)
	b.waitJS("run succeeded", `document.getElementById("run-status").textContent === "SUCCESS"`, 20*time.Second)
	b.noConsoleErrors("assets page")
}

func TestBrowserLaunchpadRunReachesSuccessLive(t *testing.T) {
	f := newFixture(t, nil)
	b := newBrowser(t)
	b.open(f.http.URL + "/launchpad?kind=assets&selection=items,comments,stories")
	b.waitJS("defaults validated", `document.body.dataset.validated === "ok"`, 10*time.Second)
	if text := eval[string](b, `document.getElementById("lp-config").value`); !strings.Contains(text, "base_item_id: 100") {
		t.Fatalf("editor not prefilled with the defaults: %q", text)
	}
	// A bad value is refused by the same validation as --config, beside its line.
	bad := "ops:\n  items:\n    config:\n      base_item_id: -4\n"
	b.input("#lp-config", bad)
	b.waitJS("error beside line 4", `(document.querySelector('#lp-notes [data-line="4"]') || {}).textContent?.includes("base_item_id = -4")`, 10*time.Second)
	if runs, _ := f.store.Runs(context.Background(), 5); len(runs) != 0 {
		t.Fatal("validation ran something")
	}
	b.screenshot("launchpad-error")
	// A dry run shows the plan.
	good := "ops:\n  items:\n    config:\n      base_item_id: 7\n      sleep_ms: 700\n"
	b.forgetConsole() // the refused validation (400) is logged by the browser
	b.input("#lp-config", good)
	b.waitJS("valid", `document.body.dataset.validated === "ok"`, 10*time.Second)
	b.do("dry run", chromedp.Click("#lp-dryrun"))
	b.waitJS("plan shown", `document.getElementById("lp-steps").children.length === 3`, 10*time.Second)
	b.do("launch", chromedp.Click("#lp-launch"))
	b.waitJS("run page shows it running", `location.pathname.startsWith("/runs/") && document.getElementById("run-status")?.textContent === "STARTED"`, 20*time.Second)
	eval[bool](b, `window.__stayed = true`) // gone if the page reloads
	b.waitJS("run reaches SUCCESS live", `document.getElementById("run-status").textContent === "SUCCESS"`, 20*time.Second)
	if !eval[bool](b, `window.__stayed === true`) {
		t.Error("the run page reloaded instead of updating live")
	}
	b.waitJS("steps updated", `[...document.querySelectorAll("#steps .badge")].every(b => b.textContent === "SUCCESS")`, 10*time.Second)
	bars := eval[int](b, `document.querySelectorAll("#gantt rect").length`)
	if bars != 3 {
		t.Errorf("Gantt has %d bars, want 3", bars)
	}
	ans, err := f.srv.asset(context.Background(), "items")
	if err != nil || len(ans.Versions) != 1 || ans.Versions[0].Rows != 7 {
		t.Errorf("the launched run did not store items with the config: %+v %v", ans, err)
	}
	b.noConsoleErrors("launchpad and run page")
}

func TestBrowserFailingRunShowsErrorAndReexecutes(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken,flaky"}`)
	b := newBrowser(t)
	b.open(f.http.URL + "/runs/" + bad.ID)
	b.waitJS("ended", `document.body.dataset.ended === "1"`, 20*time.Second)
	text := eval[string](b, `document.getElementById("failures").innerText`)
	if !strings.Contains(text, "broken failed") || !strings.Contains(text, "broke: <img src=x") {
		t.Errorf("failure box: %q", text)
	}
	// flaky failed once and then succeeded: two bars, the first a retry.
	kinds := eval[[]string](b, `[...document.querySelectorAll("#gantt rect")].map(r => r.getAttribute("class"))`)
	if strings.Count(strings.Join(kinds, " "), "bar-RETRY") != 1 {
		t.Errorf("Gantt bars %v, want one retry bar for flaky", kinds)
	}
	// The event log filters by level.
	b.input("#f-level", "error")
	shown := eval[[]string](b, `[...document.querySelectorAll("#events tbody tr:not(.hidden)")].map(r => r.children[2].textContent)`)
	if len(shown) == 0 || strings.Contains(strings.Join(shown, " "), "STEP_START") {
		t.Errorf("error filter shows %v", shown)
	}
	b.noInjectedScript("failed run page")
	b.do("re-execute", chromedp.Click("#reexecute"))
	b.waitJS("new run page", `location.pathname !== "/runs/`+bad.ID+`" && document.body.dataset.ended === "1"`, 20*time.Second)
	steps := eval[[]string](b, `[...document.querySelectorAll("#steps tr[data-step]")].map(r => r.dataset.step)`)
	if strings.Join(steps, ",") != "broken" {
		t.Errorf("re-execution ran %v, want only the failed step", steps)
	}
	b.noConsoleErrors("failed run pages")
}

func TestBrowserInjectedScriptsDoNotRun(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken"}`)
	b := newBrowser(t)
	for _, p := range []string{"/assets/broken", "/assets/items", "/runs/" + bad.ID, "/runs", "/assets"} {
		b.open(f.http.URL + p)
		if strings.HasPrefix(p, "/runs/") {
			b.waitJS("ended", `document.body.dataset.ended === "1"`, 20*time.Second)
		}
		b.noInjectedScript(p)
		if n := eval[int](b, `document.querySelectorAll("main script, main img").length`); n != 0 {
			t.Errorf("%s: %d script or img elements made from data", p, n)
		}
	}
	b.open(f.http.URL + "/assets/broken")
	if desc := eval[string](b, `document.querySelector(".description").textContent`); desc != hostile {
		t.Errorf("description shown as %q, want the text itself", desc)
	}
	b.open(f.http.URL + "/assets/items")
	if !strings.Contains(eval[string](b, `document.querySelector("main").innerText`), hostile) {
		t.Error("the item title in metadata is not shown as text")
	}
	b.noConsoleErrors("pages with hostile data")
}

func TestBrowserLiveFailureOffersReexecute(t *testing.T) {
	f := newFixture(t, nil)
	var ans LaunchAnswer
	if code, body := f.post("/api/launch", `{"kind":"assets","selection":"gated,items,broken"}`, &ans); code != 202 {
		t.Fatalf("launch: %d %s", code, body)
	}
	b := newBrowser(t)
	b.open(f.http.URL + "/runs/" + ans.RunID)
	// broken fails while gated still waits: its error shows during the run.
	b.waitJS("failure shown live", `document.getElementById("failures").innerText.includes("broken failed")`, 20*time.Second)
	if status := eval[string](b, `document.getElementById("run-status").textContent`); status != "STARTED" {
		t.Fatalf("run status %q while gated waits", status)
	}
	if !eval[bool](b, `document.getElementById("reexecute").hidden`) {
		t.Error("re-execute is offered while the run is still going")
	}
	close(f.gate)
	b.waitJS("run failed", `document.getElementById("run-status").textContent === "FAILURE"`, 20*time.Second)
	b.waitJS("re-execute offered", `!document.getElementById("reexecute").hidden && document.getElementById("reexecute").offsetParent !== null`, 10*time.Second)
	b.noInjectedScript("live failed run")
	b.noConsoleErrors("live failed run")
}
