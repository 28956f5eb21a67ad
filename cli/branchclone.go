package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// requireClone refuses a branch run before its clone exists. Making the clone
// by writing into it would leave a PRODUCTION_CLONE_<id> with no recorded
// origin, which the reaper may only report; clone_prod makes it and records it.
func (c *cli) requireClone(ctx context.Context, l *loaded) error {
	if l.env.Name != resources.Branch {
		return nil
	}
	db := l.env.Database()
	return l.catalog.WithResource(ctx, resources.WarehouseKey.Name(), func(v any) error {
		names, err := v.(warehouse.Warehouse).ListDatabases(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, db) }) {
			return engine.Usagef("%s does not exist yet: run `%s job clone_prod` first (a branch writes only its clone of production)", db, c.app.Name)
		}
		return nil
	})
}
