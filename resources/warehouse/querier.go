package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Querier is a warehouse that answers read-only queries, which table diffs and
// asset checks run inside the warehouse. Both backends implement it, and so does
// the guard, which lets PRODUCTION be read.
type Querier interface {
	// Query runs one read-only statement (SELECT or WITH) with bound arguments.
	// Databases lists every database the statement reads, so a backend that
	// attaches databases lazily can attach them first. The caller closes the rows.
	Query(ctx context.Context, databases []string, stmt string, args ...any) (*sql.Rows, error)
}

// ReadOnlyError is a statement passed to Query that is not a plain read.
type ReadOnlyError struct{ Statement string }

func (e *ReadOnlyError) Error() string {
	s := e.Statement
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return fmt.Sprintf("refused: %q is not a read-only query: expected SELECT or WITH", s)
}

// CheckReadOnly refuses a statement that does not start with SELECT or WITH, or
// that holds more than one statement.
func CheckReadOnly(stmt string) error {
	s := strings.TrimSpace(stmt)
	s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	head := strings.ToUpper(s[:min(len(s), 7)])
	if !(strings.HasPrefix(head, "SELECT") || strings.HasPrefix(head, "WITH")) || strings.Contains(s, ";") {
		return &ReadOnlyError{Statement: stmt}
	}
	return nil
}

// QuerierOf returns w as a Querier, or an error naming its backend.
func QuerierOf(w Warehouse) (Querier, error) {
	q, ok := w.(Querier)
	if !ok {
		return nil, fmt.Errorf("the %s warehouse cannot run queries", w.Backend())
	}
	return q, nil
}

// Query lets the protected database be read: only read-only statements pass, and
// the backend's own mechanism (read-only attachment, the branch role) refuses
// writes anyway.
func (g *guarded) Query(ctx context.Context, databases []string, stmt string, args ...any) (*sql.Rows, error) {
	if err := CheckReadOnly(stmt); err != nil {
		return nil, err
	}
	q, err := QuerierOf(g.Warehouse)
	if err != nil {
		return nil, err
	}
	return q.Query(ctx, databases, stmt, args...)
}
