package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// TableShape describes a table a query wrote: its row count and its columns.
type TableShape struct {
	Rows    int64
	Columns []string
}

// Query is an asset value that the warehouse computes itself: the I/O manager
// runs its SELECT into the asset's table with Warehouse.WriteQuery instead of
// storing rows, so no row passes through Go. Package sqlasset makes them.
type Query interface {
	// Refs returns the upstream assets the query reads, once each.
	Refs() []string
	// Resolve returns the SELECT with each upstream asset it references
	// replaced by that asset's table, quoted, as table names it.
	Resolve(table func(asset string) TableRef) (string, error)
}

// QueryError is SQL text that WriteQuery refuses before running it: anything but
// one SELECT.
type QueryError struct {
	Query  string
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("refused SQL %q: %s", abbreviate(e.Query, 80), e.Reason)
}

var queryStart = regexp.MustCompile(`(?is)^(SELECT|WITH)\b|^\(`)

// CheckQuery returns the query without surrounding space, leading comments and
// one trailing semicolon, or a *QueryError if it does not start as a query does. It cannot see
// a second statement hidden after the first; each backend refuses those in its
// own way (DuckDB by parsing, Snowflake by its one-statement default).
func CheckQuery(query string) (string, error) {
	q := strings.TrimSpace(query)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	if q == "" {
		return "", &QueryError{Query: query, Reason: "empty: expected a SELECT"}
	}
	if q = skipComments(q); !queryStart.MatchString(q) {
		return "", &QueryError{Query: query, Reason: "expected one SELECT (or WITH ... SELECT); the warehouse writes its result into the asset's table"}
	}
	return q, nil
}

// WriteQuery runs the guard's checks before the wrapped warehouse's WriteQuery:
// the target may not be the protected database and, as for Exec, the query may
// not name it.
func (g *guarded) WriteQuery(ctx context.Context, ref TableRef, query string) (TableShape, error) {
	if err := g.refuse(ref.Database, "writing table "+ref.String()); err != nil {
		return TableShape{}, err
	}
	if g.mention.MatchString(query) {
		return TableShape{}, &GuardError{Database: g.protected, Action: "a query naming it (write {{ ref \"asset\" }} to read this environment's table)"}
	}
	return g.Warehouse.WriteQuery(ctx, ref, query)
}

// skipComments returns s after any leading comments and space.
func skipComments(s string) string {
	for {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "--"):
			_, rest, ok := strings.Cut(s, "\n")
			if !ok {
				return ""
			}
			s = rest
		case strings.HasPrefix(s, "/*"):
			_, rest, ok := strings.Cut(s[2:], "*/")
			if !ok {
				return ""
			}
			s = rest
		default:
			return s
		}
	}
}

func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}

// TableNamer names the table each asset is stored in. The warehouse I/O manager
// is one, and its resource offers one as its Spec, so a dry run can resolve a
// SQL asset's references without connecting.
type TableNamer interface {
	Ref(asset string) TableRef
}

var _ TableNamer = (*IOManager)(nil)
