package ui

import (
	"net/http"
	"strings"
	"testing"
)

func TestPagesRender(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken,flaky"}`)
	cases := []struct {
		path  string
		code  int
		parts []string
	}{
		{"/assets", 200, []string{`data-name="items"`, `data-name="comments"`, "hacker_news (3)", "Materialize selected"}},
		{"/assets?collapsed=all", 200, []string{`data-name="group:hacker_news"`, "3 assets"}},
		{"/assets/items", 200, []string{"History", "<code>base_item_id</code>", "/runs/" + bad.ID, "<polyline"}},
		{"/assets/nope", 404, []string{"no asset &#34;nope&#34;"}},
		{"/runs", 200, []string{bad.ID, "FAILURE"}},
		{"/runs?status=SUCCESS", 200, []string{"No runs match."}},
		{"/runs?limit=-1", 400, []string{"limit"}},
		{"/runs/" + bad.ID, 200, []string{"broken failed", "Re-execute from failure", "goroutine"}},
		{"/runs/0123456789abcdef", 404, []string{"no run"}},
		{"/jobs", 200, []string{"clone_prod", "drop_database_clone", "not in local", "/launchpad?kind=job&amp;job=clone_prod"}},
		{"/launchpad", 200, []string{"base_item_id: 100"}},
		{"/launchpad?kind=job&job=clone_prod", 200, []string{"nothing in this run takes config"}},
		{"/clones", 200, []string{"PRODUCTION_CLONE_7", "3.0 MiB"}},
		{"/clones?older_than=14d", 200, []string{"would drop"}},
		{"/clones?older_than=soon", 200, []string{"older_than"}},
		{"/env", 200, []string{"***", "memory"}},
		{"/nowhere", 404, []string{"No page"}},
		{"/static/app.js", 200, []string{"textContent"}},
		{"/static/style.css", 200, []string{".graph"}},
	}
	for _, c := range cases {
		code, body := f.do("GET", c.path, "", nil, nil)
		if code != c.code {
			t.Errorf("GET %s: %d, want %d", c.path, code, c.code)
		}
		for _, p := range c.parts {
			if !strings.Contains(body, p) {
				t.Errorf("GET %s: page lacks %q", c.path, p)
			}
		}
		if strings.Contains(body, "hunter2") {
			t.Errorf("GET %s shows a secret", c.path)
		}
	}
}

// TestPagesEscapeData checks that hostile text from data (an asset
// description, an error, metadata such as an item title) is shown as text.
func TestPagesEscapeData(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken"}`)
	for _, p := range []string{"/assets/broken", "/assets/items", "/runs/" + bad.ID, "/runs", "/assets"} {
		_, body := f.do("GET", p, "", nil, nil)
		if strings.Contains(body, "<script>window") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s embeds hostile markup unescaped", p)
		}
	}
	_, body := f.do("GET", "/assets/broken", "", nil, nil)
	if !strings.Contains(body, "&lt;script&gt;window.__xss=&#39;script&#39;&lt;/script&gt;") {
		t.Error("/assets/broken does not show the description as text")
	}
	res, err := f.http.Client().Get(f.http.URL + "/assets")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: CSP %q", csp)
	}
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}
}
