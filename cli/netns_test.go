package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/pgtest"
	"github.com/assetflow/assetflow/internal/runstore"
)

// NetnsVar makes the network namespace test fail, not skip, when namespaces
// cannot be made (.ci/run sets it where they can).
const netnsVar = "ASSETFLOW_TEST_NETNS"

// netns is a network namespace joined to this one by a veth pair: as far as
// the network goes, a separate host, which reaches this one only at hostIP.
type netns struct {
	name, hostIf, hostIP, innerIP string
}

// ip runs ip(8), failing the test with its output.
func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newNetns makes namespace i of this test process: 10.231.P.(4i+1) on this
// side, .(4i+2) inside, P from the pid so two test processes do not clash.
func newNetns(t *testing.T, i int) *netns {
	t.Helper()
	p := os.Getpid() % 250
	n := &netns{name: fmt.Sprintf("af%d-%d", os.Getpid(), i), hostIf: fmt.Sprintf("afh%d_%d", os.Getpid()%100000, i),
		hostIP: fmt.Sprintf("10.231.%d.%d", p, 4*i+1)}
	inner := fmt.Sprintf("afw%d_%d", os.Getpid()%100000, i)
	n.innerIP = fmt.Sprintf("10.231.%d.%d", p, 4*i+2)
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		if os.Getenv(netnsVar) == "1" {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		t.Skipf("network namespaces are not available here (%v: %s); %s=1 makes this a failure", err, strings.TrimSpace(string(out)), netnsVar)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n.name).Run() }) // takes the veth pair with it
	ip(t, "link", "add", n.hostIf, "type", "veth", "peer", "name", inner)
	ip(t, "link", "set", inner, "netns", n.name)
	ip(t, "addr", "add", n.hostIP+"/30", "dev", n.hostIf)
	ip(t, "link", "set", n.hostIf, "up")
	ip(t, "netns", "exec", n.name, "ip", "addr", "add", n.innerIP+"/30", "dev", inner)
	ip(t, "netns", "exec", n.name, "ip", "link", "set", inner, "up")
	ip(t, "netns", "exec", n.name, "ip", "link", "set", "lo", "up")
	return n
}

// reaches reports whether a TCP connection from inside the namespace to
// addr:port succeeds.
func (n *netns) reaches(addr string, port int) bool {
	cmd := exec.Command("ip", "netns", "exec", n.name, "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", addr, port))
	return cmd.Run() == nil
}

// Three workers, each in a network namespace of its own, reach PostgreSQL only
// over their veth pair: as separate hosts would. They run a 200-step run
// spread over them. One worker's link is cut while it runs a step: the others
// take the step over once River hands its job on, and the run completes. When
// the link comes back, the cut worker finishes its copy of the step and tries
// to record it: it is refused (the step is no longer its own), so every step's
// success is recorded once.
func TestWorkersInNetworkNamespaces(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		if os.Getenv(netnsVar) == "1" {
			t.Fatal(err)
		}
		t.Skip("no ip(8) here")
	}
	var spaces []*netns
	var addrs, nets []string
	for i := range 3 {
		n := newNetns(t, i)
		spaces = append(spaces, n)
		addrs = append(addrs, n.hostIP)
		nets = append(nets, n.innerIP+"/32")
	}
	pg, err := pgtest.StartOn(addrs, nets)
	if err != nil {
		if os.Getenv(pgtest.BinVar) != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(pg.Stop)
	if spaces[0].reaches("127.0.0.1", pg.Port()) {
		t.Fatal("a namespace reaches this host's loopback: it is not isolated")
	}
	if !spaces[0].reaches(spaces[0].hostIP, pg.Port()) {
		t.Fatal("a namespace does not reach PostgreSQL over its veth pair")
	}
	local := pg.NewDatabase(t)
	u, _ := url.Parse(local)
	db := strings.TrimPrefix(u.Path, "/")

	r := newStepsRig(t, 300*time.Millisecond, "postgres")
	r.vars["ASSETFLOW_INSTANCE"] = local
	store, err := runstore.OpenPostgres(context.Background(), local)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r.store = store
	pids := map[string]int{} // worker pid -> namespace
	logs := map[int]string{}
	for i, n := range spaces {
		w, log := r.startWorkerIn(n.name, map[string]string{"ASSETFLOW_INSTANCE": pg.URLAt(n.hostIP, db)}, "--concurrency", "2")
		pids[strconv.Itoa(w.Process.Pid)] = i
		logs[i] = log
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, log := range logs {
				b, _ := os.ReadFile(log)
				t.Logf("worker %d log:\n%s", i, tail(string(b), 3000))
			}
		}
	})
	id := r.enqueue("assets", "--queue", "--distribute", "steps")

	// Cut a worker's link while it is in the middle of a step.
	cut, cutStep := -1, ""
	r.waitFor("a worker in the middle of a step", 3*time.Minute, func() bool {
		ends := r.executions()
		if len(ends) < 10 {
			return false
		}
		for step, starters := range r.starts() {
			if i, ok := pids[starters[0]]; ok && ends[step] == 0 && strings.HasPrefix(step, id) {
				cut, cutStep = i, step
				return true
			}
		}
		return false
	})
	ip(t, "link", "set", spaces[cut].hostIf, "down")
	restored := false
	defer func() {
		if !restored {
			ip(t, "link", "set", spaces[cut].hostIf, "up")
		}
	}()
	r.waitFor("the run to end without the cut worker", 5*time.Minute, func() bool { return r.ended([]string{id}) })
	ip(t, "link", "set", spaces[cut].hostIf, "up")
	restored = true
	r.waitFor("the cut worker to be refused its late record of the step", 4*time.Minute, func() bool {
		b, _ := os.ReadFile(logs[cut])
		return strings.Contains(string(b), "step taken over by another worker")
	})
	r.checkRuns([]string{id})
	starters := r.starts()[cutStep]
	if len(starters) < 2 || pids[starters[0]] != cut || pids[starters[len(starters)-1]] == cut {
		t.Errorf("step %s, cut off on worker %d, was begun by %v: want another worker after it", cutStep, cut, starters)
	}
	d, err := store.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]bool{}
	for _, st := range d.Steps {
		hosts[st.Worker] = true
	}
	if len(hosts) < 2 {
		t.Errorf("the steps ran on %v", hosts)
	}
	t.Logf("cut worker %d in the middle of %s; steps ran on %d workers", cut, cutStep, len(hosts))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
