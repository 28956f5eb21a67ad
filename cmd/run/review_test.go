package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse/diff"
)

// The whole review on both backends: production materializes, the branch
// changes items' config, and run diff reports what changed in the clone.
func TestReviewDiffAndChecks(t *testing.T) {
	t.Run("duckdb", func(t *testing.T) { review(t, newProject(t)) })
	t.Run("snowflake", func(t *testing.T) { review(t, newSnowflakeProject(t)) })
}

func review(t *testing.T, p *project) {
	r := p.must(prod, "assets")
	if !strings.Contains(r.stdout, "checks: 10 passed, 1 failed: stories:not_null_title (WARN") {
		t.Errorf("production run's checks:\n%s", r.stdout)
	}
	p.must(branch("42"), "job", "clone_prod")
	if r := p.must(branch("42"), "assets", "--select", "changed"); !strings.Contains(r.stdout, "nothing changed") {
		t.Errorf("a fresh clone rebuilt something:\n%s", r.stdout)
	}
	r = p.must(branch("42"), "assets", "--select", "changed", "--set", "items.base_item_id=900")
	for _, step := range []string{"items ", "comments ", "stories ", "items:unique_id "} {
		if !strings.Contains(r.stdout, step) {
			t.Errorf("changed config did not rebuild %s:\n%s", step, r.stdout)
		}
	}
	r = p.must(branch("42"), "diff", "--json")
	var rep diff.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if rep.Base != "PRODUCTION" || rep.Head != "PRODUCTION_CLONE_42" || len(rep.Tables) != 3 {
		t.Fatalf("report %+v", rep)
	}
	items := rep.Tables[0]
	if items.Asset != "items" || !items.Compared || items.RowsRemoved != items.BaseRows-items.HeadRows || items.RowsRemoved == 0 ||
		items.RowsAdded != 0 || items.RowsChanged != 0 || len(items.SampleRemoved) != diff.DefaultSamples {
		t.Errorf("items diff %+v", items)
	}
	if len(rep.Checks) != 11 {
		t.Errorf("%d check results in the report, want 11", len(rep.Checks))
	}
	r = p.must(branch("42"), "diff", "--format", "markdown", "--select", "stories")
	if !strings.HasPrefix(r.stdout, diff.Marker) || !strings.Contains(r.stdout, "| `stories` |") {
		t.Errorf("markdown:\n%s", r.stdout)
	}
	if r := p.run(nil, "diff"); r.code != 2 || !strings.Contains(r.stderr, "both PRODUCTION") {
		t.Errorf("diff in local: exit %d %s", r.code, lastLines(r.stderr, 2))
	}
	r = p.must(branch("42"), "check", "--select", "items")
	if !strings.Contains(r.stdout, "checks: 3 passed, 0 failed") {
		t.Errorf("run check:\n%s", r.stdout)
	}
	for _, bad := range [][]string{{"--base", `PRODUCTION"; DROP`}, {"--head", "x-y"}, {"--format", "html"}, {"--samples", "1000"}} {
		if r := p.run(branch("42"), append([]string{"diff"}, bad...)...); r.code != 2 {
			t.Errorf("diff %v: exit %d %s", bad, r.code, lastLines(r.stderr, 1))
		}
	}
}

// A blocking check that fails, found by run check on a table someone broke:
// exit 1, the check named, and its failing rows recorded for run show.
func TestFailingCheckIsRecorded(t *testing.T) {
	p := newProject(t)
	p.must(nil, "assets", "--set", "items.base_item_id=50")
	p.exec("PRODUCTION", `INSERT INTO "PRODUCTION"."HACKER_NEWS"."ITEMS" SELECT * FROM "PRODUCTION"."HACKER_NEWS"."ITEMS" ORDER BY id LIMIT 2`)
	r := p.run(nil, "check")
	if r.code != 1 || !strings.Contains(r.stdout, "check unique_id of asset items failed: 2 failing rows") ||
		!strings.Contains(r.stdout, "checks: 10 passed, 1 failed: items:unique_id (ERROR, 2 rows)") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	show := p.must(nil, "show", p.lastRun().ID)
	if r := p.run(nil, "check", "--set", "items.base_item_id=3"); r.code != 2 {
		t.Errorf("run check --set: exit %d", r.code)
	}
	if !strings.Contains(show.stdout, "items:unique_id") || !strings.Contains(show.stdout, "FAILED (blocking)") {
		t.Errorf("run show:\n%s", show.stdout)
	}
	if list := p.must(nil, "list"); !strings.Contains(list.stdout, "2/3 passed, failed: unique_id(ERROR)") {
		t.Errorf("run list:\n%s", list.stdout)
	}
}

// An asset whose upstream was materialized after it is stale; config that
// differs from PRODUCTION's last materialization makes an asset changed.
func TestStaleAndChangedMarks(t *testing.T) {
	p := newProject(t)
	p.must(nil, "assets", "--set", "items.base_item_id=50")
	p.must(nil, "assets", "--select", "items", "--set", "items.base_item_id=50")
	r := p.must(nil, "graph", "--status", "--format", "json")
	var v engine.GraphView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Assets {
		// items: its default config (1000) differs from the 50 PRODUCTION has; the
		// others have no config, so only their upstream's newer table marks them.
		isItems := a.Name == "items"
		if a.Status == nil || (len(a.Status.StaleBy) > 0) == isItems || a.Status.Changed != isItems {
			t.Errorf("%s: status %+v", a.Name, a.Status)
		}
	}
	if list := p.must(nil, "list"); !strings.Contains(list.stdout, "stale (items materialized after it)") {
		t.Errorf("run list:\n%s", list.stdout)
	}
}

// run diff --post-github keeps one comment per pull request: created on the
// first push, edited on the next.
func TestDiffPostsOneCommentPerPullRequest(t *testing.T) {
	var mu sync.Mutex
	var writes []string
	body := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer gh-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var in struct{ Body string }
		switch {
		case r.Method == "GET" && r.URL.Path == "/repos/acme/hn/issues/42/comments":
			list := []map[string]any{{"id": 1, "body": "lgtm", "user": map[string]any{"login": "alice"}}}
			if body != "" { // GET /user is refused (404 below), as for Actions' token: its comments are github-actions[bot]'s
				list = append(list, map[string]any{"id": 2, "body": body, "user": map[string]any{"login": "github-actions[bot]"}})
			}
			json.NewEncoder(w).Encode(list)
		case r.Method == "POST" && r.URL.Path == "/repos/acme/hn/issues/42/comments":
			json.NewDecoder(r.Body).Decode(&in)
			body = in.Body
			writes = append(writes, "POST")
			json.NewEncoder(w).Encode(map[string]any{"id": 2, "body": body})
		case r.Method == "PATCH" && r.URL.Path == "/repos/acme/hn/issues/comments/2":
			json.NewDecoder(r.Body).Decode(&in)
			body = in.Body
			writes = append(writes, "PATCH")
			json.NewEncoder(w).Encode(map[string]any{"id": 2, "body": body})
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"%s %s"}`, r.Method, r.URL.Path)
		}
	}))
	defer srv.Close()
	p := newProject(t)
	p.must(prod, "assets")
	p.must(branch("42"), "job", "clone_prod")
	gh := append(branch("42"), "GITHUB_API_URL="+srv.URL, "GITHUB_REPOSITORY=acme/hn", "GITHUB_TOKEN=gh-token")
	p.must(gh, "diff", "--format", "markdown", "--post-github")
	p.must(gh, "assets", "--set", "items.base_item_id=900")
	r := p.must(gh, "diff", "--format", "markdown", "--post-github")
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(writes, ",") != "POST,PATCH" {
		t.Fatalf("writes %v", writes)
	}
	if body != r.stdout || !strings.Contains(body, "3 of 3 tables changed") {
		t.Fatalf("posted body:\n%s\nprinted:\n%s", body, r.stdout)
	}
	if r := p.run(append(branch("42"), "GITHUB_REPOSITORY=acme/hn"), "diff", "--format", "markdown", "--post-github"); r.code != 2 ||
		!strings.Contains(r.stderr, "GITHUB_TOKEN is not set") {
		t.Fatalf("without a token: exit %d %s", r.code, lastLines(r.stderr, 2))
	}
}

// A blocking check stops what is downstream, through the real binary on both
// backends: a snapshot whose items are all deleted gives an empty items table,
// its row_count check (ERROR) fails, and comments and stories are skipped.
func TestBlockingCheckStopsDownstream(t *testing.T) {
	for name, newP := range map[string]func(*testing.T) *project{"duckdb": newProject, "snowflake": newSnowflakeProject} {
		t.Run(name, func(t *testing.T) {
			p := newP(t)
			snap := filepath.Join(p.dir, "deleted.jsonl")
			if err := os.WriteFile(snap, []byte(`{"id":1,"deleted":true,"time":1160418184}`+"\n"+`{"id":2,"deleted":true,"time":1160418185}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := p.run([]string{"ASSETFLOW_HN_SNAPSHOT=" + snap}, "assets")
			if r.code != 1 || !strings.Contains(r.stdout, "check row_count of asset items failed: 1 failing rows") ||
				!regexp.MustCompile(`(?m)^comments +SKIPPED`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^stories +SKIPPED`).MatchString(r.stdout) {
				t.Fatalf("exit %d\n%s", r.code, r.stdout)
			}
			run := p.lastRun()
			if !strings.Contains(run.Error, "row_count") {
				t.Errorf("the run's error does not name the check: %q", run.Error)
			}
		})
	}
}
