package ui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/assetflow/assetflow/internal/browsertest"
)

var screenshots = flag.Bool("screenshots", false, "rewrite the screenshots under docs/ from the browser tests")

func noInjectedScript(b *browsertest.Browser, where string) {
	b.T().Helper()
	if v := browsertest.Eval[string](b, `String(window.__xss)`); v != "undefined" {
		b.T().Errorf("%s: injected script ran (window.__xss = %s)", where, v)
	}
}

// screenshot writes docs/<name>.png when -screenshots is given.
func screenshot(b *browsertest.Browser, name string) {
	b.T().Helper()
	if !*screenshots {
		return
	}
	ctx, cancel := context.WithTimeout(b.Ctx(), 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.T().Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", "ui-"+name+".png"), png, 0o644); err != nil {
		b.T().Fatal(err)
	}
}

func TestBrowserPagesLoadWithoutConsoleErrors(t *testing.T) {
	f := newFixture(t, nil)
	ok := f.launchAndWait(`{"kind":"assets","selection":"items,comments,stories"}`)
	f.launchAndWait(`{"kind":"assets","selection":"items,comments,stories","config":"ops:\n  items:\n    config:\n      base_item_id: 140\n"}`)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items+,flaky"}`)
	b := browsertest.New(t)
	pages := []struct{ path, shot string }{
		{"/assets", "assets"}, {"/assets?collapsed=all", ""}, {"/assets/items", "asset"}, {"/runs", "runs"},
		{"/runs/" + bad.ID, "run"}, {"/runs/" + ok.ID, ""}, {"/jobs", "jobs"}, {"/launchpad", "launchpad"},
		{"/clones?older_than=14d", "clones"}, {"/env", "env"},
	}
	for _, p := range pages {
		b.Open(f.http.URL + p.path)
		if strings.HasPrefix(p.path, "/runs/") {
			b.WaitJS("run page ended", `document.body.dataset.ended === "1"`, 20*time.Second)
		}
		b.NoConsoleErrors(p.path)
		noInjectedScript(b, p.path)
		if p.shot != "" {
			screenshot(b, p.shot)
		}
	}
}

func TestBrowserGraphShowsLineageLeftToRight(t *testing.T) {
	f := newFixture(t, nil)
	f.launchAndWait(`{"kind":"assets","selection":"items,comments"}`)
	b := browsertest.New(t)
	b.Open(f.http.URL + "/assets")
	type box struct {
		X     float64
		State string
	}
	boxes := browsertest.Eval[map[string]box](b, `Object.fromEntries([...document.querySelectorAll("#graph .node")].map(g =>
		[g.dataset.name, {X: g.transform.baseVal[0].matrix.e, State: [...g.classList].find(c => c.startsWith("state-")).slice(6)}]))`)
	edges := browsertest.Eval[[]string](b, `[...document.querySelectorAll("#graph .edges path")].map(p => p.dataset.from + "->" + p.dataset.to)`)
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
	b.Do("search", chromedp.SendKeys("#search-q", "items+"), chromedp.Click("#search button[type=submit]"))
	b.WaitJS("selection shown", `document.querySelectorAll("#graph .node.selected").length === 4`, 10*time.Second)
	b.Input("#search-q", "storiez")
	b.Do("bad search", chromedp.Click("#search button[type=submit]"))
	b.WaitJS("selection error shown", `document.getElementById("msg").textContent.includes("stories")`, 10*time.Second)
	b.ForgetConsole() // the refused request (400) is logged by the browser
	// Select one box, materialize it: the run page follows it to SUCCESS.
	b.Do("clear", chromedp.Click("#clear-sel"))
	b.Do("select stories", chromedp.Click(`#graph .node[data-name="stories"] rect`))
	b.WaitJS("one selected", `document.getElementById("sel-count").textContent === "1 selected"`, 10*time.Second)
	b.Do("materialize", chromedp.Click("#mat-selected"))
	b.WaitJS("run page", `location.pathname.startsWith("/runs/") && document.getElementById("run-status") !== null`, 20*time.Second)
	b.WaitJS("run succeeded", `document.getElementById("run-status").textContent === "SUCCESS"`, 20*time.Second)
	b.NoConsoleErrors("assets page")
}

func TestBrowserLaunchpadRunReachesSuccessLive(t *testing.T) {
	f := newFixture(t, nil)
	b := browsertest.New(t)
	b.Open(f.http.URL + "/launchpad?kind=assets&selection=items,comments,stories")
	b.WaitJS("defaults validated", `document.body.dataset.validated === "ok"`, 10*time.Second)
	if text := browsertest.Eval[string](b, `document.getElementById("lp-config").value`); !strings.Contains(text, "base_item_id: 100") {
		t.Fatalf("editor not prefilled with the defaults: %q", text)
	}
	// A bad value is refused by the same validation as --config, beside its line.
	bad := "ops:\n  items:\n    config:\n      base_item_id: -4\n"
	b.Input("#lp-config", bad)
	b.WaitJS("error beside line 4", `(document.querySelector('#lp-notes [data-line="4"]') || {}).textContent?.includes("base_item_id = -4")`, 10*time.Second)
	if runs, _ := f.store.Runs(context.Background(), 5); len(runs) != 0 {
		t.Fatal("validation ran something")
	}
	screenshot(b, "launchpad-error")
	// A dry run shows the plan.
	good := "ops:\n  items:\n    config:\n      base_item_id: 7\n      sleep_ms: 700\n"
	b.ForgetConsole() // the refused validation (400) is logged by the browser
	b.Input("#lp-config", good)
	b.WaitJS("valid", `document.body.dataset.validated === "ok"`, 10*time.Second)
	b.Do("dry run", chromedp.Click("#lp-dryrun"))
	b.WaitJS("plan shown", `document.getElementById("lp-steps").children.length === 3`, 10*time.Second)
	b.Do("launch", chromedp.Click("#lp-launch"))
	b.WaitJS("run page shows it running", `location.pathname.startsWith("/runs/") && document.getElementById("run-status")?.textContent === "STARTED"`, 20*time.Second)
	browsertest.Eval[bool](b, `window.__stayed = true`) // gone if the page reloads
	b.WaitJS("run reaches SUCCESS live", `document.getElementById("run-status").textContent === "SUCCESS"`, 20*time.Second)
	if !browsertest.Eval[bool](b, `window.__stayed === true`) {
		t.Error("the run page reloaded instead of updating live")
	}
	b.WaitJS("steps updated", `[...document.querySelectorAll("#steps .badge")].every(b => b.textContent === "SUCCESS")`, 10*time.Second)
	bars := browsertest.Eval[int](b, `document.querySelectorAll("#gantt rect").length`)
	if bars != 3 {
		t.Errorf("Gantt has %d bars, want 3", bars)
	}
	ans, err := f.srv.asset(context.Background(), "items")
	if err != nil || len(ans.Versions) != 1 || ans.Versions[0].Rows != 7 {
		t.Errorf("the launched run did not store items with the config: %+v %v", ans, err)
	}
	b.NoConsoleErrors("launchpad and run page")
}

func TestBrowserFailingRunShowsErrorAndReexecutes(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken,flaky"}`)
	b := browsertest.New(t)
	b.Open(f.http.URL + "/runs/" + bad.ID)
	b.WaitJS("ended", `document.body.dataset.ended === "1"`, 20*time.Second)
	text := browsertest.Eval[string](b, `document.getElementById("failures").innerText`)
	if !strings.Contains(text, "broken failed") || !strings.Contains(text, "broke: <img src=x") {
		t.Errorf("failure box: %q", text)
	}
	// flaky failed once and then succeeded: two bars, the first a retry.
	kinds := browsertest.Eval[[]string](b, `[...document.querySelectorAll("#gantt rect")].map(r => r.getAttribute("class"))`)
	if strings.Count(strings.Join(kinds, " "), "bar-RETRY") != 1 {
		t.Errorf("Gantt bars %v, want one retry bar for flaky", kinds)
	}
	// The event log filters by level.
	b.Input("#f-level", "error")
	shown := browsertest.Eval[[]string](b, `[...document.querySelectorAll("#events tbody tr:not(.hidden)")].map(r => r.children[2].textContent)`)
	if len(shown) == 0 || strings.Contains(strings.Join(shown, " "), "STEP_START") {
		t.Errorf("error filter shows %v", shown)
	}
	noInjectedScript(b, "failed run page")
	b.Do("re-execute", chromedp.Click("#reexecute"))
	b.WaitJS("new run page", `location.pathname !== "/runs/`+bad.ID+`" && document.body.dataset.ended === "1"`, 20*time.Second)
	steps := browsertest.Eval[[]string](b, `[...document.querySelectorAll("#steps tr[data-step]")].map(r => r.dataset.step)`)
	if strings.Join(steps, ",") != "broken" {
		t.Errorf("re-execution ran %v, want only the failed step", steps)
	}
	b.NoConsoleErrors("failed run pages")
}

func TestBrowserInjectedScriptsDoNotRun(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken"}`)
	b := browsertest.New(t)
	for _, p := range []string{"/assets/broken", "/assets/items", "/runs/" + bad.ID, "/runs", "/assets"} {
		b.Open(f.http.URL + p)
		if strings.HasPrefix(p, "/runs/") {
			b.WaitJS("ended", `document.body.dataset.ended === "1"`, 20*time.Second)
		}
		noInjectedScript(b, p)
		if n := browsertest.Eval[int](b, `document.querySelectorAll("main script, main img").length`); n != 0 {
			t.Errorf("%s: %d script or img elements made from data", p, n)
		}
	}
	b.Open(f.http.URL + "/assets/broken")
	if desc := browsertest.Eval[string](b, `document.querySelector(".description").textContent`); desc != hostile {
		t.Errorf("description shown as %q, want the text itself", desc)
	}
	b.Open(f.http.URL + "/assets/items")
	if !strings.Contains(browsertest.Eval[string](b, `document.querySelector("main").innerText`), hostile) {
		t.Error("the item title in metadata is not shown as text")
	}
	b.NoConsoleErrors("pages with hostile data")
}

func TestBrowserLiveFailureOffersReexecute(t *testing.T) {
	f := newFixture(t, nil)
	var ans LaunchAnswer
	if code, body := f.post("/api/launch", `{"kind":"assets","selection":"gated,items,broken"}`, &ans); code != 202 {
		t.Fatalf("launch: %d %s", code, body)
	}
	b := browsertest.New(t)
	b.Open(f.http.URL + "/runs/" + ans.RunID)
	// broken fails while gated still waits: its error shows during the run.
	b.WaitJS("failure shown live", `document.getElementById("failures").innerText.includes("broken failed")`, 20*time.Second)
	if status := browsertest.Eval[string](b, `document.getElementById("run-status").textContent`); status != "STARTED" {
		t.Fatalf("run status %q while gated waits", status)
	}
	if !browsertest.Eval[bool](b, `document.getElementById("reexecute").hidden`) {
		t.Error("re-execute is offered while the run is still going")
	}
	close(f.gate)
	b.WaitJS("run failed", `document.getElementById("run-status").textContent === "FAILURE"`, 20*time.Second)
	b.WaitJS("re-execute offered", `!document.getElementById("reexecute").hidden && document.getElementById("reexecute").offsetParent !== null`, 10*time.Second)
	noInjectedScript(b, "live failed run")
	b.NoConsoleErrors("live failed run")
}
