package assets

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/scalar"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// ofType returns the asset made of the items of one type. Its checks: every
// row is of that type, there is at least one row, and required holds the
// asset's own not-null check (a comment's parent, a story's title).
func ofType(name, itemType, version string, required engine.Check, description string) engine.Asset {
	return engine.Asset{
		Name:        name,
		Description: description,
		Group:       Group,
		Deps:        []string{"items"},
		Key:         []string{"id"},
		CodeVersion: version,
		Checks: []engine.Check{
			warehouse.AcceptedValues(engine.SeverityError, "type", itemType),
			warehouse.NotNull(engine.SeverityError, "type"),
			required,
			warehouse.RowCountBetween(engine.SeverityError, 1, -1),
		},
		Compute: func(ctx *engine.Context) (any, error) {
			items, err := engine.Input[arrow.Table](ctx, "items")
			if err != nil {
				return nil, err
			}
			return FilterType(ctx, items, itemType)
		},
	}
}

// Comments is the items whose type is comment.
func Comments() engine.Asset {
	return ofType("comments", "comment", CommentsVersion, warehouse.NotNull(engine.SeverityError, "parent"), "the comments among items")
}

// Stories is the items whose type is story. Its title check warns rather than
// blocks: the API sends dead (flagged) stories without a title, and the
// bundled snapshot has such stories, as the live API does.
func Stories() engine.Asset {
	return ofType("stories", "story", StoriesVersion, warehouse.NotNull(engine.SeverityWarn, "title"), "the stories among items")
}

// FilterType keeps the rows whose type column equals itemType, with Arrow's
// compute kernels. The caller releases the result.
func FilterType(ctx *engine.Context, items arrow.Table, itemType string) (arrow.Table, error) {
	idx := items.Schema().FieldIndices("type")
	if len(idx) != 1 {
		return nil, fmt.Errorf("items has no type column")
	}
	mask, err := compute.CallFunction(ctx, "equal", nil,
		compute.NewDatum(items.Column(idx[0]).Data()), compute.NewDatum(scalar.NewStringScalar(itemType)))
	if err != nil {
		return nil, fmt.Errorf("filter %s: %w", itemType, err)
	}
	defer mask.Release()
	out, err := compute.FilterTable(ctx, items, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("filter %s: %w", itemType, err)
	}
	return out, nil
}

// All returns the Hacker News assets.
func All(opt Options) []engine.Asset {
	return []engine.Asset{Items(opt), Comments(), Stories()}
}
