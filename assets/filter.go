package assets

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/scalar"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/sqlasset"
)

// FilterConfig chooses where comments and stories are computed.
type FilterConfig struct {
	Engine string `yaml:"engine" doc:"go: load items into Go and filter them with Arrow; sql: run a SELECT inside the warehouse (no row passes through Go)"`
}

// Validate accepts go and sql.
func (c FilterConfig) Validate() error {
	if c.Engine != "go" && c.Engine != "sql" {
		return fmt.Errorf("engine = %q: expected go or sql", c.Engine)
	}
	return nil
}

// FilterSQL is the SQL variant of an asset made of the items of one type. The
// warehouse keeps the items' order (by id), as the Go variant does.
func FilterSQL(itemType string) string {
	return `SELECT * FROM {{ ref "items" }} WHERE "type" = '` + strings.ReplaceAll(itemType, "'", "''") + `'`
}

// ofType returns the asset made of the items of one type, computed in Go by
// default and inside the warehouse with config engine: sql. Its checks: every
// row is of that type, there is at least one row, and required holds the
// asset's own not-null check (a comment's parent, a story's title).
func ofType(name, itemType, version string, required engine.Check, description string) engine.Asset {
	query, err := sqlasset.Parse(name, FilterSQL(itemType))
	if err != nil {
		panic(err) // constant SQL: the package's tests parse it
	}
	return engine.Asset{
		Name:        name,
		Description: description,
		Group:       Group,
		Deps:        query.Refs(),
		Key:         []string{"id"},
		CodeVersion: version,
		Checks: []engine.Check{
			warehouse.AcceptedValues(engine.SeverityError, "type", itemType),
			warehouse.NotNull(engine.SeverityError, "type"),
			required,
			warehouse.RowCountBetween(engine.SeverityError, 1, -1),
		},
		Config: engine.ConfigOf(FilterConfig{Engine: "go"}),
		Plan: func(ctx *engine.Context) ([]string, error) {
			cfg, err := engine.Config[FilterConfig](ctx)
			if err != nil || cfg.Engine != "sql" {
				return nil, err
			}
			return query.Plan(ctx, engine.DefaultIOManager)
		},
		Compute: func(ctx *engine.Context) (any, error) {
			cfg, err := engine.Config[FilterConfig](ctx)
			if err != nil {
				return nil, err
			}
			if cfg.Engine == "sql" {
				return query, nil // the warehouse I/O manager runs it
			}
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

// FilterType keeps the rows whose type column equals itemType, batch by batch,
// with Arrow's compute kernels (strings excepted: see filterRecord). The caller
// releases the result.
func FilterType(ctx *engine.Context, items arrow.Table, itemType string) (arrow.Table, error) {
	idx := items.Schema().FieldIndices("type")
	if len(idx) != 1 {
		return nil, fmt.Errorf("items has no type column")
	}
	tr := array.NewTableReader(items, 64*1024)
	defer tr.Release()
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for tr.Next() {
		rec := tr.Record()
		m, err := compute.CallFunction(ctx, "equal", nil,
			compute.NewDatum(rec.Column(idx[0])), compute.NewDatum(scalar.NewStringScalar(itemType)))
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", itemType, err)
		}
		mask := m.(*compute.ArrayDatum).MakeArray()
		m.Release()
		out, err := filterRecord(ctx, rec, mask.(*array.Boolean))
		mask.Release()
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", itemType, err)
		}
		recs = append(recs, out)
	}
	return array.NewTableFromRecords(items.Schema(), recs), nil
}

// All returns the Hacker News assets.
func All() []engine.Asset {
	return []engine.Asset{Items(), Comments(), Stories()}
}
