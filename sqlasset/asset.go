// Package sqlasset defines SQL assets: an asset that is a name and one SELECT,
// computed inside the warehouse where its upstream tables live. Upstream tables
// are written as references, {{ ref "items" }}, which resolve to each upstream's
// fully qualified table in this environment's database (in a branch deployment,
// PRODUCTION_CLONE_<PR id>.<SCHEMA>.<TABLE>). The references are the asset's
// dependencies, so SQL and Go assets mix freely in one graph.
//
// At run time the warehouse I/O manager runs CREATE TABLE <staging> AS <SELECT>
// and swaps the staging table into place with the same atomic replace it uses
// for Go assets: no row passes through Go, and a failed query leaves the
// previous table intact. The materialization records the row count and the
// columns; a dry run prints the resolved SQL.
package sqlasset

import (
	"fmt"
	"strings"
	"time"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// Definition describes a SQL asset. Only Name and SQL are required.
type Definition struct {
	Name        string
	SQL         string // one SELECT; upstream tables as {{ ref "asset" }}
	Description string
	Group       string
	// IOManager is the resource key of the warehouse I/O manager that runs the
	// query and stores the table; engine.DefaultIOManager when empty. The
	// upstreams must be stored in the same warehouse.
	IOManager string
	Retry     engine.RetryPolicy
	Timeout   time.Duration
	// Key names the columns that identify a row (run diff matches rows by it).
	Key []string
	// Checks run after the table is written, in the same run.
	Checks []engine.Check
	// CodeVersion overrides the version derived from the normalized SQL, which
	// decides what --select changed rebuilds; leave it empty.
	CodeVersion string
}

// New returns the SQL asset name, computed by sql.
func New(name, sql string) (engine.Asset, error) {
	return Definition{Name: name, SQL: sql}.Asset()
}

// Must returns the asset, and panics on an error: for SQL written in the
// program, where a mistake is a bug that the first test run finds.
func Must(a engine.Asset, err error) engine.Asset {
	if err != nil {
		panic(err)
	}
	return a
}

// Asset parses the SQL and returns the engine asset: its dependencies are the
// references, its Compute returns the *Query for the I/O manager to run, and its
// Plan prints the resolved SQL.
func (d Definition) Asset() (engine.Asset, error) {
	q, err := Parse(d.Name, d.SQL)
	if err != nil {
		return engine.Asset{}, err
	}
	key := d.IOManager
	if key == "" {
		key = engine.DefaultIOManager
	}
	desc := d.Description
	if desc == "" {
		desc = "SQL asset: " + abbreviate(d.SQL, 60)
	}
	version := d.CodeVersion
	if version == "" {
		version = engine.NormalizeSQL(d.SQL) // reformatting or comments change nothing
	}
	return engine.Asset{
		Name: d.Name, Description: desc, Group: d.Group, Deps: q.Refs(), IOManager: d.IOManager,
		Retry: d.Retry, Timeout: d.Timeout, Key: d.Key, Checks: d.Checks, CodeVersion: version,
		Plan:    func(ctx *engine.Context) ([]string, error) { return q.Plan(ctx, key) },
		Compute: func(*engine.Context) (any, error) { return q, nil },
	}, nil
}

// Plan resolves the query with the table names the I/O manager bound under
// key offers as its Spec (a warehouse.TableNamer), without connecting, and
// returns what the warehouse would run, one line per element.
func (q *Query) Plan(ctx *engine.Context, key string) ([]string, error) {
	namer, err := engine.ResourceSpec[warehouse.TableNamer](ctx, key)
	if err != nil {
		return nil, fmt.Errorf("resolve the references of %s: %w", q.asset, err)
	}
	sql, err := q.Resolve(namer.Ref)
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("-- into %s: CREATE TABLE <staging> AS the query below, then an atomic replace", namer.Ref(q.asset))}
	return append(lines, strings.Split(sql, "\n")...), nil
}

func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}
