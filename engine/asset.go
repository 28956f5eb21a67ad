package engine

import "time"

// DefaultIOManager is the resource key an asset's output is stored with when the
// asset names none.
const DefaultIOManager = "io_manager"

// Asset is a named data product. Compute returns its value, which the I/O manager
// stores; downstream assets receive it through Input.
type Asset struct {
	Name        string
	Description string
	Group       string   // shown by `run graph` and selectable as group:NAME
	Deps        []string // upstream asset names; each is also an input of the same name
	IOManager   string   // resource key of the I/O manager; DefaultIOManager when empty
	Resources   []string // resource keys Compute uses
	Config      ConfigSchema
	Retry       RetryPolicy
	Timeout     time.Duration // per attempt; zero means none
	// Plan describes, without side effects or connecting, what Compute would do,
	// such as the SQL a SQL asset runs; `--dry-run` prints it. Optional.
	Plan    func(ctx *Context) ([]string, error)
	Compute func(ctx *Context) (any, error)
	// Key names the columns that identify a row of the asset's table, such as
	// id; `run diff` matches rows by it. Empty: rows are not matched.
	Key []string
	// CodeVersion is the version of the code that computes the asset, set by the
	// user (or derived, e.g. from a SQL asset's normalized SQL; see
	// DeriveCodeVersion). Change it when the computation changes: together with
	// the asset's config it decides what `--select changed` rebuilds.
	CodeVersion string
	// Checks run after the asset materializes, in the same run (see Check).
	Checks []Check
}

// ioManagerKey returns the resource key that stores this asset.
func (a *Asset) ioManagerKey() string {
	if a.IOManager == "" {
		return DefaultIOManager
	}
	return a.IOManager
}
