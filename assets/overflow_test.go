package assets_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assetflow/assetflow/assets"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

// hostileAPI answers maxitem with a fixed body and every item with item(id).
type hostileAPI struct {
	maxitem  string
	item     func(id int64) string
	requests atomic.Int64
}

func (h *hostileAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	if strings.HasSuffix(r.URL.Path, "/maxitem.json") {
		fmt.Fprint(w, h.maxitem)
		return
	}
	var id int64
	if _, err := fmt.Sscanf(r.URL.Path, "/v0/item/%d.json", &id); err != nil {
		http.NotFound(w, r)
		return
	}
	fmt.Fprint(w, h.item(id))
}

// runItemsAgainst runs the items asset against api over real HTTP, with a
// deadline that turns a hang (the overflowing id loop) into a failure.
func runItemsAgainst(t *testing.T, api *hostileAPI, set ...string) *engine.RunResult {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	vars := map[string]string{resources.WarehouseVar: "duckdb://" + t.TempDir(), assets.HNURLVar: srv.URL + "/v0"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	env := resources.Environment{Name: resources.Local}
	res, err := assets.Resources(env, resources.Options{Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	c, err := engine.Load(engine.Definitions{Env: env.Name, Assets: assets.All(), Resources: res})
	if err != nil {
		t.Fatal(err)
	}
	rc := engine.RunConfig{}
	for _, s := range set {
		if err := rc.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	p, err := c.PlanAssets("items", rc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan *engine.RunResult, 1)
	go func() { out <- (&engine.Runner{}).Run(ctx, p) }()
	select {
	case r := <-out:
		return r
	case <-time.After(2 * time.Minute): // catches a hang only; no timing is asserted
		cancel()
		t.Errorf("the items run did not end within 2 minutes")
		return <-out
	}
}

func story(id int64, extra string) string {
	return fmt.Sprintf(`{"id":%d,"type":"story","title":"t"%s}`, id, extra)
}

// Numbers from the API that would overflow end the run with an error naming the
// item and value, never a wrapped loop or a wrapped timestamp.
func TestHostileNumbersFromTheAPI(t *testing.T) {
	for _, tc := range []struct {
		name    string
		api     *hostileAPI
		wantAll []string
	}{
		{"maxitem at the int64 limit", &hostileAPI{maxitem: "9223372036854775807", item: func(id int64) string { return "null" }},
			[]string{"maxitem = 9223372036854775807"}},
		{"maxitem just past the API's largest id", &hostileAPI{maxitem: "9007199254740992", item: func(id int64) string { return "null" }},
			[]string{"maxitem = 9007199254740992"}},
		{"maxitem beyond int64", &hostileAPI{maxitem: "99999999999999999999", item: func(id int64) string { return "null" }},
			[]string{"maxitem", "99999999999999999999"}},
		{"time beyond a timestamp", &hostileAPI{maxitem: "3", item: func(id int64) string {
			return story(id, `,"time":9223372036854775807`)
		}}, []string{"item ", "time = 9223372036854775807"}},
		{"time just past a timestamp", &hostileAPI{maxitem: "3", item: func(id int64) string {
			return story(id, `,"time":9223372036855`)
		}}, []string{"time = 9223372036855"}},
		{"negative time", &hostileAPI{maxitem: "3", item: func(id int64) string { return story(id, `,"time":-1`) }},
			[]string{"time = -1"}},
		{"time beyond int64", &hostileAPI{maxitem: "3", item: func(id int64) string { return story(id, `,"time":1e30`) }},
			[]string{"field time holds number 1e30"}},
		{"negative kid", &hostileAPI{maxitem: "3", item: func(id int64) string { return story(id, `,"kids":[5,-7]`) }},
			[]string{"kid id -7"}},
		{"kid beyond int64", &hostileAPI{maxitem: "3", item: func(id int64) string {
			return story(id, `,"kids":[99999999999999999999]`)
		}}, []string{"field kids holds number 99999999999999999999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits out the asset's retry backoff
			res := runItemsAgainst(t, tc.api, "items.base_item_id=3")
			s, _ := res.Step("items")
			if s.Status != engine.StepFailure || s.Err == nil {
				t.Fatalf("items %s (%v), want a failure", s.Status, s.Err)
			}
			msg := s.Err.Error()
			for _, want := range tc.wantAll {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			if strings.Contains(msg, "int64") || strings.Contains(msg, "\n") {
				t.Errorf("error %q shows a Go type or spans lines", msg)
			}
		})
	}
}

// The largest valid maxitem still gives a run of exactly base_item_id ids.
func TestLargestValidMaxItemFetchesTheRange(t *testing.T) {
	api := &hostileAPI{maxitem: "9007199254740991", item: func(id int64) string { return story(id, `,"time":1700000000`) }}
	res := runItemsAgainst(t, api, "items.base_item_id=3")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if s, _ := res.Step("items"); s.Materialization == nil || s.Materialization.Rows != 3 {
		t.Errorf("materialization %+v, want 3 rows", s.Materialization)
	}
	if n := api.requests.Load(); n != 4 {
		t.Errorf("%d requests, want maxitem and 3 items", n)
	}
}
