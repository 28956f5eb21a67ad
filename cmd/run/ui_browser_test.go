package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/assetflow/assetflow/internal/browsertest"
)

// TestUIBrowserHackerNews drives the real binary's UI in headless Chromium: the
// Hacker News graph, a run launched from the Launchpad followed to SUCCESS, and
// the graph coloured fresh afterwards.
func TestUIBrowserHackerNews(t *testing.T) {
	p := newProject(t)
	u := p.startUI(nil)
	b := browsertest.New(t)
	b.Open(u.url + "/assets")
	edges := browsertest.Eval[[]string](b, `[...document.querySelectorAll("#graph .edges path")].map(p => p.dataset.from + "->" + p.dataset.to)`)
	if got := strings.Join(edges, " "); got != "items->comments items->stories" && got != "items->stories items->comments" {
		t.Errorf("graph edges %q, want items -> comments, stories", got)
	}
	b.Open(u.url + "/launchpad?kind=assets&selection=*")
	b.WaitJS("defaults valid", `document.body.dataset.validated === "ok"`, 20*time.Second)
	if cfg := browsertest.Eval[string](b, `document.getElementById("lp-config").value`); !strings.Contains(cfg, "base_item_id: 1000") {
		t.Errorf("Launchpad not prefilled with the defaults: %q", cfg)
	}
	b.Do("launch", chromedp.Click("#lp-launch"))
	b.WaitJS("run page", `location.pathname.startsWith("/runs/") && document.getElementById("run-status") !== null`, 30*time.Second)
	b.WaitJS("run succeeded", `document.getElementById("run-status").textContent === "SUCCESS"`, 90*time.Second)
	b.Open(u.url + "/assets")
	states := browsertest.Eval[[]string](b, `[...document.querySelectorAll("#graph .node")].map(g => g.dataset.name + ":" + g.getAttribute("class"))`)
	for _, s := range states {
		if !strings.Contains(s, "state-fresh") {
			t.Errorf("after the run: %s, want fresh", s)
		}
	}
	if text := browsertest.Eval[string](b, `document.getElementById("graph").textContent`); !strings.Contains(text, "967 rows") {
		t.Errorf("graph does not show the items' row count: %q", text)
	}
	b.NoConsoleErrors("run ui pages")
}
