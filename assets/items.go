package assets

import (
	"fmt"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// Code versions of the Hacker News assets: bump one when its computation
// changes, so a branch's `run assets --select changed` rebuilds it and what is
// downstream of it.
const (
	ItemsVersion    = "1"
	CommentsVersion = "1"
	StoriesVersion  = "1"
)

// ItemsConfig configures the items asset.
type ItemsConfig struct {
	BaseItemID int64 `yaml:"base_item_id" doc:"how many of the newest items to fetch: maxitem-base_item_id+1 .. maxitem"`
}

// maxBaseItemID bounds one run's fetch.
const maxBaseItemID = 10_000_000

// Validate refuses a count that is not positive or too large.
func (c ItemsConfig) Validate() error {
	if c.BaseItemID <= 0 || c.BaseItemID > maxBaseItemID {
		return fmt.Errorf("base_item_id = %d: expected a number from 1 to %d", c.BaseItemID, maxBaseItemID)
	}
	return nil
}

// Progress reports a long step's progress; the CLI draws a line on a terminal or
// logs periodic events. It returns the function to call after each unit.
type Progress func(ctx *engine.Context, what string, total int) func(done int)

// Options configure the assets.
type Options struct {
	Progress Progress // nil: no progress reporting
}

// Group is the asset group of the Hacker News assets.
const Group = "hacker_news"

// Items fetches the newest items from the Hacker News client.
func Items(opt Options) engine.Asset {
	return engine.Asset{
		Name:        "items",
		Description: "the newest Hacker News items, fetched from the API: one row per item, sorted by id",
		Group:       Group,
		Resources:   []string{resources.HackerNewsKey.Name()},
		Config:      engine.ConfigOf(ItemsConfig{BaseItemID: 1000}),
		Retry:       engine.RetryPolicy{MaxAttempts: 2, Delay: 2 * time.Second, Jitter: 0.2},
		Key:         []string{"id"},
		CodeVersion: ItemsVersion,
		Checks: []engine.Check{
			warehouse.Unique(engine.SeverityError, "id"),
			warehouse.NotNull(engine.SeverityError, "id"),
			warehouse.RowCountBetween(engine.SeverityError, 1, -1),
		},
		Compute: func(ctx *engine.Context) (any, error) {
			cfg := engine.Config[ItemsConfig](ctx)
			client, err := resources.HackerNewsKey.From(ctx)
			if err != nil {
				return nil, err
			}
			maxID, err := client.MaxItem(ctx)
			if err != nil {
				return nil, err // names maxitem and the cause
			}
			first := max(maxID-cfg.BaseItemID+1, 1)
			ids := make([]int64, 0, maxID-first+1)
			for id := first; id <= maxID; id++ {
				ids = append(ids, id)
			}
			ctx.Log.Info().Msgf("fetching items %d..%d from %s", first, maxID, client.Source())
			var progress func(done, total int)
			if opt.Progress != nil {
				report := opt.Progress(ctx, "fetch items", len(ids))
				progress = func(done, _ int) { report(done) }
			}
			start := time.Now()
			fetched, err := client.Items(ctx, ids, progress)
			if err != nil {
				return nil, fmt.Errorf("fetch items %d..%d: %w", first, maxID, err)
			}
			took := time.Since(start)
			ctx.AddMetadata("requested", len(ids))
			ctx.AddMetadata("missing", fetched.Missing)
			ctx.AddMetadata("deleted", fetched.Deleted)
			ctx.AddMetadata("items_per_s", int(float64(len(ids))/max(took.Seconds(), 1e-9)))
			ctx.AddMetadata("max_item", maxID)
			return ItemsTable(fetched.Items), nil
		},
	}
}
