package hackernews_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/assetflow/assetflow/assets/hackernews"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAPI serves items 1..n as stories, with per-test behaviour injected.
type fakeAPI struct {
	n         int64
	inFlight  atomic.Int32
	peak      atomic.Int32
	requests  atomic.Int32
	delay     time.Duration
	mu        sync.Mutex
	failures  map[int64]int // id -> how many more times to fail
	status    int           // status of injected failures
	retryAftr string
	override  map[int64]string // id -> raw body
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path == "/v0/maxitem.json" {
		fmt.Fprint(w, f.n)
		return
	}
	var id int64
	if _, err := fmt.Sscanf(r.URL.Path, "/v0/item/%d.json", &id); err != nil {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	left := f.failures[id]
	if left > 0 {
		f.failures[id] = left - 1
	}
	body, overridden := f.override[id]
	f.mu.Unlock()
	if left > 0 {
		if f.retryAftr != "" {
			w.Header().Set("Retry-After", f.retryAftr)
		}
		w.WriteHeader(f.status)
		return
	}
	if overridden {
		fmt.Fprint(w, body)
		return
	}
	fmt.Fprintf(w, `{"by":"u%d","id":%d,"time":1160418111,"title":"t","type":"story"}`, id, id)
}

func serve(t *testing.T, f *fakeAPI) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL + "/v0"
}

func ids(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func fastClient(url string, concurrency int) *hackernews.Client {
	return hackernews.New(hackernews.Config{BaseURL: url, Concurrency: concurrency, Backoff: time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, Timeout: 2 * time.Second})
}

func TestConcurrencyBoundHeldAtServer(t *testing.T) {
	f := &fakeAPI{n: 200, delay: 5 * time.Millisecond}
	c := fastClient(serve(t, f), 8)
	defer c.Close()
	var mu sync.Mutex
	lastDone := 0
	got, err := c.Items(context.Background(), ids(200), func(done, total int) {
		mu.Lock()
		lastDone = max(lastDone, done)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 200 || lastDone != 200 {
		t.Fatalf("%d items, progress reached %d", len(got.Items), lastDone)
	}
	for i, it := range got.Items {
		if it.ID != int64(i+1) {
			t.Fatalf("item %d has id %d: order not kept", i, it.ID)
		}
	}
	if p := f.peak.Load(); p > 8 || p < 2 {
		t.Errorf("peak in flight at the server %d, want 2..8", p)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
	}{{"500", 500, ""}, {"503", 503, ""}, {"429 with Retry-After", 429, "0"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{n: 10, status: tc.status, retryAftr: tc.retryAfter, failures: map[int64]int{3: 2, 7: 1}}
			c := fastClient(serve(t, f), 4)
			defer c.Close()
			got, err := c.Items(context.Background(), ids(10), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 10 || f.requests.Load() != 13 {
				t.Errorf("%d items in %d requests, want 10 in 13", len(got.Items), f.requests.Load())
			}
		})
	}
}

func TestGivesUpNamingTheItem(t *testing.T) {
	f := &fakeAPI{n: 5, status: 502, failures: map[int64]int{4: 100}}
	c := hackernews.New(hackernews.Config{BaseURL: serve(t, f), MaxAttempts: 3, Backoff: time.Millisecond})
	defer c.Close()
	_, err := c.Items(context.Background(), ids(5), nil)
	if err == nil || !strings.Contains(err.Error(), "item 4: giving up after 3 attempts: HTTP 502") {
		t.Fatalf("got %v", err)
	}
}

func TestHangingServerTimesOut(t *testing.T) {
	f := &fakeAPI{n: 2, delay: time.Hour}
	c := hackernews.New(hackernews.Config{BaseURL: serve(t, f), Timeout: 50 * time.Millisecond, MaxAttempts: 2, Backoff: time.Millisecond})
	defer c.Close()
	_, err := c.Items(context.Background(), ids(2), nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("got %v", err)
	}
}

func TestBadAnswers(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"malformed JSON", `{"id": 3, "type": `, "item 3: malformed JSON"},
		{"not JSON", `<html>oops</html>`, "item 3: malformed JSON"},
		{"another id", `{"id": 4, "type": "story"}`, "item 3: the API answered with item 4"},
		{"huge body", `{"id":3,"text":"` + strings.Repeat("x", 2<<20) + `"}`, "answer larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{n: 5, override: map[int64]string{3: tc.body}}
			c := fastClient(serve(t, f), 2)
			defer c.Close()
			_, err := c.Items(context.Background(), ids(5), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNullAndDeletedAreCountedNotReturned(t *testing.T) {
	f := &fakeAPI{n: 6, override: map[int64]string{2: "null", 5: `{"id":5,"deleted":true,"type":"comment","time":1}`}}
	c := fastClient(serve(t, f), 3)
	defer c.Close()
	got, err := c.Items(context.Background(), ids(6), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 4 || got.Missing != 1 || got.Deleted != 1 {
		t.Errorf("items %d, missing %d, deleted %d; want 4, 1, 1", len(got.Items), got.Missing, got.Deleted)
	}
}

func TestCancelStopsEveryRequest(t *testing.T) {
	f := &fakeAPI{n: 100, delay: time.Hour}
	c := fastClient(serve(t, f), 16)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once 16 requests hang, or after a deadline if they never do.
		for deadline := time.Now().Add(2 * time.Minute); f.inFlight.Load() < 16 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	out := make(chan error, 1)
	go func() {
		_, err := c.Items(ctx, ids(100), nil)
		out <- err
	}()
	var err error
	select {
	case err = <-out:
	case <-time.After(5 * time.Minute): // catches a hang only; no timing is asserted
		t.Fatal("Items did not return after cancel: requests outlived the context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	c.Close()
}

func TestSnapshotServesTheAPIShape(t *testing.T) {
	s, err := hackernews.LoadSnapshot("../../testdata/hn/items.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	c := hackernews.New(hackernews.Config{BaseURL: "http://snapshot/v0", Transport: s.Transport()})
	max, err := c.MaxItem(context.Background())
	if err != nil || max != s.MaxItem() || max < 2000 {
		t.Fatalf("maxitem %d (%v)", max, err)
	}
	got, err := c.Items(context.Background(), ids(int(max)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Missing == 0 || got.Deleted == 0 || len(got.Items)+got.Missing+got.Deleted != int(max) {
		t.Errorf("items %d, missing %d, deleted %d of %d", len(got.Items), got.Missing, got.Deleted, max)
	}
	types := map[string]int{}
	for _, it := range got.Items {
		types[it.Type]++
	}
	for _, typ := range []string{"story", "comment", "job", "poll", "pollopt"} {
		if types[typ] == 0 {
			t.Errorf("snapshot has no %s", typ)
		}
	}
}
