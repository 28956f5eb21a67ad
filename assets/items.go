package assets

import (
	"fmt"
	"math"
	"time"

	"github.com/assetflow/assetflow/assets/hackernews"
	"github.com/assetflow/assetflow/engine"
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

// Group is the asset group of the Hacker News assets.
const Group = "hacker_news"

// Items fetches the newest items from the Hacker News client.
func Items() engine.Asset {
	return engine.Asset{
		Name:        "items",
		Description: "the newest Hacker News items, fetched from the API: one row per item, sorted by id",
		Group:       Group,
		Resources:   []string{HackerNewsKey.Name()},
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
			cfg, err := engine.Config[ItemsConfig](ctx)
			if err != nil {
				return nil, err
			}
			client, err := HackerNewsKey.From(ctx)
			if err != nil {
				return nil, err
			}
			maxID, err := client.MaxItem(ctx)
			if err != nil {
				return nil, err // names maxitem and the cause
			}
			first, ids, err := idRange(maxID, cfg.BaseItemID)
			if err != nil {
				return nil, err
			}
			ctx.Log.Info().Msgf("fetching items %d..%d from %s", first, maxID, client.Source())
			report := ctx.Progress("fetch items", len(ids))
			progress := func(done, _ int) { report(done) }
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
			if err := checkKids(fetched.Items); err != nil {
				return nil, err
			}
			return ItemsTable(fetched.Items), nil
		},
	}
}

// idRange returns the ids of the newest count items up to maxID, without any
// step that can overflow: a maxitem beyond the API's largest id or a count out
// of bounds is an error naming the value.
func idRange(maxID, count int64) (first int64, ids []int64, err error) {
	if maxID < 0 || maxID > hackernews.MaxID {
		return 0, nil, fmt.Errorf("maxitem = %d: expected an id from 0 to %d", maxID, int64(hackernews.MaxID))
	}
	if count <= 0 || count > maxBaseItemID {
		return 0, nil, fmt.Errorf("base_item_id = %d: expected a number from 1 to %d", count, maxBaseItemID)
	}
	first = max(maxID-count+1, 1) // no overflow: both are within bounds
	ids = make([]int64, 0, max(maxID-first+1, 0))
	for n := int64(0); n <= maxID-first; n++ { // counted, so it cannot wrap
		ids = append(ids, first+n)
	}
	return first, ids, nil
}

// checkKids refuses more kids in total than an Arrow list's 32-bit offsets hold,
// naming the item that crossed the limit.
func checkKids(items []*hackernews.Item) error {
	total := 0
	for _, it := range items {
		if len(it.Kids) > math.MaxInt32-total {
			return fmt.Errorf("item %d: its %d kids take the table past %d kids in total, the most one table holds", it.ID, len(it.Kids), math.MaxInt32)
		}
		total += len(it.Kids)
	}
	return nil
}
