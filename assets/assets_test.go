package assets_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"go.uber.org/goleak"

	"github.com/assetflow/assetflow/assets"
	"github.com/assetflow/assetflow/assets/hackernews"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const snapshotPath = "../testdata/hn/items.jsonl"

// replayServer serves the snapshot over HTTP and counts requests.
type replayServer struct {
	snap     *hackernews.Snapshot
	requests atomic.Int32
	delay    time.Duration
}

func (s *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	s.snap.ServeHTTP(w, r)
}

type fixture struct {
	dir     string
	server  *replayServer
	catalog *engine.Catalog
}

func newFixture(t *testing.T) *fixture {
	snap, err := hackernews.LoadSnapshot(snapshotPath)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: t.TempDir(), server: &replayServer{snap: snap}}
	srv := httptest.NewServer(f.server)
	t.Cleanup(srv.Close)
	vars := map[string]string{resources.WarehouseVar: "duckdb://" + f.dir, assets.HNURLVar: srv.URL + "/v0"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	env := resources.Environment{Name: resources.Local}
	res, err := assets.Resources(env, resources.Options{Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	f.catalog, err = engine.Load(engine.Definitions{Env: env.Name, Assets: assets.All(), Resources: res})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) run(t *testing.T, ctx context.Context, selection string, set ...string) (*engine.RunResult, *engine.Recorder) {
	t.Helper()
	rc := engine.RunConfig{}
	for _, s := range set {
		if err := rc.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	p, err := f.catalog.PlanAssets(selection, rc)
	if err != nil {
		t.Fatal(err)
	}
	rec := &engine.Recorder{}
	return (&engine.Runner{Events: rec}).Run(ctx, p), rec
}

// table reads a table of the fixture's warehouse, or nil if it does not exist.
func (f *fixture) table(t *testing.T, name string) arrow.Table {
	t.Helper()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: name}
	if info, err := w.TableInfo(context.Background(), ref); err != nil || !info.Exists {
		return nil
	}
	tbl, err := w.ReadTable(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tbl.Release)
	return tbl
}

// expected reads the snapshot independently of the client: for ids first..last,
// the live items by type, and the counts of missing and deleted ones.
func expected(t *testing.T, first, last int64) (byType map[string][]int64, byID map[int64]map[string]any, missing, deleted int) {
	file, err := os.Open(snapshotPath)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	byType, byID = map[string][]int64{}, map[int64]map[string]any{}
	present := map[int64]bool{}
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		id := int64(m["id"].(float64))
		if id < first || id > last {
			continue
		}
		present[id] = true
		if m["deleted"] == true {
			deleted++
			continue
		}
		byID[id] = m
		typ, _ := m["type"].(string)
		byType[typ] = append(byType[typ], id)
		byType["*"] = append(byType["*"], id)
	}
	missing = int(last-first+1) - len(present)
	for _, ids := range byType {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return byType, byID, missing, deleted
}

func column(t *testing.T, tbl arrow.Table, name string) []any {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	var out []any
	for _, row := range warehousetest.Rows(tbl) {
		out = append(out, row[idx[0]])
	}
	return out
}

func TestTablesMatchTheSnapshot(t *testing.T) {
	f := newFixture(t)
	res, rec := f.run(t, context.Background(), "*", "items.base_item_id=1200")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	max := f.server.snap.MaxItem()
	byType, byID, missing, deleted := expected(t, max-1200+1, max)

	for table, typ := range map[string]string{"ITEMS": "*", "COMMENTS": "comment", "STORIES": "story"} {
		tbl := f.table(t, table)
		if tbl == nil {
			t.Fatalf("%s was not written", table)
		}
		ids := column(t, tbl, "id")
		if len(ids) != len(byType[typ]) {
			t.Fatalf("%s: %d rows, the snapshot has %d", table, len(ids), len(byType[typ]))
		}
		for i, id := range ids {
			if id.(int64) != byType[typ][i] {
				t.Fatalf("%s row %d: id %v, want %d (sorted by id)", table, i, id, byType[typ][i])
			}
		}
	}
	// Field by field for every item: by -> user_id, kids as a list, nulls kept.
	items := f.table(t, "ITEMS")
	rows := warehousetest.Rows(items)
	names := items.Schema().Fields()
	for _, row := range rows {
		want := byID[row[0].(int64)]
		for c, field := range names {
			key := field.Name
			if key == "user_id" {
				key = "by"
			}
			got, raw := row[c], want[key]
			switch key {
			case "time":
				if got.(time.Time).Unix() != int64(raw.(float64)) {
					t.Fatalf("item %v time %v, want %v", row[0], got, raw)
				}
			case "kids":
				if raw == nil {
					if got != nil {
						t.Fatalf("item %v kids %v, want null", row[0], got)
					}
					continue
				}
				list := raw.([]any)
				g := got.([]int64)
				if len(g) != len(list) {
					t.Fatalf("item %v kids %v, want %v", row[0], g, list)
				}
				for k := range list {
					if g[k] != int64(list[k].(float64)) {
						t.Fatalf("item %v kids %v, want %v (order kept)", row[0], g, list)
					}
				}
			default:
				if raw == nil {
					if got != nil {
						t.Fatalf("item %v %s = %v, want null", row[0], key, got)
					}
				} else if f, ok := raw.(float64); ok {
					if got != int64(f) {
						t.Fatalf("item %v %s = %v, want %v", row[0], key, got, raw)
					}
				} else if got != raw {
					t.Fatalf("item %v %s = %q, want %q", row[0], key, got, raw)
				}
			}
		}
	}
	m := rec.Events()[indexOf(rec.Events(), engine.EventMaterialization, "items")].Materialization
	if m.Metadata["missing"] != missing || m.Metadata["deleted"] != deleted || missing == 0 || deleted == 0 {
		t.Errorf("metadata %v, want missing %d and deleted %d", m.Metadata, missing, deleted)
	}
	if m.Rows != int64(len(rows)) || m.Location != "PRODUCTION.HACKER_NEWS.ITEMS" || len(m.Columns) != 11 {
		t.Errorf("materialization %+v", m)
	}
}

func indexOf(events []engine.Event, typ engine.EventType, node string) int {
	for i, e := range events {
		if e.Type == typ && e.Node == node {
			return i
		}
	}
	return -1
}

func TestSelectingCommentsReloadsItemsWithoutTheAPI(t *testing.T) {
	f := newFixture(t)
	if res, _ := f.run(t, context.Background(), "*", "items.base_item_id=300"); res.Err() != nil {
		t.Fatal(res.Err())
	}
	before := f.server.requests.Load()
	res, rec := f.run(t, context.Background(), "comments")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if after := f.server.requests.Load(); after != before {
		t.Errorf("the API was called %d times", after-before)
	}
	if indexOf(rec.Events(), engine.EventStepStart, "items") >= 0 {
		t.Error("items ran")
	}
	if got, want := f.table(t, "COMMENTS").NumRows(), f.table(t, "ITEMS"); got == 0 || want == nil {
		t.Error("comments empty or items missing")
	}
}

func TestCancelMidFetchLeavesNoTable(t *testing.T) {
	f := newFixture(t)
	f.server.delay = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.server.requests.Load() < 40 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res, _ := f.run(t, ctx, "*")
	if res.Status != engine.RunCanceled {
		t.Fatalf("status %s", res.Status)
	}
	for _, table := range []string{"ITEMS", "COMMENTS", "STORIES"} {
		if f.table(t, table) != nil {
			t.Errorf("%s exists after a cancelled run", table)
		}
	}
	if entries, _ := os.ReadDir(f.dir); len(entries) > 1 {
		t.Errorf("warehouse folder holds %d entries", len(entries))
	}
}

func TestItemsTableDeduplicatesAndSorts(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	tbl := assets.ItemsTable([]*hackernews.Item{
		{ID: 9, Type: "comment", Parent: p(3), Time: 10, Text: "later"},
		{ID: 3, Type: "story", Title: "first", Kids: []int64{9}, Score: p(5), Time: 5},
		{ID: 9, Type: "comment", Parent: p(3), Time: 10, Text: "duplicate"},
	})
	defer tbl.Release()
	rows := warehousetest.Rows(tbl)
	if len(rows) != 2 || rows[0][0] != int64(3) || rows[1][0] != int64(9) || rows[1][5] != "later" {
		t.Fatalf("rows %v", rows)
	}
	if rows[0][1] != nil || rows[1][7] != nil || rows[0][5] != nil {
		t.Errorf("absent fields must be null: %v", rows)
	}
	if !strings.Contains(tbl.Schema().String(), "kids: type=list<item: int64, nullable>") {
		t.Errorf("schema %s", tbl.Schema())
	}
}

func TestBaseItemIDIsValidated(t *testing.T) {
	f := newFixture(t)
	for _, v := range []string{"0", "-3", "10000001", "abc", "1.5"} {
		rc := engine.RunConfig{}
		_ = rc.Set("items.base_item_id=" + v)
		if _, err := f.catalog.PlanAssets("*", rc); err == nil {
			t.Errorf("base_item_id=%s accepted", v)
		}
	}
}
