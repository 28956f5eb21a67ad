package assets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/assetflow/assetflow/assets"
	"github.com/assetflow/assetflow/assets/hackernews"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/engine/enginetest"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// Each asset alone, in memory, through enginetest: no warehouse, no HTTP.

func TestCommentsAndStoriesInMemory(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	items := assets.ItemsTable([]*hackernews.Item{
		{ID: 1, Type: "story", Title: "a", Time: 1}, {ID: 2, Type: "comment", Parent: p(1), Time: 2},
		{ID: 3, Type: "comment", Parent: p(2), Time: 3}, {ID: 4, Type: "job", Time: 4}, {ID: 5, Type: "story", Time: 5},
	})
	defer items.Release()
	for asset, want := range map[string][]int64{"comments": {2, 3}, "stories": {1, 5}} {
		a := map[string]engine.Asset{"comments": assets.Comments(), "stories": assets.Stories()}[asset]
		res, err := enginetest.Materialize(context.Background(), a, enginetest.Options{Inputs: map[string]any{"items": items}})
		if err != nil {
			t.Fatal(err)
		}
		tbl, ok := res.Output.(arrow.Table)
		if !ok || res.Materialization.Rows != int64(len(want)) || tbl.NumRows() != int64(len(want)) {
			t.Fatalf("%s: output %T, materialization %+v", asset, res.Output, res.Materialization)
		}
		rows := warehousetest.Rows(tbl)
		for i, row := range rows {
			if row[0] != want[i] {
				t.Errorf("%s row %d: id %v, want %d", asset, i, row[0], want[i])
			}
		}
		res.Release()
	}
}

func TestItemsInMemory(t *testing.T) {
	snap, err := hackernews.LoadSnapshot(snapshotPath)
	if err != nil {
		t.Fatal(err)
	}
	client := hackernews.New(hackernews.Config{Transport: snap.Transport(), BaseURL: "http://snapshot/v0", Source: "test"})
	res, err := enginetest.Materialize(context.Background(), assets.Items(), enginetest.Options{
		Config:    assets.ItemsConfig{BaseItemID: 50},
		Resources: map[string]any{assets.HackerNewsKey.Name(): client},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	_, _, missing, deleted := expected(t, snap.MaxItem()-49, snap.MaxItem())
	if res.Metadata["requested"] != 50 || res.Metadata["missing"] != missing || res.Metadata["deleted"] != deleted {
		t.Errorf("metadata %v, want 50 requested, %d missing, %d deleted", res.Metadata, missing, deleted)
	}
	if res.Progress["fetch items"] != 50 {
		t.Errorf("progress %v, want fetch items: 50", res.Progress)
	}
	if res.Materialization.Rows != int64(50-missing-deleted) {
		t.Errorf("%d rows, want %d", res.Materialization.Rows, 50-missing-deleted)
	}
	// A config out of range is refused with the asset's own message.
	_, err = enginetest.Materialize(context.Background(), assets.Items(), enginetest.Options{
		Config: assets.ItemsConfig{BaseItemID: 0}, Resources: map[string]any{assets.HackerNewsKey.Name(): client}})
	var de *engine.DefinitionError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "expected a number from 1") {
		t.Errorf("base_item_id 0: %v", err)
	}
}

func TestResourcesRefuseBadHackerNewsSettings(t *testing.T) {
	for name, tc := range map[string]struct{ vars map[string]string }{
		`ASSETFLOW_HN_URL="ftp://x": expected an http(s) URL`:            {map[string]string{assets.HNURLVar: "ftp://x"}},
		`ASSETFLOW_HN_CONCURRENCY="0": expected a number from 1 to 1024`: {map[string]string{assets.HNConcurrencyVar: "0"}},
	} {
		lookup := func(k string) (string, bool) { v, ok := tc.vars[k]; return v, ok }
		_, err := assets.Resources(resources.Environment{Name: resources.Local}, resources.Options{Lookup: lookup})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("got %v, want %q", err, name)
		}
	}
	// The warehouse binding names the project's schema.
	res, err := assets.Resources(resources.Environment{Name: resources.Local}, resources.Options{Lookup: func(k string) (string, bool) {
		return map[string]string{assets.HNSnapshotVar: "x.jsonl"}[k], k == assets.HNSnapshotVar
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d := res[engine.DefaultIOManager].Description; !strings.Contains(d, "PRODUCTION.HACKER_NEWS.<ASSET>") {
		t.Errorf("I/O manager: %s", d)
	}
	if n := res[assets.HackerNewsKey.Name()].Notice; !strings.Contains(n, "items come from the bundled snapshot x.jsonl") {
		t.Errorf("notice %q", n)
	}
}
