// Package snowflake is the production warehouse backend, on the gosnowflake
// driver. It runs the same operations as the embedded backend: clones are
// CREATE OR REPLACE DATABASE ... CLONE, writes fill a staging table with bound
// parameters in batches and swap it into place with ALTER TABLE ... SWAP WITH.
package snowflake

import (
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// Config says how to reach an account and sign in: with PrivateKey (key-pair
// sign-in, authenticator SNOWFLAKE_JWT) when it is set, else with Password.
// Secrets must come from the environment.
type Config struct {
	Account    string
	User       string
	Password   string
	PrivateKey *rsa.PrivateKey // signs the JWT of key-pair sign-in
	KeySource  string          // where the key came from, for display: "file PATH" or "variable NAME"
	// Credentials says which variables user, role and secret came from, for display.
	Credentials string
	Role        string
	Warehouse   string
	Database    string // session default; every statement names its database anyway
	Schema      string
	// Host, Port and Protocol point the driver somewhere other than
	// <account>.snowflakecomputing.com, such as a local test server.
	Host     string
	Port     int
	Protocol string
	// LoginTimeout and RequestTimeout bound how long the driver retries.
	LoginTimeout   time.Duration
	RequestTimeout time.Duration
	BatchRows      int // rows per bound INSERT; default 10,000
	// BulkLoadRows is the table size from which writes go through Parquet,
	// PUT and COPY INTO. 0 means from 65,280 values (rows x columns), where
	// a real account would have array binds staged anyway; negative, never.
	BulkLoadRows int
	Now          func() time.Time // the clock clone notes are stamped with; time.Now when nil
}

// Settings lists the configuration for display, the password as a secret.
func (c Config) Settings() []engine.Setting {
	s := []engine.Setting{{Name: "backend", Value: "snowflake"}, {Name: "account", Value: c.Account},
		{Name: "user", Value: c.User}}
	if c.Credentials != "" {
		s = append(s, engine.Setting{Name: "credentials", Value: c.Credentials})
	}
	if c.PrivateKey != nil {
		s = append(s, engine.Setting{Name: "authenticator", Value: "SNOWFLAKE_JWT"},
			engine.Setting{Name: "private_key", Value: c.KeySource})
	} else {
		s = append(s, engine.Setting{Name: "authenticator", Value: "SNOWFLAKE (password)"},
			engine.Setting{Name: "password", Value: c.Password, Secret: true})
	}
	s = append(s, []engine.Setting{{Name: "role", Value: c.Role}, {Name: "warehouse", Value: c.Warehouse},
		{Name: "database", Value: c.Database}, {Name: "schema", Value: c.Schema}}...)
	if c.Host != "" {
		s = append(s, engine.Setting{Name: "host", Value: fmt.Sprintf("%s://%s:%d", c.Protocol, c.Host, c.Port)})
	}
	return s
}

var quietDriver sync.Once

// Warehouse is the Snowflake implementation of warehouse.Warehouse.
type Warehouse struct {
	cfg       Config
	db        *sql.DB
	resignIns atomic.Int64 // see retryGone
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open connects and logs in, so a wrong password or an unreachable account is
// reported here, in one line naming the account and the cause.
func Open(ctx context.Context, cfg Config) (*Warehouse, error) {
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 10_000
	}
	if cfg.LoginTimeout == 0 {
		cfg.LoginTimeout = 20 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Minute
	}
	for _, id := range []struct{ what, v string }{{"database", cfg.Database}, {"schema", cfg.Schema}} {
		if id.v != "" {
			if err := warehouse.CheckIdent(id.what, id.v); err != nil {
				return nil, err
			}
		}
	}
	dc := sf.Config{Account: cfg.Account, User: cfg.User, Password: cfg.Password, Role: cfg.Role,
		Warehouse: cfg.Warehouse, Database: cfg.Database, Schema: cfg.Schema, Host: cfg.Host, Port: cfg.Port,
		Protocol: cfg.Protocol, Params: map[string]*string{}, Application: "assetflow",
		LoginTimeout: cfg.LoginTimeout, RequestTimeout: cfg.RequestTimeout, DisableTelemetry: true}
	if cfg.PrivateKey != nil {
		dc.Authenticator, dc.PrivateKey, dc.Password = sf.AuthTypeJwt, cfg.PrivateKey, ""
	}
	quietDriver.Do(func() { _ = sf.GetLogger().SetLogLevel("fatal") }) // errors are returned, and reported once, by us
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, dc))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("snowflake account %s: %s", cfg.Account, describe(err, cfg))
	}
	return &Warehouse{cfg: cfg, db: db}, nil
}

// describe turns a login error into its cause, never echoing the password.
func describe(err error, cfg Config) string {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		switch se.Number {
		case 390100:
			return fmt.Sprintf("login failed for user %s: incorrect username or password", cfg.User)
		case 390144:
			return fmt.Sprintf("key-pair sign-in refused for user %s: JWT token is invalid (check that the public key registered with "+
				"ALTER USER %s SET RSA_PUBLIC_KEY matches the private key, that the account name is right, and the clock)", cfg.User, cfg.User)
		case 390201, 390189:
			return fmt.Sprintf("login refused: %s", se.Message)
		}
		return fmt.Sprintf("%d: %s", se.Number, se.Message)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "cannot reach the account: timed out"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return fmt.Sprintf("cannot reach the account at %s: %s %v", op.Addr, op.Op, op.Err)
	}
	return "cannot reach the account: " + err.Error()
}

// Backend returns "snowflake".
func (w *Warehouse) Backend() string { return "snowflake" }

// Exec runs one statement with bound arguments.
func (w *Warehouse) Exec(ctx context.Context, stmt string, args ...any) error {
	err := w.retryGone(ctx, func() error {
		_, err := w.db.ExecContext(ctx, stmt, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("snowflake: %w", err)
	}
	return nil
}

// Close logs out and closes connections.
func (w *Warehouse) Close() error { return w.db.Close() }

// DropDatabase runs DROP DATABASE IF EXISTS.
func (w *Warehouse) DropDatabase(ctx context.Context, name string) error {
	if err := warehouse.CheckIdent("database", name); err != nil {
		return err
	}
	if err := w.Exec(ctx, dropDatabaseSQL(name)); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// ListClones reads SHOW DATABASES: every database named like a clone, with the
// note its COMMENT holds.
func (w *Warehouse) ListClones(ctx context.Context) ([]warehouse.CloneRecord, error) {
	rows, err := w.showDatabases(ctx)
	if err != nil {
		return nil, err
	}
	var out []warehouse.CloneRecord
	for _, r := range rows {
		id, ok := warehouse.PRIDOf(r["name"])
		if !ok {
			continue
		}
		rec := warehouse.CloneRecord{Name: r["name"], PRID: id, Bytes: -1}
		var note warehouse.CloneNote
		if json.Unmarshal([]byte(r["comment"]), &note) == nil {
			rec.Origin, rec.ClonedAt = note.Origin, note.ClonedAt
		}
		out = append(out, rec)
	}
	return out, nil
}

// ListDatabases reads SHOW DATABASES.
func (w *Warehouse) ListDatabases(ctx context.Context) ([]string, error) {
	rows, err := w.showDatabases(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		names = append(names, r["name"])
	}
	sort.Strings(names)
	return names, nil
}

// showDatabases returns SHOW DATABASES' rows as column -> text.
func (w *Warehouse) showDatabases(ctx context.Context) ([]map[string]string, error) {
	var rows *sql.Rows
	err := w.retryGone(ctx, func() (err error) {
		rows, err = w.db.QueryContext(ctx, "SHOW DATABASES")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []map[string]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[c] = vals[i].String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// TableInfo reads the row count from the database's information schema. A
// missing database or table is "does not exist", not an error.
func (w *Warehouse) TableInfo(ctx context.Context, ref warehouse.TableRef) (warehouse.TableInfo, error) {
	if err := ref.Check(); err != nil {
		return warehouse.TableInfo{}, err
	}
	var rows sql.NullString
	var altered sql.NullTime
	err := w.retryGone(ctx, func() error {
		return w.db.QueryRowContext(ctx, tableInfoSQL(ref.Database), ref.Schema, ref.Table).Scan(&rows, &altered)
	})
	var se *sf.SnowflakeError
	switch {
	case errors.Is(err, sql.ErrNoRows), errors.As(err, &se) && se.Number == 2003:
		return warehouse.TableInfo{}, nil
	case err != nil:
		return warehouse.TableInfo{}, fmt.Errorf("inspect %s: %w", ref, err)
	}
	n, _ := strconv.ParseInt(rows.String, 10, 64)
	return warehouse.TableInfo{Exists: true, Rows: n, Modified: altered.Time}, nil
}
