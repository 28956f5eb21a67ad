package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/clones"
)

func TestAPIAssetsGraphAndStates(t *testing.T) {
	f := newFixture(t, nil)
	var ans AssetsAnswer
	if code, body := f.do("GET", "/api/assets", "", nil, &ans); code != 200 {
		t.Fatalf("GET /api/assets: %d %s", code, body)
	}
	byName := map[string]int{}
	for i, a := range ans.Graph.Assets {
		byName[a.Name] = i
	}
	if c := ans.Graph.Assets[byName["comments"]]; !slices.Equal(c.Deps, []string{"items"}) || c.Layer != 1 {
		t.Errorf("comments: deps %v layer %d, want [items] 1", c.Deps, c.Layer)
	}
	if ans.States["items"].State != StateNever || ans.Graph.Assets[byName["items"]].Status != nil {
		t.Errorf("before any run items is %+v, want never with no status", ans.States["items"])
	}
	f.launchAndWait(`{"kind":"assets","selection":"items+"}`)
	f.launchAndWait(`{"kind":"assets","selection":"items"}`) // items now newer than its downstreams
	f.launchAndWait(`{"kind":"assets","selection":"broken"}`)
	if code, body := f.do("GET", "/api/assets", "", nil, &ans); code != 200 {
		t.Fatalf("GET /api/assets: %d %s", code, body)
	}
	want := map[string]string{"items": StateFresh, "comments": StateStale, "stories": StateStale, "broken": StateFailed, "flaky": StateNever}
	for name, st := range want {
		if got := ans.States[name].State; got != st {
			t.Errorf("%s: state %q, want %q", name, got, st)
		}
	}
	if st := ans.Graph.Assets[byName["items"]].Status; st == nil || st.Rows != 100 || st.Location != "MEM.ITEMS" || st.LastRunID == "" {
		t.Errorf("items status %+v, want 100 rows at MEM.ITEMS with its run", st)
	}
	var states map[string]ShownState
	if code, body := f.do("GET", "/api/states", "", nil, &states); code != 200 || states["items"].State != StateFresh ||
		!strings.Contains(states["items"].Detail, "100 rows") {
		t.Errorf("GET /api/states: %d %s", code, body)
	}
	// Selection narrows the graph as run graph --select does.
	if code, body := f.do("GET", "/api/assets?select=comments", "", nil, &ans); code != 200 || len(ans.Graph.Assets) != 1 {
		t.Errorf("GET /api/assets?select=comments: %d %s", code, body)
	}
	code, body := f.do("GET", "/api/assets?select=itemz", "", nil, nil)
	wantError(t, "unknown selection", code, body, 400, "itemz", "items")
}

func TestAPIAssetDetail(t *testing.T) {
	f := newFixture(t, nil)
	run := f.launchAndWait(`{"kind":"assets","selection":"items+","config":"ops:\n  items:\n    config:\n      base_item_id: 42\n"}`)
	var ans AssetAnswer
	if code, body := f.do("GET", "/api/assets/items", "", nil, &ans); code != 200 {
		t.Fatalf("GET /api/assets/items: %d %s", code, body)
	}
	if len(ans.Versions) != 1 || ans.Versions[0].RunID != run.ID || ans.Versions[0].Rows != 42 || ans.Versions[0].Duration <= 0 ||
		!slices.Equal(ans.Versions[0].Columns, []string{"id", "title"}) {
		t.Errorf("items versions %+v, want one of 42 rows by run %s with a duration and columns", ans.Versions, run.ID)
	}
	slices.Sort(ans.Downstream)
	if !slices.Equal(ans.Downstream, []string{"broken", "comments", "stories"}) || len(ans.Upstream) != 0 {
		t.Errorf("items up %v down %v", ans.Upstream, ans.Downstream)
	}
	if len(ans.Asset.Config) != 2 || ans.Asset.Config[0].Name != "base_item_id" {
		t.Errorf("items config schema %+v", ans.Asset.Config)
	}
	code, body := f.do("GET", "/api/assets/nope", "", nil, nil)
	wantError(t, "unknown asset", code, body, 404, `"nope"`)
}

func TestAPISelect(t *testing.T) {
	f := newFixture(t, nil)
	var ans SelectAnswer
	if code, body := f.do("GET", "/api/select?q=items%2B", "", nil, &ans); code != 200 {
		t.Fatalf("select items+: %d %s", code, body)
	}
	slices.Sort(ans.Assets)
	if !slices.Equal(ans.Assets, []string{"broken", "comments", "items", "stories"}) {
		t.Errorf("items+ selected %v", ans.Assets)
	}
	if code, body := f.do("GET", "/api/select?q=group:faulty", "", nil, &ans); code != 200 || len(ans.Assets) != 2 {
		t.Errorf("group:faulty: %d %s", code, body)
	}
	code, body := f.do("GET", "/api/select?q=storiez", "", nil, nil)
	wantError(t, "unknown asset in selection", code, body, 400, "storiez", "stories")
	code, body = f.do("GET", "/api/select?q=", "", nil, nil)
	wantError(t, "empty selection", code, body, 400, "empty")
}

func TestAPIRunsListAndFilters(t *testing.T) {
	f := newFixture(t, nil)
	ok := f.launchAndWait(`{"kind":"assets","selection":"items"}`)
	bad := f.launchAndWait(`{"kind":"assets","selection":"broken"}`)
	job := f.launchAndWait(`{"kind":"job","job":"clone_prod"}`)
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{job.ID, bad.ID, ok.ID}},
		{"?status=failure", []string{bad.ID}},
		{"?status=SUCCESS&job=clone_prod", []string{job.ID}},
		{"?job=assets&limit=1", []string{bad.ID}},
		{"?env=prod", []string{}},
	}
	for _, c := range cases {
		var runs []runstore.Run
		if code, body := f.do("GET", "/api/runs"+c.query, "", nil, &runs); code != 200 {
			t.Fatalf("runs%s: %d %s", c.query, code, body)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, c.want) && !(len(ids) == 0 && len(c.want) == 0) {
			t.Errorf("runs%s = %v, want %v", c.query, ids, c.want)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?limit=100000", "?status=WEIRD"} {
		code, body := f.do("GET", "/api/runs"+q, "", nil, nil)
		wantError(t, "runs"+q, code, body, 400)
	}
}

func TestAPIRunDetailAndEvents(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items,broken,flaky"}`)
	var ans RunAnswer
	if code, body := f.do("GET", "/api/runs/"+bad.ID, "", nil, &ans); code != 200 {
		t.Fatalf("run detail: %d %s", code, body)
	}
	if ans.Status != "FAILURE" || len(ans.Steps) != 3 || len(ans.Events) == 0 {
		t.Fatalf("run %+v", ans.RunDetail)
	}
	var stack, retry bool
	for _, e := range ans.Events {
		stack = stack || (e.Type == "STEP_FAILURE" && e.Node == "broken" && strings.Contains(e.Stack, "goroutine"))
		retry = retry || (e.Type == "STEP_RETRY" && e.Node == "flaky")
	}
	if !stack || !retry {
		t.Errorf("events lack broken's stack (%v) or flaky's retry (%v)", stack, retry)
	}
	var later []runstore.SeqEvent
	if code, body := f.do("GET", "/api/runs/"+bad.ID+"/events?after=2", "", nil, &later); code != 200 ||
		len(later) != len(ans.Events)-2 || later[0].Seq != 3 {
		t.Errorf("events?after=2: %d, %d events (of %d)", code, len(later), len(ans.Events))
		_ = body
	}
	for _, p := range []string{"/api/runs/0123456789abcdef", "/api/runs/0123456789abcdef/events", "/api/runs/%2e%2e%2fetc/events", "/api/runs/0123456789abcdef/stream"} {
		code, body := f.do("GET", p, "", nil, nil)
		wantError(t, p, code, body, 404, "no run")
	}
	code, body := f.do("GET", "/api/runs/"+bad.ID+"/events?after=-1", "", nil, nil)
	wantError(t, "negative after", code, body, 400, "-1")
}

// readSSE reads a server-sent-events stream until "end" or the deadline.
func readSSE(t *testing.T, f *fixture, path string) (events []runstore.SeqEvent, runs []runstore.Run, ended bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.http.URL+path, nil)
	res, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	kind := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := []byte(strings.TrimPrefix(line, "data: "))
			switch kind {
			case "events":
				var batch []runstore.SeqEvent
				if err := json.Unmarshal(data, &batch); err != nil {
					t.Fatal(err)
				}
				events = append(events, batch...)
			case "run":
				var r runstore.Run
				if err := json.Unmarshal(data, &r); err != nil {
					t.Fatal(err)
				}
				runs = append(runs, r)
			case "end":
				return events, runs, true
			}
		}
	}
	return events, runs, false
}

func TestAPIStreamFollowsARunLive(t *testing.T) {
	f := newFixture(t, nil)
	var ans LaunchAnswer
	if code, body := f.post("/api/launch", `{"kind":"assets","selection":"gated"}`, &ans); code != 202 {
		t.Fatalf("launch: %d %s", code, body)
	}
	done := make(chan struct{})
	var events []runstore.SeqEvent
	var runs []runstore.Run
	var ended bool
	go func() {
		defer close(done)
		events, runs, ended = readSSE(t, f, "/api/runs/"+ans.RunID+"/stream")
	}()
	// The stream must be open and show the run STARTED before it can finish.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := f.store.Run(context.Background(), ans.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Steps[0].Status == "STARTED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(f.gate)
	<-done
	if !ended {
		t.Fatal("stream did not end")
	}
	if len(runs) < 2 || runs[0].Status != "STARTED" || runs[len(runs)-1].Status != "SUCCESS" {
		t.Errorf("run updates %+v, want STARTED ... SUCCESS", runs)
	}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has position %d: events lost or repeated", i, e.Seq)
		}
	}
	if len(events) == 0 || events[len(events)-1].Type != "RUN_SUCCESS" {
		t.Errorf("last event %+v, want RUN_SUCCESS", events)
	}
	// Resuming after the last event gives nothing more and ends at once.
	more, _, ended := readSSE(t, f, "/api/runs/"+ans.RunID+"/stream?after="+strconv.Itoa(len(events)))
	if !ended || len(more) != 0 {
		t.Errorf("resumed stream: %d events, ended %v", len(more), ended)
	}
}

func TestAPILaunchNeedsCSRFAndSameOrigin(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"kind":"assets","selection":"items"}`
	code, text := f.do("POST", "/api/launch", body, nil, nil)
	wantError(t, "launch without CSRF token", code, text, 403, "CSRF")
	code, text = f.do("POST", "/api/launch", body, map[string]string{csrfHeader: "0000"}, nil)
	wantError(t, "launch with a wrong CSRF token", code, text, 403, "CSRF")
	code, text = f.do("POST", "/api/launch", body, map[string]string{csrfHeader: f.srv.csrf, "Origin": "http://evil.example"}, nil)
	wantError(t, "launch from another origin", code, text, 403, "cross-origin")
	code, text = f.do("POST", "/api/launch", body, map[string]string{csrfHeader: f.srv.csrf, "Sec-Fetch-Site": "cross-site"}, nil)
	wantError(t, "launch from another site", code, text, 403, "cross-origin")
	code, text = f.do("POST", "/api/runs/0123456789abcdef/reexecute", "{}", nil, nil)
	wantError(t, "re-execute without CSRF token", code, text, 403, "CSRF")
	runs, _ := f.store.Runs(context.Background(), 10)
	if len(runs) != 0 {
		t.Fatalf("refused launches still recorded %d runs", len(runs))
	}
	// The same request with the token and this origin runs.
	var ans LaunchAnswer
	code, text = f.do("POST", "/api/launch", body, map[string]string{csrfHeader: f.srv.csrf, "Origin": f.http.URL}, &ans)
	if code != 202 || ans.RunID == "" || ans.URL != "/runs/"+ans.RunID {
		t.Fatalf("launch: %d %s", code, text)
	}
	if d := f.waitRun(ans.RunID); d.Status != "SUCCESS" || !slices.Equal(d.Nodes, []string{"items"}) {
		t.Errorf("launched run %+v", d.Run)
	}
	var tok CSRFAnswer
	if code, _ := f.do("GET", "/api/csrf", "", nil, &tok); code != 200 || tok.Token != f.srv.csrf || tok.Header != csrfHeader {
		t.Errorf("GET /api/csrf: %d %+v", code, tok)
	}
}

func TestAPILaunchRefusesBadInput(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		name, body string
		parts      []string
		line       int
	}{
		{"bad YAML", `{"kind":"assets","config":"ops:\n  items: [\n"}`, []string{"run config"}, 0},
		{"bad value", `{"kind":"assets","config":"ops:\n  items:\n    config:\n      base_item_id: -4\n"}`, []string{"base_item_id = -4"}, 4},
		{"unknown key", `{"kind":"assets","config":"ops:\n  items:\n    config:\n      sleep_ms: 1\n      colour: red\n"}`, []string{`"colour"`}, 5},
		{"wrong type", `{"kind":"assets","config":"ops:\n  items:\n    config:\n      base_item_id: lots\n"}`, []string{"base_item_id = lots"}, 4},
		{"unknown node", `{"kind":"assets","config":"ops:\n  itemz:\n    config:\n      base_item_id: 5\n"}`, []string{"itemz", "items"}, 2},
		{"shape", `{"kind":"assets","config":"opz:\n  items: {}\n"}`, []string{"opz"}, 1},
		{"unknown asset", `{"kind":"assets","selection":"nope"}`, []string{"nope"}, 0},
		{"unknown job", `{"kind":"job","job":"clone_prd"}`, []string{"clone_prd", "clone_prod"}, 0},
		{"job not here", `{"kind":"job","job":"branch_only"}`, []string{"branch_only"}, 0},
		{"no job", `{"kind":"job"}`, []string{"job name"}, 0},
		{"bad kind", `{"kind":"everything"}`, []string{"everything"}, 0},
		{"unknown field", `{"kind":"assets","selekt":"items"}`, []string{"selekt"}, 0},
		{"not JSON", `kind=assets`, []string{"request body"}, 0},
		{"huge", `{"kind":"assets","config":"` + strings.Repeat("x", 2<<20) + `"}`, []string{"request body"}, 0},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/launch", "/api/validate", "/api/dry-run"} {
			code, body := f.post(path, c.body, nil)
			e := wantError(t, c.name+" "+path, code, body, 400, c.parts...)
			if c.line > 0 && (len(e.Problems) == 0 || e.Problems[0].Line != c.line) {
				t.Errorf("%s %s: problems %+v, want line %d", c.name, path, e.Problems, c.line)
			}
		}
	}
	if runs, _ := f.store.Runs(context.Background(), 10); len(runs) != 0 {
		t.Fatalf("refused launches recorded %d runs", len(runs))
	}
}

func TestAPIValidateDryRunDefaults(t *testing.T) {
	f := newFixture(t, nil)
	var v ValidateAnswer
	if code, body := f.post("/api/validate", `{"kind":"assets","selection":"items+","config":"ops:\n  items:\n    config:\n      base_item_id: 5\n"}`, &v); code != 200 ||
		!v.Valid || v.Nodes[0] != "items" || len(v.Nodes) != 4 {
		t.Errorf("validate: %d %s", code, body)
	}
	var d DryRunAnswer
	if code, body := f.post("/api/dry-run", `{"kind":"job","job":"clone_prod"}`, &d); code != 200 || len(d.Steps) != 2 ||
		d.Steps[0].Node != "drop_database_clone" || !strings.Contains(d.Steps[1].Actions[0], "CLONE PRODUCTION") {
		t.Errorf("dry run: %d %s", code, body)
	}
	var def DefaultsAnswer
	if code, body := f.do("GET", "/api/config/defaults?kind=assets&selection=items%2B", "", nil, &def); code != 200 ||
		!strings.Contains(def.Config, "base_item_id: 100") || !strings.Contains(def.Config, "sleep_ms: 0") {
		t.Errorf("defaults: %d %s", code, body)
	}
	// The defaults are themselves a valid config.
	b, _ := json.Marshal(LaunchRequest{Kind: "assets", Selection: "items+", Config: def.Config})
	if code, body := f.post("/api/validate", string(b), &v); code != 200 {
		t.Errorf("defaults do not validate: %d %s", code, body)
	}
	if code, body := f.do("GET", "/api/config/defaults?kind=job&job=clone_prod", "", nil, &def); code != 200 || !strings.Contains(def.Config, "nothing") {
		t.Errorf("job defaults: %d %s", code, body)
	}
	code, body := f.do("GET", "/api/config/defaults?kind=job&job=nope", "", nil, nil)
	wantError(t, "defaults of an unknown job", code, body, 400, "nope")
}

func TestAPIReexecuteFromFailure(t *testing.T) {
	f := newFixture(t, nil)
	bad := f.launchAndWait(`{"kind":"assets","selection":"items+"}`)
	if bad.Status != "FAILURE" {
		t.Fatalf("run with broken: %s", bad.Status)
	}
	var ans LaunchAnswer
	if code, body := f.post("/api/runs/"+bad.ID+"/reexecute", "", &ans); code != 202 {
		t.Fatalf("re-execute: %d %s", code, body)
	}
	again := f.waitRun(ans.RunID)
	if !slices.Equal(again.Nodes, []string{"broken"}) {
		t.Errorf("re-execution ran %v, want only the failed step [broken]", again.Nodes)
	}
	good := f.launchAndWait(`{"kind":"assets","selection":"items"}`)
	code, body := f.post("/api/runs/"+good.ID+"/reexecute", "", nil)
	wantError(t, "re-execute a success", code, body, 400, "nothing to re-execute")
	code, body = f.post("/api/runs/0123456789abcdef/reexecute", "", nil)
	wantError(t, "re-execute an unknown run", code, body, 404, "0123456789abcdef")
}

func TestAPIJobsClonesEnv(t *testing.T) {
	f := newFixture(t, nil)
	var jobs []struct {
		Name      string `json:"name"`
		Available bool   `json:"available"`
	}
	if code, body := f.do("GET", "/api/jobs", "", nil, &jobs); code != 200 || len(jobs) != 2 {
		t.Fatalf("jobs: %d %s", code, body)
	}
	for _, j := range jobs {
		if j.Available != (j.Name == "clone_prod") {
			t.Errorf("job %s available %v", j.Name, j.Available)
		}
	}
	var verdicts []clones.Verdict
	if code, body := f.do("GET", "/api/clones", "", nil, &verdicts); code != 200 || len(verdicts) != 1 || verdicts[0].Action != clones.Keep {
		t.Errorf("clones: %d %s", code, body)
	}
	if code, body := f.do("GET", "/api/clones/reap-preview?older_than=14d", "", nil, &verdicts); code != 200 || verdicts[0].Action != clones.Drop {
		t.Errorf("reap preview 14d: %d %s", code, body)
	}
	if code, body := f.do("GET", "/api/clones/reap-preview?older_than=14d&keep=7", "", nil, &verdicts); code != 200 || verdicts[0].Action != clones.Keep {
		t.Errorf("reap preview keeping 7: %d %s", code, body)
	}
	for _, q := range []string{"", "?older_than=soon", "?older_than=14d&keep=abc"} {
		code, body := f.do("GET", "/api/clones/reap-preview"+q, "", nil, nil)
		wantError(t, "reap preview"+q, code, body, 400)
	}
	code, body := f.do("GET", "/api/env", "", nil, nil)
	if code != 200 || !strings.Contains(body, `"password": "***"`) || strings.Contains(body, "hunter2") {
		t.Errorf("env shows a secret or misses it: %d %s", code, body)
	}
	code, body = f.do("GET", "/api/nothing-here", "", nil, nil)
	wantError(t, "unknown route", code, body, 404, "/api/nothing-here")
	code, body = f.do("DELETE", "/api/runs", "", nil, nil)
	wantError(t, "unknown method", code, body, 404, "DELETE /api/runs")
}

func TestTokenRequiredOnEveryRequest(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Token = "s3cret-token" })
	for _, p := range []string{"/api/assets", "/assets", "/static/app.js", "/api/csrf"} {
		code, body := f.do("GET", p, "", nil, nil)
		wantError(t, p+" without token", code, body, 401, TokenVar)
	}
	code, body := f.do("GET", "/api/assets", "", map[string]string{"Authorization": "Bearer wrong"}, nil)
	wantError(t, "wrong bearer token", code, body, 401, "wrong token")
	code, body = f.do("GET", "/api/assets?token=wrong", "", nil, nil)
	wantError(t, "wrong ?token=", code, body, 401, "wrong token")
	if code, body := f.do("GET", "/api/assets", "", map[string]string{"Authorization": "Bearer s3cret-token"}, nil); code != 200 {
		t.Errorf("right bearer token: %d %s", code, body)
	}
	// ?token= sets a cookie and redirects to the same page without the token.
	client := f.http.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Get(f.http.URL + "/runs?status=SUCCESS&token=s3cret-token")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/runs?status=SUCCESS" || len(res.Cookies()) != 1 {
		t.Fatalf("?token=: %d to %q with %v", res.StatusCode, res.Header.Get("Location"), res.Cookies())
	}
	// The redirect stays on this server, whatever the path looks like: the
	// request line is written raw, as a hostile link would send it.
	for _, path := range []string{"//evil.example/", "/\\evil.example/", "///evil.example", "/%2F%2Fevil.example/"} {
		conn, err := net.Dial("tcp", f.http.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s?token=s3cret-token HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, f.http.Listener.Addr())
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		conn.Close()
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("GET %s?token=: %d, want a redirect", path, res.StatusCode)
		}
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("GET %s?token=: redirected off this server, to %q", path, loc)
		}
	}
	req, _ := http.NewRequest("GET", f.http.URL+"/runs", nil)
	req.AddCookie(res.Cookies()[0])
	if res, err := client.Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("with the cookie: %v %v", err, res.StatusCode)
	} else {
		res.Body.Close()
	}
	// With a token, other host names are fine (the token is the check).
	if code, body := f.do("GET", "/api/env", "", map[string]string{"Authorization": "Bearer s3cret-token", "Host": "ui.example"}, nil); code != 200 {
		t.Errorf("other host with token: %d %s", code, body)
	}
}

func TestLoopbackOnlyAnswersLoopbackHosts(t *testing.T) {
	f := newFixture(t, nil)
	req, _ := http.NewRequest("GET", f.http.URL+"/api/env", nil)
	req.Host = "attacker.example:80"
	res, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("DNS-rebinding host: %d, want 403", res.StatusCode)
	}
	for _, h := range []string{"localhost:3000", "127.0.0.1", "[::1]:3000"} {
		req, _ := http.NewRequest("GET", f.http.URL+"/api/env", nil)
		req.Host = h
		res, err := f.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("host %s: %d", h, res.StatusCode)
		}
	}
}

func TestCheckListen(t *testing.T) {
	cases := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:3000", "", true},
		{"localhost:0", "", true},
		{"[::1]:3000", "", true},
		{"0.0.0.0:3000", "", false},
		{":3000", "", false},
		{"192.168.1.5:3000", "", false},
		{"0.0.0.0:3000", "0123456789abcdef", true},
		{"0.0.0.0:3000", "t", false},                // guessed by trying
		{"127.0.0.1:3000", "short", false},          // a token, however used, is long enough
		{"0.0.0.0:3000", "               x", false}, // spaces are not randomness
		{"no-port", "", false},
	}
	for _, c := range cases {
		err := CheckListen(c.addr, c.token)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, %q) = %v, want ok %v", c.addr, c.token, err, c.ok)
		}
		if err != nil && c.addr != "no-port" && !strings.Contains(err.Error(), TokenVar) {
			t.Errorf("CheckListen(%q): %v does not say how to fix it", c.addr, err)
		}
	}
}

func TestReadOnlyRefusesChanges(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ReadOnly = true })
	code, body := f.post("/api/launch", `{"kind":"assets"}`, nil)
	wantError(t, "launch when read-only", code, body, 403, "read-only")
	code, body = f.post("/api/runs/0123456789abcdef/reexecute", "", nil)
	wantError(t, "re-execute when read-only", code, body, 403, "read-only")
	if code, body := f.post("/api/validate", `{"kind":"assets"}`, nil); code != 200 {
		t.Errorf("validate when read-only: %d %s", code, body)
	}
	_, page := f.do("GET", "/assets", "", nil, nil)
	if strings.Contains(page, "mat-selected") || strings.Contains(page, `href="/launchpad"`) {
		t.Error("read-only assets page still offers to launch")
	}
	if code, _ := f.do("GET", "/launchpad", "", nil, nil); code != 403 {
		t.Errorf("launchpad when read-only: %d", code)
	}
}
