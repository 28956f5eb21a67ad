package resources

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/redact"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// WarehouseKey is the resource key of the bound warehouse, typed for user code.
var WarehouseKey = engine.Key[warehouse.Warehouse]("warehouse")

// Variables that configure the warehouse.
const (
	WarehouseVar = "ASSETFLOW_WAREHOUSE" // duckdb:///path (default .assetflow/warehouse) or snowflake://USER@ACCOUNT?...
	LockWaitVar  = "ASSETFLOW_LOCK_WAIT" // how long to wait for a database another process holds, default 10s
	PasswordVar  = "SYSTEM_SNOWFLAKE_PASSWORD"
)

// WarehouseSpec describes the bound warehouse without connecting, for dry runs.
type WarehouseSpec struct {
	Backend    string // duckdb or snowflake
	Location   string // folder or account
	Database   string // the environment's database
	Schema     string
	Production string // the production database clones are made from
}

// Options are what binding reads besides the environment: variables (nil:
// the process environment) and the logger resources log to.
type Options struct {
	Lookup LookupFunc
	Log    zerolog.Logger
}

// Warehouse binds the environment's warehouse under WarehouseKey and the I/O
// manager that stores each asset as a table of schema in the environment's
// database (PRODUCTION, or PRODUCTION_CLONE_<PR id> in branch), under
// engine.DefaultIOManager. In branch the warehouse is guarded: it refuses to
// write to or drop PRODUCTION. The backend is chosen by ASSETFLOW_WAREHOUSE.
// Configuration and names are checked here, before anything connects.
func Warehouse(env Environment, schema string, opt Options) (map[string]engine.Resource, error) {
	if opt.Lookup == nil {
		opt.Lookup = os.LookupEnv
	}
	if err := warehouse.CheckIdent("schema", schema); err != nil {
		return nil, engine.Usagef("%v", err)
	}
	wh, err := bindWarehouse(env, schema, opt)
	if err != nil {
		return nil, err
	}
	spec := wh.Spec.(WarehouseSpec)
	return map[string]engine.Resource{
		WarehouseKey.Name(): wh,
		engine.DefaultIOManager: {
			Description: "stores each asset as a table " + spec.Database + "." + spec.Schema + ".<ASSET>",
			Settings:    []engine.Setting{{Name: "database", Value: spec.Database}, {Name: "schema", Value: spec.Schema}},
			Requires:    []string{WarehouseKey.Name()},
			Spec:        &warehouse.IOManager{Database: spec.Database, Schema: spec.Schema}, // names tables for SQL assets' dry runs
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

func bindWarehouse(env Environment, schema string, opt Options) (engine.Resource, error) {
	raw, _ := opt.Lookup(WarehouseVar)
	spec := WarehouseSpec{Database: env.Database(), Schema: schema, Production: warehouse.Production}
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
		cfg, err := snowflakeConfig(raw, env.Name, opt.Lookup)
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

// snowflakeConfig reads snowflake://USER@ACCOUNT?role=R&warehouse=W[&host=H&port=P&protocol=http&login_timeout=20s&authenticator=SNOWFLAKE_JWT]
// and the SNOWFLAKE_* variables; user, role and the secret (a private key or a
// password) come per environment, as credentials.go says.
func snowflakeConfig(raw, env string, lookup LookupFunc) (snowflake.Config, error) {
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
	for _, secret := range []string{"password", "private_key", "private_key_file", "passphrase", "token"} {
		if q.Has(secret) {
			return snowflake.Config{}, engine.Usagef("%s must not hold %s=: secrets go in variables (see %sENV_*)", WarehouseVar, secret, CredentialPrefix)
		}
	}
	cfg := snowflake.Config{Account: u.Host,
		Warehouse: get("warehouse", "SNOWFLAKE_WAREHOUSE"), Host: get("host", "SNOWFLAKE_HOST"),
		Protocol: get("protocol", "SNOWFLAKE_PROTOCOL")}
	if cfg.Account == "" {
		cfg.Account, _ = lookup("SNOWFLAKE_ACCOUNT")
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
	cred, err := snowflakeCredentials(env, u, lookup)
	if err != nil {
		return cfg, err
	}
	cfg.User, cfg.Role, cfg.Password, cfg.PrivateKey, cfg.KeySource, cfg.Credentials = cred.user, cred.role, cred.password, cred.key, cred.keySource, cred.from
	if cfg.Account == "" || cfg.User == "" {
		return cfg, engine.Usagef("snowflake warehouse: expected snowflake://USER@ACCOUNT (or %s and SNOWFLAKE_ACCOUNT)", CredentialVar(env, "USER"))
	}
	return cfg, nil
}
