package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// ProductionWritableError is a branch deployment whose Snowflake role can write
// PRODUCTION: the text guard would stand alone, with no privilege wall behind it.
type ProductionWritableError struct {
	Role   string
	Writes []snowflake.Grant
}

func (e *ProductionWritableError) Error() string {
	parts := make([]string, len(e.Writes))
	for i, g := range e.Writes {
		parts[i] = g.String()
	}
	return fmt.Sprintf("branch role %s can write %s: %s; sign in with a role that can only read it (see deploy/snowflake/roles.sql)",
		e.Role, warehouse.Production, strings.Join(parts, "; "))
}

// AccessReport is what CheckAccess found.
type AccessReport struct {
	Lines []string // what was checked, for display
}

// CheckAccess signs in as the environment's warehouse would and reads what it
// may do to PRODUCTION. In branch, a Snowflake role that can write PRODUCTION
// is a *ProductionWritableError. schema is the project's schema, whose
// future grants count too. The embedded warehouse needs no sign-in: in
// branch it attaches PRODUCTION read-only.
func CheckAccess(ctx context.Context, env Environment, schema string, opt Options) (AccessReport, error) {
	if opt.Lookup == nil {
		return AccessReport{}, fmt.Errorf("CheckAccess: no lookup")
	}
	raw, _ := opt.Lookup(WarehouseVar)
	if !strings.HasPrefix(raw, "snowflake://") {
		line := "embedded DuckDB warehouse: " + warehouse.Production + " is attached read-only in branch (DuckDB's own setting); nothing to sign in to"
		return AccessReport{Lines: []string{line}}, nil
	}
	cfg, err := snowflakeConfig(raw, env.Name, opt.Lookup)
	if err != nil {
		return AccessReport{}, err
	}
	cfg.Database, cfg.Schema = "", "" // sign in without a context: the clone may not exist yet
	w, err := snowflake.Open(ctx, cfg)
	if err != nil {
		return AccessReport{}, err
	}
	defer w.Close()
	a, err := w.WriteAccess(ctx, warehouse.Production, schema)
	if err != nil {
		return AccessReport{}, fmt.Errorf("check grants on snowflake account %s: %w", cfg.Account, err)
	}
	how := "password"
	if cfg.PrivateKey != nil {
		how = "key pair, " + cfg.KeySource
	}
	r := AccessReport{Lines: []string{
		fmt.Sprintf("signed in to snowflake account %s as %s (%s)", cfg.Account, a.User, how),
		fmt.Sprintf("role %s; roles checked: %s", a.Role, strings.Join(a.Roles, ", ")),
	}}
	for _, n := range a.Notes {
		r.Lines = append(r.Lines, "note: "+n)
	}
	switch {
	case len(a.Writes) == 0:
		r.Lines = append(r.Lines, "no grant lets it write "+warehouse.Production)
	case env.Name == Branch:
		return r, &ProductionWritableError{Role: a.Role, Writes: a.Writes}
	default:
		r.Lines = append(r.Lines, fmt.Sprintf("it can write %s (%d grants), as %s may", warehouse.Production, len(a.Writes), env.Name))
	}
	return r, nil
}
