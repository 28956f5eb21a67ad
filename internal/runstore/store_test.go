package runstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	_ "modernc.org/sqlite"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/pgtest"
	"github.com/assetflow/assetflow/internal/runstore"
)

// The store suite: every test below runs against SQLite and PostgreSQL.

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testStore is a Store with the test hooks both backends have.
type testStore interface {
	runstore.Store
	RunEvents(ctx context.Context, id string) ([]engine.Event, error)
	SetPID(ctx context.Context, runID string, pid int) error
}

// backend opens stores on one new, empty database (a file, or a PostgreSQL
// database): each open is another process's view of the same instance.
type backend struct {
	name   string
	openAt func() (testStore, error) // for goroutines; b.open(t) first
}

// open opens a store closed at the end of the test.
func (b backend) open(t *testing.T) testStore {
	t.Helper()
	s, err := b.openAt()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func backends(t *testing.T) []backend {
	sqlitePath := filepath.Join(t.TempDir(), "runs.db")
	pgURL := "" // set by eachBackend
	return []backend{
		{"sqlite", func() (testStore, error) { return runstore.OpenSQLite(context.Background(), sqlitePath) }},
		{"postgres", func() (testStore, error) { return runstore.OpenPostgres(context.Background(), pgURL) }},
	}
}

// eachBackend runs a test on each backend, as a subtest named after it; the
// PostgreSQL one gets a new database on the shared throwaway server.
func eachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "postgres" {
				url := pgtest.Shared(t).NewDatabase(t)
				b.openAt = func() (testStore, error) { return runstore.OpenPostgres(context.Background(), url) }
			}
			test(t, b)
		})
	}
}

func TestEveryEventTypeRoundTrips(t *testing.T) { eachBackend(t, testEveryEventTypeRoundTrips) }

func testEveryEventTypeRoundTrips(t *testing.T, b backend) {
	s := b.open(t)
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.StartRun(ctx, runstore.Run{ID: "r1", Kind: "assets", Name: "assets", Selection: "*", Env: "local",
		Nodes: []string{"items", "comments", "stories", "extra"}, Start: start}); err != nil {
		t.Fatal(err)
	}
	m := &engine.Materialization{Location: "PRODUCTION.HACKER_NEWS.ITEMS", Rows: 967, Columns: []string{"id", "kids"},
		Metadata: map[string]any{"missing": float64(3)}}
	sent := []engine.Event{
		{Type: engine.EventRunStart, Message: "run assets: 4 nodes"},
		{Type: engine.EventStepStart, Node: "items"},
		{Type: engine.EventStepRetry, Node: "items", Attempt: 1, Error: "HTTP 503", Message: "retrying"},
		{Type: engine.EventMaterialization, Node: "items", Attempt: 2, Duration: 31 * time.Millisecond, Materialization: m},
		{Type: engine.EventStepSuccess, Node: "items", Attempt: 2, Duration: 32 * time.Millisecond},
		{Type: engine.EventStepStart, Node: "comments"},
		{Type: engine.EventStepFailure, Node: "comments", Attempt: 1, Error: "boom", Stack: "goroutine 1 [running]:\n..."},
		{Type: engine.EventStepSkipped, Node: "stories", Message: "an upstream did not succeed"},
		{Type: engine.EventStepCanceled, Node: "extra"},
		{Type: engine.EventRunFailure, Error: "run r1 failed: comments: boom"},
		{Type: engine.EventRunSuccess}, {Type: engine.EventRunCanceled},
	}
	sink := s.Events("r1")
	for i, e := range sent {
		e.RunID, e.Time = "r1", start.Add(time.Duration(i)*time.Millisecond)
		sent[i] = e
		sink.Emit(e)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunEvents(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sent) {
		t.Fatalf("events differ:\n got %+v\nwant %+v", got, sent)
	}
	if err := s.FinishRun(ctx, &engine.RunResult{RunID: "r1", Status: engine.RunFailure, Start: start, Duration: time.Second,
		Steps: []engine.StepResult{{Node: "comments", Status: engine.StepFailure, Err: fmt.Errorf("boom")}}}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := "[{items SUCCESS 2 32ms  } {comments FAILURE 1 0s boom } {stories SKIPPED 0 0s  } {extra CANCELED 0 0s  }]"
	if got := fmt.Sprint(d.Steps); got != want {
		t.Errorf("steps %s\nwant  %s", got, want)
	}
	if d.Status != "FAILURE" || d.Duration != time.Second || len(d.Materialization) != 1 || d.Materialization[0].Rows != 967 {
		t.Errorf("run %+v", d)
	}
	rerun, err := d.Rerun()
	if err != nil || strings.Join(rerun, ",") != "comments,stories,extra" {
		t.Errorf("rerun %v (%v)", rerun, err)
	}
	last, err := s.LastMaterializationsIn(ctx, runstore.Scope{})
	if err != nil || last["items"].RunID != "r1" || last["items"].Rows != 967 {
		t.Errorf("last materializations %v (%v)", last, err)
	}
}

func TestRerunRefusesASuccessfulRun(t *testing.T) {
	d := &runstore.RunDetail{Run: runstore.Run{ID: "ok", Status: "SUCCESS"}}
	if _, err := d.Rerun(); err == nil || !strings.Contains(err.Error(), "run ok succeeded: there is nothing to re-execute") {
		t.Errorf("got %v", err)
	}
}

func TestUnreadableStores(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("not a database ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runstore.OpenSQLite(context.Background(), corrupt); err == nil || !strings.Contains(err.Error(), "run store "+corrupt+" is not a readable") {
		t.Errorf("corrupt: %v", err)
	}
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := runstore.OpenSQLite(context.Background(), newer); err == nil ||
		!strings.Contains(err.Error(), "run store "+newer+" was written by a newer assetflow (layout 99; this one reads 6)") {
		t.Errorf("newer: %v", err)
	}
}

// A run whose process is gone is marked FAILED; a live one is left alone.
func TestAbandonedRunsAreFailed(t *testing.T) { eachBackend(t, testAbandonedRunsAreFailed) }

func testAbandonedRunsAreFailed(t *testing.T, b backend) {
	s := b.open(t)
	ctx := context.Background()
	if err := s.StartRun(ctx, runstore.Run{ID: "mine", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A run recorded by a process that has exited.
	child := exec.Command("sh", "-c", "exit 0")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, runstore.Run{ID: "gone", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPID(ctx, "gone", child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	n, err := s.MarkAbandoned(ctx)
	if err != nil || n != 1 {
		t.Fatalf("marked %d (%v), want 1", n, err)
	}
	runs, _ := s.Runs(ctx, 10)
	for _, r := range runs {
		switch r.ID {
		case "gone":
			if r.Status != "FAILURE" || r.Error != "process ended without finishing the run" {
				t.Errorf("gone: %+v", r)
			}
		case "mine":
			if r.Status != "STARTED" {
				t.Errorf("a live run was marked: %+v", r)
			}
		}
	}
}

// Stores on one database, as several processes, open (and so migrate) and
// write at once without losing events.
func TestConcurrentWriters(t *testing.T) { eachBackend(t, testConcurrentWriters) }

func testConcurrentWriters(t *testing.T, b backend) {
	const runs, events = 4, 2000
	var wg sync.WaitGroup
	for i := 0; i < runs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := b.openAt()
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			id := fmt.Sprintf("run%d", i)
			if err := s.StartRun(context.Background(), runstore.Run{ID: id, Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
				t.Error(err)
				return
			}
			sink := s.Events(id)
			for k := 0; k < events; k++ {
				sink.Emit(engine.Event{Type: engine.EventStepStart, RunID: id, Node: fmt.Sprint(k), Time: time.Now()})
			}
			if err := sink.Close(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := b.open(t)
	for i := 0; i < runs; i++ {
		got, err := s.RunEvents(context.Background(), fmt.Sprintf("run%d", i))
		if err != nil || len(got) != events {
			t.Errorf("run%d: %d events (%v), want %d", i, len(got), err, events)
		}
	}
}

// A PostgreSQL instance migrated by a newer assetflow is refused, naming the
// instance without its credentials.
func TestNewerPostgresLayoutIsRefused(t *testing.T) {
	url := pgtest.Shared(t).NewDatabase(t)
	s, err := runstore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("UPDATE assetflow_schema SET version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	withSecret := strings.Replace(url, "postgres://postgres@", "postgres://postgres:s3cret@", 1)
	_, err = runstore.OpenPostgres(context.Background(), withSecret)
	if err == nil || !strings.Contains(err.Error(), "was written by a newer assetflow (layout 99; this one reads 5): upgrade, or point ASSETFLOW_INSTANCE elsewhere") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "postgres@") {
		t.Errorf("credentials in %q", err)
	}
}

// Credentials never appear in a connection error: not the password, not the user.
func TestPostgresErrorsHideCredentials(t *testing.T) {
	// A port nothing listens on: the connection is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, url := range []string{
		fmt.Sprintf("postgres://alice:hunter2@127.0.0.1:%d/db?sslmode=disable&connect_timeout=5", port),
		fmt.Sprintf("postgres://alice:hunter2@127.0.0.1:%d/db?password=hunter2&sslmode=disable", port),
		"postgres://alice:hunter2@[::1/db", // does not parse
		// sslmode=prefer (the default) tries twice; the driver's message spans two lines
		fmt.Sprintf("postgres://alice:hunter2@127.0.0.1:%d/db", port),
	} {
		_, err := runstore.OpenPostgres(context.Background(), url)
		if err == nil {
			t.Fatalf("%s: opened", runstore.RedactURL(url))
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "alice") {
			t.Errorf("credentials in %q", err)
		}
		if !strings.HasPrefix(err.Error(), "instance ") {
			t.Errorf("error does not name the instance: %q", err)
		}
		if strings.ContainsAny(err.Error(), "\n\t") {
			t.Errorf("error is not one line: %q", err)
		}
	}
}

// The server's own refusal names the role: that is scrubbed too.
func TestPostgresRefusalHidesUser(t *testing.T) {
	url := pgtest.Shared(t).NewDatabase(t)
	url = strings.Replace(url, "postgres://postgres@", "postgres://mallory:pw123@", 1)
	_, err := runstore.OpenPostgres(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("got %v, want the server's refusal", err)
	}
	if strings.Contains(err.Error(), "mallory") || strings.Contains(err.Error(), "pw123") {
		t.Errorf("credentials in %q", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@db.example:5432/flow":             "postgres://db.example:5432/flow",
		"postgres://u@db/flow?sslmode=disable&password=x": "postgres://db/flow?...",
		"postgres://db/flow":                              "postgres://db/flow",
		"::not a url":                                     "(unparsable URL)",
	} {
		if got := runstore.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// A query error after the store opened (here: the database dropped under it,
// so every new connection is refused naming the role) does not name the user.
func TestPostgresLaterErrorsHideUser(t *testing.T) {
	srv := pgtest.Shared(t)
	url := srv.NewDatabase(t)
	s, err := runstore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.DB().SetMaxIdleConns(0) // every query dials anew
	admin, err := sql.Open("pgx", srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Runs(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("got %v, want the server's refusal", err)
	}
	if strings.Contains(err.Error(), "user=postgres") {
		t.Errorf("user in %q", err)
	}
}
