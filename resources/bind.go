package resources

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/redact"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/hackernews"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// Schema is the schema the Hacker News tables live in.
const Schema = "HACKER_NEWS"

// Resource keys, typed for user code.
var (
	WarehouseKey  = engine.Key[warehouse.Warehouse]("warehouse")
	HackerNewsKey = engine.Key[*hackernews.Client]("hackernews")
)

// Variables that configure resources.
const (
	WarehouseVar     = "ASSETFLOW_WAREHOUSE"      // duckdb:///path (default .assetflow/warehouse) or snowflake://USER@ACCOUNT?...
	HNURLVar         = "ASSETFLOW_HN_URL"         // the Hacker News API
	HNSnapshotVar    = "ASSETFLOW_HN_SNAPSHOT"    // a JSON-lines snapshot to replay instead
	HNConcurrencyVar = "ASSETFLOW_HN_CONCURRENCY" // requests in flight, default 32
	LockWaitVar      = "ASSETFLOW_LOCK_WAIT"      // how long to wait for a database another process holds, default 10s
	PasswordVar      = "SYSTEM_SNOWFLAKE_PASSWORD"
)

// DefaultSnapshot is the bundled snapshot `run assets` replays in local.
const DefaultSnapshot = "testdata/hn/items.jsonl"

// WarehouseSpec describes the bound warehouse without connecting, for dry runs.
type WarehouseSpec struct {
	Backend    string // duckdb or snowflake
	Location   string // folder or account
	Database   string // the environment's database
	Schema     string
	Production string // the production database clones are made from
}

// Options are what the CLI passes to Bind besides the environment.
type Options struct {
	Lookup LookupFunc
	Log    zerolog.Logger
}

// Bind returns the resources of the environment. It validates configuration and
// refuses bad names or a missing password before anything connects.
func Bind(env Environment, opt Options) (map[string]engine.Resource, error) {
	if opt.Lookup == nil {
		opt.Lookup = os.LookupEnv
	}
	wh, err := bindWarehouse(env, opt)
	if err != nil {
		return nil, err
	}
	hn, err := bindHackerNews(env, opt)
	if err != nil {
		return nil, err
	}
	spec := wh.Spec.(WarehouseSpec)
	return map[string]engine.Resource{
		WarehouseKey.Name(): wh,
		"hackernews":        hn,
		engine.DefaultIOManager: {
			Description: "stores each asset as a table " + spec.Database + "." + spec.Schema + ".<ASSET>",
			Settings:    []engine.Setting{{Name: "database", Value: spec.Database}, {Name: "schema", Value: spec.Schema}},
			Requires:    []string{WarehouseKey.Name()},
			Open: func(ctx context.Context, deps engine.Deps) (any, error) {
				w, err := WarehouseKey.From(deps)
				if err != nil {
					return nil, err
				}
				return &warehouse.IOManager{Warehouse: w, Database: spec.Database, Schema: spec.Schema}, nil
			},
		},
	}, nil
}

func bindWarehouse(env Environment, opt Options) (engine.Resource, error) {
	raw, _ := opt.Lookup(WarehouseVar)
	spec := WarehouseSpec{Database: env.Database(), Schema: Schema, Production: warehouse.Production}
	guard := func(w warehouse.Warehouse) warehouse.Warehouse {
		if env.Name == Branch {
			return warehouse.Guard(w, warehouse.Production)
		}
		return w
	}
	switch {
	case raw == "" || strings.HasPrefix(raw, "duckdb:"):
		dir := duckdb.DefaultDir
		if raw != "" {
			dir = strings.TrimPrefix(strings.TrimPrefix(raw, "duckdb:"), "//")
			if dir == "" {
				return engine.Resource{}, engine.Usagef("%s=%q: expected duckdb:///path/to/folder", WarehouseVar, raw)
			}
		}
		spec.Backend, spec.Location = "duckdb", dir
		lockWait := 10 * time.Second
		if v, ok := opt.Lookup(LockWaitVar); ok && v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return engine.Resource{}, engine.Usagef("%s=%q: expected a duration such as 30s", LockWaitVar, v)
			}
			lockWait = d
		}
		var readOnly, writable []string
		if env.Name == Branch {
			readOnly, writable = []string{warehouse.Production}, []string{spec.Database}
		}
		return engine.Resource{
			Description: "embedded DuckDB warehouse, one file per database in " + dir,
			Settings: []engine.Setting{{Name: "backend", Value: "duckdb"}, {Name: "folder", Value: dir},
				{Name: "database", Value: spec.Database}, {Name: "schema", Value: spec.Schema},
				{Name: "read_only", Value: strings.Join(readOnly, ",")}, {Name: "lock_wait", Value: lockWait.String()}},
			Spec: spec,
			Open: func(ctx context.Context, _ engine.Deps) (any, error) {
				w, err := duckdb.Open(ctx, duckdb.Config{Dir: dir, ReadOnly: readOnly, Writable: writable, Log: opt.Log, LockWait: lockWait})
				if err != nil {
					return nil, err
				}
				return guard(w), nil
			},
		}, nil
	case strings.HasPrefix(raw, "snowflake://"):
		cfg, err := snowflakeConfig(raw, opt.Lookup)
		if err != nil {
			return engine.Resource{}, err
		}
		cfg.Database, cfg.Schema = spec.Database, spec.Schema
		spec.Backend, spec.Location = "snowflake", cfg.Account
		return engine.Resource{
			Description: "Snowflake account " + cfg.Account,
			Settings:    cfg.Settings(),
			Spec:        spec,
			Open: func(ctx context.Context, _ engine.Deps) (any, error) {
				w, err := snowflake.Open(ctx, cfg)
				if err != nil {
					return nil, err
				}
				return guard(w), nil
			},
		}, nil
	}
	return engine.Resource{}, engine.Usagef("%s: unknown scheme in %q: expected duckdb:///path or snowflake://USER@ACCOUNT", WarehouseVar, redact.URL(raw))
}

// snowflakeConfig reads snowflake://USER@ACCOUNT?role=R&warehouse=W[&host=H&port=P&protocol=http&login_timeout=20s]
// and the SNOWFLAKE_* variables; the password comes only from SYSTEM_SNOWFLAKE_PASSWORD.
func snowflakeConfig(raw string, lookup LookupFunc) (snowflake.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return snowflake.Config{}, engine.Usagef("%s: not a URL: expected snowflake://USER@ACCOUNT?role=R&warehouse=W", WarehouseVar)
	}
	if _, has := u.User.Password(); has {
		return snowflake.Config{}, engine.Usagef("%s must not hold a password: put it in %s", WarehouseVar, PasswordVar)
	}
	q := u.Query()
	get := func(param, envKey string) string {
		if v := q.Get(param); v != "" {
			return v
		}
		v, _ := lookup(envKey)
		return v
	}
	cfg := snowflake.Config{Account: u.Host, User: u.User.Username(), Role: get("role", "SNOWFLAKE_ROLE"),
		Warehouse: get("warehouse", "SNOWFLAKE_WAREHOUSE"), Host: get("host", "SNOWFLAKE_HOST"),
		Protocol: get("protocol", "SNOWFLAKE_PROTOCOL")}
	if cfg.Account == "" {
		cfg.Account, _ = lookup("SNOWFLAKE_ACCOUNT")
	}
	if cfg.User == "" {
		cfg.User, _ = lookup("SNOWFLAKE_USER")
	}
	if p := get("port", "SNOWFLAKE_PORT"); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil || cfg.Port <= 0 || cfg.Port > 65535 {
			return cfg, engine.Usagef("snowflake port %q: expected a number from 1 to 65535", p)
		}
	}
	if v := get("login_timeout", "SNOWFLAKE_LOGIN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, engine.Usagef("snowflake login_timeout %q: expected a duration such as 30s", v)
		}
		cfg.LoginTimeout = d
	}
	if cfg.Account == "" || cfg.User == "" {
		return cfg, engine.Usagef("snowflake warehouse: expected snowflake://USER@ACCOUNT (or SNOWFLAKE_USER and SNOWFLAKE_ACCOUNT)")
	}
	pw, ok := lookup(PasswordVar)
	if !ok || pw == "" {
		return cfg, engine.Usagef("resource warehouse (snowflake account %s): %s is not set; it holds the password", cfg.Account, PasswordVar)
	}
	cfg.Password = pw
	return cfg, nil
}

func bindHackerNews(env Environment, opt Options) (engine.Resource, error) {
	cfg := hackernews.Config{}
	if v, ok := opt.Lookup(HNConcurrencyVar); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return engine.Resource{}, engine.Usagef("%s=%q: expected a number from 1 to 1024", HNConcurrencyVar, v)
		}
		cfg.Concurrency = n
	}
	apiURL, _ := opt.Lookup(HNURLVar)
	snapshot, _ := opt.Lookup(HNSnapshotVar)
	if apiURL == "" && snapshot == "" && env.Name == Local {
		snapshot = findUpward(DefaultSnapshot)
	}
	r := engine.Resource{Settings: []engine.Setting{{Name: "concurrency", Value: strconv.Itoa(max(cfg.Concurrency, 32))}}}
	if snapshot != "" {
		r.Description = "the bundled snapshot " + snapshot + ", offline (set " + HNURLVar + "=" + hackernews.DefaultURL + " for the live API)"
		r.Settings = append(r.Settings, engine.Setting{Name: "snapshot", Value: snapshot})
		r.Open = func(ctx context.Context, _ engine.Deps) (any, error) {
			s, err := hackernews.LoadSnapshot(snapshot)
			if err != nil {
				return nil, fmt.Errorf("%w (set %s to a snapshot file, or %s for the live API)", err, HNSnapshotVar, HNURLVar)
			}
			cfg.Transport, cfg.BaseURL, cfg.Source = s.Transport(), "http://snapshot/v0", "the bundled snapshot "+snapshot
			return hackernews.New(cfg), nil
		}
		return r, nil
	}
	if apiURL == "" {
		apiURL = hackernews.DefaultURL
	}
	shown := redact.URL(apiURL) // credentials in the URL are used, never shown
	if u, err := url.Parse(apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return engine.Resource{}, engine.Usagef("%s=%q: expected an http(s) URL such as %s", HNURLVar, shown, hackernews.DefaultURL)
	}
	r.Description = "Hacker News API at " + shown
	r.Settings = append(r.Settings, engine.Setting{Name: "url", Value: shown})
	r.Open = func(ctx context.Context, _ engine.Deps) (any, error) {
		cfg.BaseURL, cfg.Source = apiURL, r.Description
		return hackernews.New(cfg), nil
	}
	return r, nil
}

// findUpward returns rel relative to the working folder or the nearest parent
// that has it, so the bundled snapshot is found from anywhere in the checkout.
func findUpward(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			if r, err := filepath.Rel(mustGetwd(), p); err == nil {
				return r
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
	}
}

func mustGetwd() string {
	wd, _ := os.Getwd()
	return wd
}
