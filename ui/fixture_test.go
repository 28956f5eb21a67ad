package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/assetflow/assetflow/resources/clones"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// hostile is text a user's data could carry: it must show as text, never run.
const hostile = `<img src=x onerror="window.__xss='img'"><script>window.__xss='script'</script>`

// memIO is an in-memory I/O manager that reports columns and metadata.
type memIO struct {
	mu     sync.Mutex
	values map[string]any
}

func (m *memIO) Store(_ context.Context, asset string, v any) (engine.Materialization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[asset] = v
	rows := int64(1)
	if n, ok := v.(int64); ok {
		rows = n
	}
	return engine.Materialization{Location: "MEM." + strings.ToUpper(asset), Rows: rows, Columns: []string{"id", "title"},
		Metadata: map[string]any{"top_title": hostile}}, nil
}

func (m *memIO) Load(_ context.Context, asset string) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[asset]
	if !ok {
		return nil, fmt.Errorf("%s was never stored", asset)
	}
	return v, nil
}

type itemsConfig struct {
	BaseItemID int64 `yaml:"base_item_id" doc:"how many of the newest items to fetch"`
	SleepMS    int   `yaml:"sleep_ms" doc:"wait this long first"`
}

func (c itemsConfig) Validate() error {
	if c.BaseItemID < 1 || c.BaseItemID > 10_000_000 {
		return fmt.Errorf("base_item_id = %d: expected a number from 1 to 10000000", c.BaseItemID)
	}
	return nil
}

// fixture is a UI over an HN-shaped graph (items -> comments, stories), an
// asset that always fails with hostile text, a flaky one that succeeds on its
// second attempt, and op jobs.
type fixture struct {
	t       testing.TB
	srv     *Server
	http    *httptest.Server
	store   *runstore.SQLite
	catalog *engine.Catalog
	runs    sync.WaitGroup
	flaky   atomic.Int32
	gate    chan struct{} // closing it lets the "gated" asset finish
}

func definitions(f *fixture, io *memIO) engine.Definitions {
	items := engine.Asset{Name: "items", Group: "hacker_news", Description: "the newest items",
		Config: engine.ConfigOf(itemsConfig{BaseItemID: 100}),
		Compute: func(ctx *engine.Context) (any, error) {
			c, err := engine.Config[itemsConfig](ctx)
			if err != nil {
				return nil, err
			}
			if c.SleepMS > 0 {
				select {
				case <-time.After(time.Duration(c.SleepMS) * time.Millisecond):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return c.BaseItemID, nil
		}}
	pass := func(name string) engine.Asset {
		return engine.Asset{Name: name, Group: "hacker_news", Deps: []string{"items"}, Description: "the " + name + " among items",
			Compute: func(ctx *engine.Context) (any, error) { return int64(len(name)), nil }}
	}
	broken := engine.Asset{Name: "broken", Group: "faulty", Deps: []string{"items"}, Description: hostile,
		Compute: func(*engine.Context) (any, error) { panic("broke: " + hostile) }}
	flaky := engine.Asset{Name: "flaky", Group: "faulty", Retry: engine.RetryPolicy{MaxAttempts: 2, Delay: 20 * time.Millisecond},
		Compute: func(*engine.Context) (any, error) {
			if f.flaky.Add(1)%2 == 1 {
				return nil, errors.New("flaky: first attempt fails")
			}
			return int64(7), nil
		}}
	gated := engine.Asset{Name: "gated", Group: "slow", Compute: func(ctx *engine.Context) (any, error) {
		select {
		case <-f.gate:
			return int64(1), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	drop := engine.Op{Name: "drop_database_clone", Plan: func(*engine.Context) ([]string, error) {
		return []string{"DROP DATABASE IF EXISTS PRODUCTION_CLONE_1"}, nil
	}, Compute: func(*engine.Context) (any, error) { return nil, nil }}
	clone := engine.Op{Name: "clone_production_database", Ins: []engine.In{{Name: "start", Nothing: true}},
		Plan: func(*engine.Context) ([]string, error) {
			return []string{"CREATE DATABASE PRODUCTION_CLONE_1 CLONE PRODUCTION"}, nil
		}, Compute: func(*engine.Context) (any, error) { return nil, nil }}
	return engine.Definitions{
		Env:    "local",
		Assets: []engine.Asset{items, pass("comments"), pass("stories"), broken, flaky, gated},
		Jobs: []engine.Job{
			{Name: "clone_prod", Description: "clone production", Graph: &engine.Graph{Name: "clone", Ops: []engine.Invocation{
				{Op: drop}, {Op: clone, Inputs: map[string]string{"start": "drop_database_clone"}}}}},
			{Name: "branch_only", Selection: "items", Envs: []string{"branch"}},
		},
		Resources: map[string]engine.Resource{engine.DefaultIOManager: {
			Description: "memory", Settings: []engine.Setting{{Name: "password", Value: "hunter2-secret", Secret: true}, {Name: "where", Value: "memory"}},
			Open: func(context.Context, engine.Deps) (any, error) { return io, nil }}},
	}
}

// newFixture serves the UI on a real 127.0.0.1 listener; edit the config with
// change before it starts.
func newFixture(t *testing.T, change func(*Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, gate: make(chan struct{})}
	cat, err := engine.Load(definitions(f, &memIO{values: map[string]any{}}))
	if err != nil {
		t.Fatal(err)
	}
	f.catalog = cat
	f.store, err = runstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Catalog: cat, Store: f.store, Plan: f.plan, Launch: f.launch, Log: zerolog.Nop(), Poll: 20 * time.Millisecond,
		Environment: Environment{Name: "local", Source: "test", Database: "PRODUCTION", Resources: cat.Describe().Resources},
		Clones: func(context.Context) ([]clones.Verdict, error) {
			return clones.Decide([]warehouse.CloneRecord{{Name: "PRODUCTION_CLONE_7", PRID: "7", Origin: "PRODUCTION",
				ClonedAt: time.Now().Add(-30 * 24 * time.Hour), Bytes: 3 << 20}}, clones.ReapRules{Now: time.Now(), OlderThan: 1 << 62}), nil
		},
		ReapPreview: func(_ context.Context, r clones.ReapRules) ([]clones.Verdict, error) {
			return clones.Decide([]warehouse.CloneRecord{{Name: "PRODUCTION_CLONE_7", PRID: "7", Origin: "PRODUCTION",
				ClonedAt: time.Now().Add(-30 * 24 * time.Hour), Bytes: 3 << 20}}, r), nil
		},
	}
	if change != nil {
		change(&cfg)
	}
	f.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.http = httptest.NewServer(f.srv)
	t.Cleanup(func() {
		f.http.Close()
		f.srv.stopRun()
		f.runs.Wait()
		select {
		case <-f.gate:
		default:
			close(f.gate)
		}
		f.store.Close()
	})
	return f
}

// plan and launch do what the CLI's do (cmd/run/launch.go), on the fixture.
func (f *fixture) plan(ctx context.Context, req LaunchRequest, rc engine.RunConfig) (*engine.Plan, error) {
	if req.FromFailure != "" {
		d, err := f.store.Run(ctx, req.FromFailure)
		if err != nil {
			return nil, err
		}
		nodes, err := d.Rerun()
		if err != nil {
			return nil, err
		}
		if req.Kind == "job" {
			return f.catalog.PlanJobNodes(req.Job, nodes, rc)
		}
		req.Selection = strings.Join(nodes, ",")
	}
	if req.Kind == "job" {
		return f.catalog.PlanJob(req.Job, rc)
	}
	return f.catalog.PlanAssets(req.Selection, rc)
}

func (f *fixture) launch(ctx context.Context, req LaunchRequest, rc engine.RunConfig) (string, error) {
	p, err := f.plan(ctx, req, rc)
	if err != nil {
		return "", err
	}
	id := engine.NewRunID()
	if err := f.store.StartRun(ctx, runstore.Run{ID: id, Kind: req.Kind, Name: p.Name, Selection: req.Selection, Env: "local",
		Nodes: p.Nodes(), Start: time.Now()}); err != nil {
		return "", err
	}
	f.runs.Add(1)
	go func() {
		defer f.runs.Done()
		history := f.store.Events(id)
		res := (&engine.Runner{RunID: id, Events: history}).Run(ctx, p)
		_ = history.Close()
		_ = f.store.FinishRun(context.WithoutCancel(ctx), res)
	}()
	return id, nil
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (f *fixture) do(method, path, body string, header map[string]string, out any) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := f.http.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return res.StatusCode, string(data)
}

// post sends a POST with the CSRF token.
func (f *fixture) post(path, body string, out any) (int, string) {
	return f.do("POST", path, body, map[string]string{csrfHeader: f.srv.csrf}, out)
}

// launchAndWait launches through the API and waits for the run to end.
func (f *fixture) launchAndWait(body string) *runstore.RunDetail {
	f.t.Helper()
	var ans LaunchAnswer
	if code, text := f.post("/api/launch", body, &ans); code != http.StatusAccepted {
		f.t.Fatalf("launch %s: %d %s", body, code, text)
	}
	return f.waitRun(ans.RunID)
}

func (f *fixture) waitRun(id string) *runstore.RunDetail {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		d, err := f.store.Run(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		if d.Status != "STARTED" {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.t.Fatalf("run %s did not finish within 20s", id)
	return nil
}

// wantError checks an error answer: its status, that it is JSON with an error
// field, and that the message contains each of parts.
func wantError(t *testing.T, what string, code int, body string, wantCode int, parts ...string) apiError {
	t.Helper()
	if code != wantCode {
		t.Fatalf("%s: status %d, want %d: %s", what, code, wantCode, body)
	}
	var e apiError
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("%s: not a JSON error: %s", what, body)
	}
	for _, p := range parts {
		if !strings.Contains(e.Error, p) {
			t.Errorf("%s: error %q does not mention %q", what, e.Error, p)
		}
	}
	return e
}
