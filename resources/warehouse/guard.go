package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// GuardError is a refused write to a protected database.
type GuardError struct {
	Database string
	Action   string
}

func (e *GuardError) Error() string {
	return fmt.Sprintf("refused: %s would write to %s, which this branch deployment must not touch", e.Action, e.Database)
}

// Guard wraps a warehouse so that no call can write to, clone onto or drop the
// protected database; it may still be read, and be the source of a clone.
//
// Raw statements (Exec) are walled in by the backend where it can: a backend
// that reports Confined() true (the embedded DuckDB one in a branch) lets its
// connection reach no file but the branch's own databases, by its own locked
// settings, so the statement is passed on as it is and anything reaching for
// the protected database fails there. Elsewhere (Snowflake, where the branch
// role's privileges are the wall) a statement that names the protected
// database is refused by a text check. That check catches an honest mistake;
// it cannot stop a statement that builds the name at run time (string
// functions, EXECUTE IMMEDIATE, a view or procedure that names it).
func Guard(w Warehouse, protected string) Warehouse {
	c, ok := w.(interface{ Confined() bool })
	return &guarded{Warehouse: w, protected: protected, confined: ok && c.Confined(),
		mention: regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_$])"?` + regexp.QuoteMeta(protected) + `"?($|[^A-Za-z0-9_$])`)}
}

type guarded struct {
	Warehouse
	protected string
	confined  bool
	mention   *regexp.Regexp
}

func (g *guarded) refuse(db, action string) error {
	if strings.EqualFold(db, g.protected) {
		return &GuardError{Database: g.protected, Action: action}
	}
	return nil
}

func (g *guarded) Exec(ctx context.Context, stmt string, args ...any) error {
	if !g.confined {
		if g.mention.MatchString(stmt) {
			return &GuardError{Database: g.protected, Action: "a statement naming it"}
		}
		return g.Warehouse.Exec(ctx, stmt, args...)
	}
	err := g.Warehouse.Exec(ctx, stmt, args...)
	if err != nil && strings.Contains(strings.ToUpper(err.Error()), `CATALOG "`+strings.ToUpper(g.protected)+`" DOES NOT EXIST`) {
		// The backend refused; say so in the guard's terms, as on Snowflake.
		return fmt.Errorf("%w (%w; a branch connection does not open it: its clone holds a copy)",
			&GuardError{Database: g.protected, Action: "a statement naming it"}, err)
	}
	return err
}

// Confined passes on whether the wrapped backend walls raw statements in.
func (g *guarded) Confined() bool { return g.confined }

func (g *guarded) WriteTable(ctx context.Context, ref TableRef, t arrow.Table) error {
	if err := g.refuse(ref.Database, "writing table "+ref.String()); err != nil {
		return err
	}
	return g.Warehouse.WriteTable(ctx, ref, t)
}

func (g *guarded) CloneDatabase(ctx context.Context, src, dst string) (CloneInfo, error) {
	if err := g.refuse(dst, "cloning "+src+" onto it"); err != nil {
		return CloneInfo{}, err
	}
	return g.Warehouse.CloneDatabase(ctx, src, dst)
}

func (g *guarded) DropDatabase(ctx context.Context, name string) error {
	if err := g.refuse(name, "dropping it"); err != nil {
		return err
	}
	return g.Warehouse.DropDatabase(ctx, name)
}
