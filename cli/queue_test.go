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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/assetflow/assetflow/cli"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/engine/enginetest"
	"github.com/assetflow/assetflow/internal/pgtest"
	"github.com/assetflow/assetflow/internal/runstore"
)

// The test binary doubles as a project's command line (queueApp) for worker
// processes: ASSETFLOW_TEST_AS_CLI=1.
func TestMain(m *testing.M) {
	if os.Getenv("ASSETFLOW_TEST_AS_CLI") == "1" {
		cli.Main(queueApp())
	}
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

const queueSteps = 200

// queueApp has 200 independent assets s000..s199. Each sleeps
// ASSETFLOW_TEST_SLEEP, then appends "run node pid" to ASSETFLOW_TEST_LEDGER:
// a record of every execution, kept outside the run store.
func queueApp() cli.App {
	return cli.App{Name: "qflow", Definitions: func(env cli.Env) (engine.Definitions, error) {
		if v, _ := env.Lookup("ASSETFLOW_TEST_APP"); v == "steps" {
			return stepsDefinitions(env)
		}
		sleep, _ := env.Lookup("ASSETFLOW_TEST_SLEEP")
		pause, _ := time.ParseDuration(sleep)
		ledger, _ := env.Lookup("ASSETFLOW_TEST_LEDGER")
		var assets []engine.Asset
		for i := range queueSteps {
			assets = append(assets, engine.Asset{Name: fmt.Sprintf("s%03d", i), Compute: func(ctx *engine.Context) (any, error) {
				select {
				case <-time.After(pause):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				if ledger != "" {
					f, err := os.OpenFile(ledger, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
					if err != nil {
						return nil, err
					}
					defer f.Close()
					if _, err := fmt.Fprintf(f, "%s %s %d\n", ctx.RunID, ctx.Node, os.Getpid()); err != nil {
						return nil, err
					}
				}
				return i, nil
			}})
		}
		mem := &enginetest.IOManager{}
		defs := engine.Definitions{Assets: assets, Resources: map[string]engine.Resource{engine.DefaultIOManager: mem.Resource()}}
		if v, _ := env.Lookup("ASSETFLOW_TEST_SCHEDULE"); v == "1" {
			defs.Schedules = []engine.Schedule{{Name: "minutely", Cron: "* * * * *", Selection: "s000"}}
		}
		return defs, nil
	}}
}

// queueRig is a PostgreSQL instance, a ledger, and worker processes.
type queueRig struct {
	t      testing.TB
	url    string
	ledger string
	vars   map[string]string
	store  rigStore
	mu     sync.Mutex
	procs  []*exec.Cmd
}

// rigStore is the instance's store as the tests read it.
type rigStore interface {
	runstore.QueueStore
	runstore.TickStore
	RunEvents(ctx context.Context, id string) ([]engine.Event, error)
}

// newQueueRig is a rig on a PostgreSQL instance.
func newQueueRig(t testing.TB, sleep time.Duration) *queueRig {
	return newQueueRigOn(t, sleep, "postgres")
}

// newQueueRigOn is a rig on a "postgres" or "sqlite" (folder) instance.
func newQueueRigOn(t testing.TB, sleep time.Duration, backend string) *queueRig {
	dir := t.TempDir()
	var url string
	var s rigStore
	var err error
	if backend == "sqlite" {
		url = filepath.Join(dir, "instance")
		s, err = runstore.OpenSQLite(context.Background(), filepath.Join(url, "runs.db"))
	} else {
		url = pgtest.Shared(t).NewDatabase(t)
		s, err = runstore.OpenPostgres(context.Background(), url)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := &queueRig{t: t, url: url, ledger: filepath.Join(dir, "ledger"), vars: map[string]string{
		"ASSETFLOW_INSTANCE": url, "ASSETFLOW_ENV": "local", "ASSETFLOW_TEST_SLEEP": sleep.String(),
	}}
	r.vars["ASSETFLOW_TEST_LEDGER"] = r.ledger
	r.store = s
	t.Cleanup(func() { r.stopWorkers(); s.Close() })
	return r
}

// lockedBuffer is a bytes.Buffer that several goroutines may write: a run's
// nodes log at once (cli.Run does not serialise writes to its streams).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cli runs the command line in process.
func (r *queueRig) cli(args ...string) (int, string, string) {
	var out, errOut lockedBuffer
	code := cli.Run(context.Background(), queueApp(), append(args, "--log-format", "json"), &out, &errOut,
		func(k string) (string, bool) { v, ok := r.vars[k]; return v, ok })
	return code, out.String(), errOut.String()
}

// enqueue queues a run and returns its id.
func (r *queueRig) enqueue(args ...string) string {
	r.t.Helper()
	code, out, errOut := r.cli(args...)
	if code != 0 {
		r.t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	return strings.TrimSpace(out)
}

// startWorker starts a worker process; stopWorkers ends them all.
func (r *queueRig) startWorker(args ...string) *exec.Cmd {
	r.t.Helper()
	cmd, _ := r.startWorkerIn("", nil, args...)
	return cmd
}

// startWorkerIn starts a worker process in the network namespace ns ("" for
// this one), with vars over the rig's; it returns the process and its log.
func (r *queueRig) startWorkerIn(ns string, vars map[string]string, args ...string) (*exec.Cmd, string) {
	r.t.Helper()
	argv := append([]string{os.Args[0], "worker", "--heartbeat", "1s", "--rescue-after", "4s", "--poll", "100ms", "--log-format", "json"}, args...)
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...) // it execs the worker: the pid is the worker's
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "ASSETFLOW_TEST_AS_CLI=1")
	for k, v := range r.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logPath := filepath.Join(r.t.TempDir(), "worker.log")
	logf, err := os.Create(logPath)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	logf.Close() // the child has its own copy
	r.mu.Lock()
	r.procs = append(r.procs, cmd)
	r.mu.Unlock()
	return cmd, logPath
}

func (r *queueRig) stopWorkers() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range r.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = p.Process.Kill()
			<-done
			r.t.Errorf("worker %d did not stop within a minute of SIGTERM", p.Process.Pid)
		}
	}
	r.procs = nil
}

// waitFor polls cond until it holds, failing the test after limit.
func (r *queueRig) waitFor(what string, limit time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ended reports whether every run has ended.
func (r *queueRig) ended(ids []string) bool {
	for _, id := range ids {
		d, err := r.store.Run(context.Background(), id)
		if err != nil {
			return false // e.g. PostgreSQL restarting; waitFor has the deadline
		}
		if d.Status == "QUEUED" || d.Status == "STARTED" {
			return false
		}
	}
	return true
}

// executions counts, from the ledger, how often each run's step executed.
func (r *queueRig) executions() map[string]int {
	r.t.Helper()
	b, err := os.ReadFile(r.ledger)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		r.t.Fatal(err)
	}
	n := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		n[f[0]+" "+f[1]]++
	}
	return n
}

// checkRuns asserts every run succeeded with each step succeeding exactly once
// in the event log and executed at least once; it returns the steps executed
// more than once (by a worker killed before recording their success).
func (r *queueRig) checkRuns(ids []string) (repeated int, workers map[string]bool) {
	r.t.Helper()
	execs := r.executions()
	workers = map[string]bool{}
	for _, id := range ids {
		d, err := r.store.Run(context.Background(), id)
		if err != nil {
			r.t.Fatal(err)
		}
		if d.Status != "SUCCESS" {
			r.t.Errorf("run %s: %s %s", id, d.Status, d.Error)
		}
		events, err := r.store.RunEvents(context.Background(), id)
		if err != nil {
			r.t.Fatal(err)
		}
		successes := map[string]int{}
		for _, e := range events {
			if e.Type == engine.EventStepSuccess {
				successes[e.Node]++
			}
		}
		for _, st := range d.Steps {
			workers[st.Worker] = true
			if successes[st.Node] != 1 {
				r.t.Errorf("run %s step %s: %d successes recorded, want 1; its events:\n%s", id, st.Node, successes[st.Node], eventLines(events, st.Node))
			}
			switch n := execs[id+" "+st.Node]; {
			case n == 0:
				r.t.Errorf("run %s step %s never executed", id, st.Node)
			case n > 1:
				repeated += n - 1
			}
		}
	}
	return repeated, workers
}

// eachInstance runs a test on a PostgreSQL and on a folder (SQLite) instance.
func eachInstance(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range []string{"postgres", "sqlite"} {
		t.Run(b, func(t *testing.T) { test(t, b) })
	}
}

// Three worker processes execute 50 queued runs and one of 200 steps: every
// run succeeds, every step succeeds once, and the work is spread.
func TestQueuedRunsOnThreeWorkers(t *testing.T) { eachInstance(t, testQueuedRunsOnThreeWorkers) }

func testQueuedRunsOnThreeWorkers(t *testing.T, backend string) {
	r := newQueueRigOn(t, 10*time.Millisecond, backend)
	for range 3 {
		r.startWorker("--concurrency", "2")
	}
	ids := []string{r.enqueue("assets", "--queue", "--max-concurrency", "8")}
	for i := range 50 {
		ids = append(ids, r.enqueue("assets", "--queue", "--select", fmt.Sprintf("s%03d,s%03d", i, i+100)))
	}
	r.waitFor("51 queued runs to end", 4*time.Minute, func() bool { return r.ended(ids) })
	repeated, workers := r.checkRuns(ids)
	if repeated != 0 {
		t.Errorf("%d step executions repeated with no worker killed", repeated)
	}
	if len(workers) < 2 {
		t.Errorf("the runs were not spread over workers: %v", workers)
	}
	// run show names each step's worker.
	host, _ := os.Hostname()
	code, out, _ := r.cli("show", ids[1])
	if code != 0 || !strings.Contains(out, "WORKER") || !strings.Contains(out, host+":") {
		t.Errorf("show: %d\n%s", code, out)
	}
	code, out, _ = r.cli("runs", "--limit", "100")
	if code != 0 || strings.Count(out, "SUCCESS") != len(ids) || !strings.Contains(out, host+":") {
		t.Errorf("runs: %d\n%s", code, out)
	}
}

// A worker killed with kill -9 in the middle of the 200-step run: another
// worker continues it once River's rescuer hands it on and its heartbeat is
// stale. All runs end, every step succeeds exactly once in the event log.
func TestQueuedRunSurvivesKilledWorker(t *testing.T) {
	eachInstance(t, testQueuedRunSurvivesKilledWorker)
}

func testQueuedRunSurvivesKilledWorker(t *testing.T, backend string) {
	r := newQueueRigOn(t, 20*time.Millisecond, backend)
	big := r.enqueue("assets", "--queue", "--max-concurrency", "4")
	ids := []string{big}
	for i := range 50 {
		ids = append(ids, r.enqueue("assets", "--queue", "--select", fmt.Sprintf("s%03d,s%03d", i, i+100)))
	}
	byPID := map[int]*exec.Cmd{}
	for range 3 {
		w := r.startWorker("--concurrency", "2")
		byPID[w.Process.Pid] = w
	}
	// Wait until the big run is mid-way on some worker, then kill that worker.
	var victim *exec.Cmd
	r.waitFor("the 200-step run to be under way", 2*time.Minute, func() bool {
		d, err := r.store.Run(context.Background(), big)
		if err != nil || d.Status != "STARTED" {
			return false
		}
		done := queueSteps - len(d.Remaining())
		victim = byPID[d.PID]
		return done >= 20 && done < queueSteps-20 && victim != nil
	})
	killedWorker := fmt.Sprintf("%d", victim.Process.Pid)
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	r.waitFor("all runs to end after the kill", 4*time.Minute, func() bool { return r.ended(ids) })
	repeated, _ := r.checkRuns(ids)
	// The fault landed: the big run has steps by the killed worker and by another.
	d, _ := r.store.Run(context.Background(), big)
	var byKilled, byOthers int
	for _, st := range d.Steps {
		if strings.HasSuffix(st.Worker, ":"+killedWorker) {
			byKilled++
		} else {
			byOthers++
		}
	}
	if byKilled == 0 || byOthers == 0 {
		t.Errorf("the 200-step run was not continued by another worker: %d steps by the killed one, %d by others", byKilled, byOthers)
	}
	// Steps in flight on the killed worker execute again, and so do those of a
	// live worker starved of CPU past its heartbeat on a loaded machine, which
	// another takes over: how many is not the point (each success is still
	// recorded once, checked above), so it is reported, not bounded.
	t.Logf("killed worker %s after %d steps of %s; %d steps by others; %d executions repeated", killedWorker, byKilled, big, byOthers, repeated)
}

// run cancel stops a run on its worker, and a queued run before it starts.
func TestCancelQueuedAndRunning(t *testing.T) { eachInstance(t, testCancelQueuedAndRunning) }

func testCancelQueuedAndRunning(t *testing.T, backend string) {
	r := newQueueRigOn(t, 500*time.Millisecond, backend)
	waiting := r.enqueue("assets", "--queue", "--select", "s000")
	if code, out, errOut := r.cli("cancel", waiting); code != 0 || !strings.Contains(out, "cancelled before it started") {
		t.Fatalf("cancel queued: %d %q %q", code, out, errOut)
	}
	long := r.enqueue("assets", "--queue", "--max-concurrency", "1")
	r.startWorker()
	r.waitFor("the long run to start", time.Minute, func() bool {
		d, _ := r.store.Run(context.Background(), long)
		return d != nil && d.Status == "STARTED"
	})
	if code, out, errOut := r.cli("cancel", long); code != 0 || !strings.Contains(out, "cancellation sent") {
		t.Fatalf("cancel running: %d %q %q", code, out, errOut)
	}
	r.waitFor("the long run to end", time.Minute, func() bool { return r.ended([]string{long}) })
	for id, want := range map[string]string{waiting: "CANCELED", long: "CANCELED"} {
		if d, _ := r.store.Run(context.Background(), id); d.Status != want {
			t.Errorf("run %s: %s, want %s", id, d.Status, want)
		}
	}
	if execs := r.executions(); execs[waiting+" s000"] != 0 {
		t.Errorf("the run cancelled while queued executed")
	}
	if code, _, errOut := r.cli("cancel", long); code != 2 || !strings.Contains(errOut, "has already ended (CANCELED)") {
		t.Errorf("cancel again: %d %q", code, errOut)
	}
	if code, _, errOut := r.cli("cancel", "nosuchrun"); code != 2 || !strings.Contains(errOut, `no run "nosuchrun"`) {
		t.Errorf("cancel unknown: %d %q", code, errOut)
	}
}

// Two workers check a once-a-minute schedule five times a second: each tick
// queues exactly one run, which a worker executes; run schedules shows it.
func TestScheduleFiresOnceWithTwoWorkers(t *testing.T) {
	r := newQueueRig(t, 0)
	r.vars["ASSETFLOW_TEST_SCHEDULE"] = "1"
	for range 2 {
		r.startWorker("--schedule-every", "200ms")
	}
	var first runstore.Tick
	r.waitFor("the schedule's first run to end", 2*time.Minute, func() bool {
		ticks, err := r.store.Ticks(context.Background(), "local/minutely", 10)
		if err != nil || len(ticks) == 0 {
			return false
		}
		first = ticks[len(ticks)-1]
		return r.ended([]string{first.RunID})
	})
	time.Sleep(2 * time.Second) // both workers keep checking meanwhile
	r.stopWorkers()
	ticks, err := r.store.Ticks(context.Background(), "local/minutely", 10)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := r.store.Runs(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(ticks) {
		t.Errorf("%d runs for %d ticks: a tick fired twice or queued nothing", len(runs), len(ticks))
	}
	for _, tk := range ticks {
		if tk.Error != "" || tk.Time.Second() != 0 {
			t.Errorf("tick %+v", tk)
		}
	}
	if d, _ := r.store.Run(context.Background(), first.RunID); d.Status != "SUCCESS" || d.Selection != "s000" {
		t.Errorf("scheduled run %+v", d)
	}
	code, out, errOut := r.cli("schedules")
	if code != 0 || !strings.Contains(out, "minutely") || !strings.Contains(out, ticks[0].RunID) {
		t.Errorf("schedules: %d\n%s%s", code, out, errOut)
	}
}

// PostgreSQL restarted (every connection cut) in the middle of a queued run:
// the worker reconnects, the run completes, and no event is lost or doubled.
func TestQueuedRunSurvivesPostgresRestart(t *testing.T) {
	r := newQueueRig(t, 100*time.Millisecond)
	var nodes []string
	for i := range 30 {
		nodes = append(nodes, fmt.Sprintf("s%03d", i))
	}
	id := r.enqueue("assets", "--queue", "--select", strings.Join(nodes, ","), "--max-concurrency", "2")
	r.startWorker()
	r.waitFor("the run to be under way", time.Minute, func() bool {
		d, err := r.store.Run(context.Background(), id)
		return err == nil && d.Status == "STARTED" && len(d.Remaining()) <= 26
	})
	r.restartMidRun(t, id)
}

// restartMidRun restarts the shared PostgreSQL (every connection cut) while
// run id is under way, checks the restart landed mid-run, and that the run
// then ends with every step succeeding once.
func (r *queueRig) restartMidRun(t *testing.T, id string) {
	t.Helper()
	if err := pgtest.Shared(t).Restart(); err != nil {
		t.Fatal(err)
	}
	var d *runstore.RunDetail
	r.waitFor("the run store to answer after the restart", time.Minute, func() bool {
		var err error
		d, err = r.store.Run(context.Background(), id) // the first use of a cut connection fails
		return err == nil
	})
	if d.Status != "STARTED" || len(d.Remaining()) == 0 {
		t.Fatalf("the restart did not land mid-run: %s, %d steps left", d.Status, len(d.Remaining()))
	}
	r.waitFor("the run to end after the restart", 5*time.Minute, func() bool { return r.ended([]string{id}) })
	repeated, _ := r.checkRuns([]string{id})
	t.Logf("restart with %d of %d steps left; %d executions repeated", len(d.Remaining()), len(d.Steps), repeated)
}

// Without --queue, a PostgreSQL instance records runs executed in process,
// as the folder instance does; run runs and run show read them back.
func TestPostgresInstanceRecordsInProcessRuns(t *testing.T) {
	r := newQueueRig(t, 0)
	if code, _, errOut := r.cli("assets", "--select", "s000,s001"); code != 0 {
		t.Fatalf("assets: %d %s", code, errOut)
	}
	code, out, errOut := r.cli("runs", "--json")
	var runs []runstore.Run
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 1 || runs[0].Status != "SUCCESS" {
		t.Fatalf("runs: %d %s %s", code, out, errOut)
	}
	code, out, _ = r.cli("show", runs[0].ID, "--json")
	var d runstore.RunDetail
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || len(d.Steps) != 2 || d.Steps[1].Status != "SUCCESS" {
		t.Fatalf("show: %d %s", code, out)
	}
	if strings.Contains(out, "postgres@") {
		t.Errorf("credentials in show: %s", out)
	}
	// ASSETFLOW_RUNS beside a PostgreSQL instance: which was meant?
	r.vars["ASSETFLOW_RUNS"] = filepath.Join(t.TempDir(), "runs.db")
	if code, _, errOut := r.cli("runs"); code != 2 || !strings.Contains(errOut, "are both set") || strings.Contains(errOut, "postgres@") {
		t.Errorf("both set: %d %q", code, errOut)
	}
}

// A worker stopped with SIGTERM hands its run back: another worker continues
// it from the steps that had not succeeded.
func TestStoppedWorkerHandsRunBack(t *testing.T) {
	r := newQueueRig(t, 100*time.Millisecond)
	var nodes []string
	for i := range 30 {
		nodes = append(nodes, fmt.Sprintf("s%03d", i))
	}
	id := r.enqueue("assets", "--queue", "--select", strings.Join(nodes, ","), "--max-concurrency", "1")
	first := r.startWorker()
	r.waitFor("the run to be under way", time.Minute, func() bool {
		d, err := r.store.Run(context.Background(), id)
		return err == nil && d.Status == "STARTED" && len(d.Remaining()) <= 27
	})
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stopped worker: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the worker did not stop within a minute of SIGTERM")
	}
	r.mu.Lock()
	r.procs = nil // waited for above
	r.mu.Unlock()
	d, err := r.store.Run(context.Background(), id)
	if err != nil || d.Status != "QUEUED" || len(d.Remaining()) == 0 {
		t.Fatalf("after SIGTERM the run is %v %v, want QUEUED with steps left", d, err)
	}
	r.startWorker()
	r.waitFor("the run to end on the second worker", 2*time.Minute, func() bool { return r.ended([]string{id}) })
	r.checkRuns([]string{id})
	d, _ = r.store.Run(context.Background(), id)
	workers := map[string]bool{}
	for _, st := range d.Steps {
		workers[st.Worker] = true
	}
	if len(workers) != 2 {
		t.Errorf("steps ran on %v, want both workers", workers)
	}
}

// eventLines lists a step's recorded events, one a line, for a failure message.
func eventLines(events []engine.Event, node string) string {
	var b strings.Builder
	for _, e := range events {
		if e.Node == node || e.Node == "" {
			fmt.Fprintf(&b, "  %s %s %s attempt %d %s\n", e.Time.Format("15:04:05.000000"), e.Type, e.Node, e.Attempt, e.Error)
		}
	}
	return b.String()
}

// A worker that died after its run's last step succeeded, before recording
// the run's end: the worker that takes the run over runs nothing again and
// records the end.
func TestRunWhoseWorkerDiedAfterItsLastStep(t *testing.T) {
	eachInstance(t, testRunWhoseWorkerDiedAfterItsLastStep)
}

func testRunWhoseWorkerDiedAfterItsLastStep(t *testing.T, backend string) {
	r := newQueueRigOn(t, 0, backend)
	id := r.enqueue("assets", "--queue", "--select", "s000,s001")
	ctx := context.Background()
	long := time.Now().Add(-time.Hour) // its heartbeat is long stale
	if got, err := r.store.Claim(ctx, id, "dead-owner", long, long); err != nil || got != runstore.Claimed {
		t.Fatalf("claim as the dead worker: %s %v", got, err)
	}
	sink := r.store.WorkerEvents(id, "dead-owner", "deadhost:1")
	for _, node := range []string{"s000", "s001"} {
		sink.Emit(engine.Event{RunID: id, Type: engine.EventStepStart, Node: node, Time: long})
		sink.Emit(engine.Event{RunID: id, Type: engine.EventStepSuccess, Node: node, Attempt: 1, Time: long})
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	r.startWorker()
	r.waitFor("the run to end", 2*time.Minute, func() bool { return r.ended([]string{id}) })
	d, err := r.store.Run(ctx, id)
	if err != nil || d.Status != "SUCCESS" {
		t.Fatalf("run: %+v %v", d, err)
	}
	if n := len(r.executions()); n != 0 {
		t.Errorf("%d steps ran again after they had all succeeded", n)
	}
}

// A worker's flags are checked before it connects, each error naming the flag
// and what it takes.
func TestWorkerFlagsAreChecked(t *testing.T) {
	r := newQueueRigOn(t, 0, "sqlite")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency 0: expected 1 to 10000"},
		{[]string{"--concurrency", "100000"}, "--concurrency 100000: expected 1 to 10000"},
		{[]string{"--heartbeat", "5ms"}, "--heartbeat 5ms: expected 10ms or more"},
		{[]string{"--heartbeat", "1h"}, "expected more than three heartbeats"},
	} {
		code, _, errOut := r.cli(append([]string{"worker"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("worker %v: exit %d %q, want one line with %q", c.args, code, errOut, c.want)
		}
	}
}
