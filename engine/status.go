package engine

import (
	"context"
	"errors"
	"time"
)

// AssetStatus is what an I/O manager knows of an asset's stored value.
type AssetStatus struct {
	Exists         bool      `json:"exists"`
	Location       string    `json:"location,omitempty"`
	Rows           int64     `json:"rows"`
	MaterializedAt time.Time `json:"materialized_at,omitzero"`
	LastRunID      string    `json:"last_run_id,omitempty"` // the run that wrote it, from the run store
	// Changed: its code version differs from the one last materialized in
	// PRODUCTION, so `--select changed` would rebuild it.
	Changed bool `json:"changed,omitempty"`
	// StaleBy lists the upstreams materialized after it.
	StaleBy []string `json:"stale_by,omitempty"`
	// Checks summarizes its checks' latest results, e.g. "3/3 passed".
	Checks string `json:"checks,omitempty"`
}

// StatusReporter is implemented by I/O managers that can tell an asset's status
// without loading it.
type StatusReporter interface {
	Status(ctx context.Context, asset string) (AssetStatus, error)
}

// AssetStatuses opens the I/O managers of the given assets (all when names is
// empty), asks each for its asset's status, and closes them again.
func (c *Catalog) AssetStatuses(ctx context.Context, names []string) (map[string]AssetStatus, error) {
	set := newResourceSet(c.resources)
	out := map[string]AssetStatus{}
	var errs []error
	for _, n := range c.assets.nodes {
		if len(names) > 0 && indexOf(names, n.name) < 0 {
			continue
		}
		v, err := set.get(ctx, n.ioManager)
		if err != nil {
			errs = append(errs, err)
			break
		}
		sr, ok := v.(StatusReporter)
		if !ok {
			continue
		}
		st, err := sr.Status(ctx, n.name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[n.name] = st
	}
	errs = append(errs, set.close())
	return out, errors.Join(errs...)
}

// WithResource opens one bound resource outside a run, hands it to f, and closes
// it (and what it required) afterwards: for commands that inspect or tidy the
// warehouse.
func (c *Catalog) WithResource(ctx context.Context, key string, f func(v any) error) error {
	set := newResourceSet(c.resources)
	v, err := set.get(ctx, key)
	if err == nil {
		err = f(v)
	}
	return errors.Join(err, set.close())
}

// ResourceSpec returns the Spec of a bound resource without opening it, and
// whether that resource is bound: for commands that must know what a resource
// would connect to (for example the warehouse's schema) before signing in.
func (c *Catalog) ResourceSpec(key string) (any, bool) {
	def, ok := c.resources[key]
	if !ok {
		return nil, false
	}
	return def.Spec, true
}

// ResourceNotice returns what a run that uses the resource logs first (see
// Resource.Notice), "" for none.
func (c *Catalog) ResourceNotice(key string) string { return c.resources[key].Notice }
