// Package diff compares a table in two databases, such as a pull request's clone
// and PRODUCTION, inside the warehouse: the schema change, the row counts and,
// by key, the rows added, removed and changed with a count of changed values per
// column. The comparison is SQL (a full outer join on the key and a hash of the
// other columns); only a few sample rows leave the warehouse.
package diff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// DefaultSamples is how many sample rows of each kind a diff fetches.
const DefaultSamples = 5

// maxSampleValue bounds one sample value as shown; longer text is cut.
const maxSampleValue = 80

// Options tune a comparison.
type Options struct {
	Key     []string // key columns; empty: compare schema and counts only
	Samples int      // sample rows of each kind; 0: DefaultSamples, negative: none
}

// Column is one column of a table, with the type its warehouse reports.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Retyped is a column whose type changed.
type Retyped struct {
	Name     string `json:"name"`
	BaseType string `json:"base_type"`
	HeadType string `json:"head_type"`
}

// ColumnCount is how many rows changed one column's value.
type ColumnCount struct {
	Column string `json:"column"`
	Count  int64  `json:"count"`
}

// Row is one sample row: its key and column values as text.
type Row struct {
	Key    []string          `json:"key"`
	Values map[string]string `json:"values"`
}

// Change is one changed value of a sample row.
type Change struct {
	Column string `json:"column"`
	Base   string `json:"base"`
	Head   string `json:"head"`
}

// ChangedRow is a sample row that changed: its key and each changed value.
type ChangedRow struct {
	Key     []string `json:"key"`
	Changes []Change `json:"changes"`
}

// Table is the comparison of one table.
type Table struct {
	Asset      string    `json:"asset,omitempty"`
	Base       string    `json:"base"` // DATABASE.SCHEMA.TABLE
	Head       string    `json:"head"`
	BaseExists bool      `json:"base_exists"`
	HeadExists bool      `json:"head_exists"`
	Added      []Column  `json:"columns_added"`
	Removed    []Column  `json:"columns_removed"`
	Retyped    []Retyped `json:"columns_retyped"`
	BaseRows   int64     `json:"base_rows"`
	HeadRows   int64     `json:"head_rows"`
	Key        []string  `json:"key,omitempty"`
	// KeyNote says why rows were not compared by key, when they were not.
	KeyNote       string        `json:"key_note,omitempty"`
	Compared      bool          `json:"compared_by_key"`
	RowsAdded     int64         `json:"rows_added"`
	RowsRemoved   int64         `json:"rows_removed"`
	RowsChanged   int64         `json:"rows_changed"`
	ChangedValues []ColumnCount `json:"changed_values"` // columns with at least one change, in table order
	SampleAdded   []Row         `json:"sample_added"`
	SampleRemoved []Row         `json:"sample_removed"`
	SampleChanged []ChangedRow  `json:"sample_changed"`
}

// Changed reports whether the comparison found any difference.
func (t *Table) Changed() bool {
	return t.BaseExists != t.HeadExists || len(t.Added)+len(t.Removed)+len(t.Retyped) > 0 ||
		t.BaseRows != t.HeadRows || t.RowsAdded+t.RowsRemoved+t.RowsChanged > 0
}

// Source is what a diff reads from: a warehouse that answers read-only
// queries, and its backend, which decides the SQL dialect. Every
// warehouse.Warehouse of this module is one; so is a read-only view such as a
// sealed DuckDB instance that holds both databases.
type Source interface {
	warehouse.Querier
	Backend() string
}

// SourceOf returns w as a Source, or an error naming its backend.
func SourceOf(w warehouse.Warehouse) (Source, error) {
	s, ok := w.(Source)
	if !ok {
		return nil, fmt.Errorf("the %s warehouse cannot run queries", w.Backend())
	}
	return s, nil
}

// Compare diffs the table base against head (head is the newer one, such as a
// pull request's clone). Either may be missing. It only reads.
func Compare(ctx context.Context, src Source, base, head warehouse.TableRef, opt Options) (*Table, error) {
	for _, r := range []warehouse.TableRef{base, head} {
		if err := r.Check(); err != nil {
			return nil, err
		}
	}
	for _, k := range opt.Key {
		if err := warehouse.CheckIdent("key column", k); err != nil {
			return nil, err
		}
	}
	if opt.Samples == 0 {
		opt.Samples = DefaultSamples
	}
	q, d := warehouse.Querier(src), dialectOf(src.Backend())
	t := &Table{Base: base.String(), Head: head.String(), Added: []Column{}, Removed: []Column{}, Retyped: []Retyped{},
		ChangedValues: []ColumnCount{}, SampleAdded: []Row{}, SampleRemoved: []Row{}, SampleChanged: []ChangedRow{}}
	c := &comparison{q: q, d: d, base: base, head: head, t: t, samples: opt.Samples}
	baseCols, err := c.columns(ctx, base)
	if err != nil {
		return nil, err
	}
	headCols, err := c.columns(ctx, head)
	if err != nil {
		return nil, err
	}
	t.BaseExists, t.HeadExists = len(baseCols) > 0, len(headCols) > 0
	common := schemaChange(t, baseCols, headCols)
	if t.BaseExists {
		if t.BaseRows, err = c.count(ctx, base); err != nil {
			return nil, err
		}
	}
	if t.HeadExists {
		if t.HeadRows, err = c.count(ctx, head); err != nil {
			return nil, err
		}
	}
	if !t.BaseExists || !t.HeadExists {
		t.KeyNote = "the table exists on one side only"
		return t, nil
	}
	keys, values, note := splitKey(opt.Key, common, t.Retyped)
	t.Key, t.KeyNote = keys, note
	if note != "" {
		return t, nil
	}
	if note, err = c.duplicates(ctx, keys); err != nil || note != "" {
		t.KeyNote = note
		return t, err
	}
	if err := c.compareRows(ctx, keys, values); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			t.KeyNote = ke.note
			return t, nil
		}
		return nil, err
	}
	t.Compared = true
	if opt.Samples > 0 {
		if err := c.sample(ctx, keys, values); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// schemaChange fills the added, removed and retyped columns and returns the
// columns both sides have, in head's order.
func schemaChange(t *Table, base, head []Column) []Column {
	inBase := map[string]Column{}
	for _, c := range base {
		inBase[strings.ToUpper(c.Name)] = c
	}
	inHead := map[string]bool{}
	var common []Column
	for _, c := range head {
		inHead[strings.ToUpper(c.Name)] = true
		b, ok := inBase[strings.ToUpper(c.Name)]
		switch {
		case !ok:
			if len(base) > 0 {
				t.Added = append(t.Added, c)
			}
		case b.Type != c.Type:
			t.Retyped = append(t.Retyped, Retyped{Name: c.Name, BaseType: b.Type, HeadType: c.Type})
		default:
			common = append(common, c)
		}
	}
	for _, c := range base {
		if !inHead[strings.ToUpper(c.Name)] && len(head) > 0 {
			t.Removed = append(t.Removed, c)
		}
	}
	return common
}

// splitKey finds the key columns among the common ones, by name in any case,
// and returns the other common columns to compare. A note says why rows cannot
// be compared by key.
func splitKey(key []string, common []Column, retyped []Retyped) (keys, values []string, note string) {
	if len(key) == 0 {
		return nil, nil, "no key declared: only the schema and row counts are compared"
	}
	isKey := map[string]bool{}
	for _, k := range key {
		found := ""
		for _, c := range common {
			if strings.EqualFold(c.Name, k) {
				found = c.Name
			}
		}
		if found == "" {
			for _, r := range retyped {
				if strings.EqualFold(r.Name, k) {
					return key, nil, fmt.Sprintf("key column %s changed type: rows cannot be matched by key", k)
				}
			}
			return key, nil, fmt.Sprintf("key column %s is not in both tables: rows cannot be matched by key", k)
		}
		keys = append(keys, found)
		isKey[found] = true
	}
	for _, c := range common {
		if !isKey[c.Name] {
			values = append(values, c.Name)
		}
	}
	return keys, values, ""
}

// comparison is one Compare call's state.
type comparison struct {
	q          warehouse.Querier
	d          dialect
	base, head warehouse.TableRef
	t          *Table
	samples    int
	picked     bool     // compareRows picked the sample keys
	sampleKeys [3][]any // added, removed, changed
}

func (c *comparison) databases() []string {
	if c.base.Database == c.head.Database {
		return []string{c.base.Database}
	}
	return []string{c.base.Database, c.head.Database}
}

// query runs a statement and scans every row into text values.
func (c *comparison) query(ctx context.Context, stmt string, args ...any) ([][]sql.NullString, []string, error) {
	rows, err := c.q.Query(ctx, c.databases(), stmt, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]sql.NullString
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, nil, err
		}
		row := make([]sql.NullString, len(cols))
		for i, v := range vals {
			row[i] = text(*(v.(*any)))
		}
		out = append(out, row)
	}
	return out, cols, rows.Err()
}

// columns lists a table's columns in order; none when it does not exist.
func (c *comparison) columns(ctx context.Context, ref warehouse.TableRef) ([]Column, error) {
	stmt, args := c.d.columns(ref)
	rows, _, err := c.query(ctx, stmt, args...)
	if err != nil {
		if isMissingDatabase(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("diff: columns of %s: %w", ref, err)
	}
	out := make([]Column, 0, len(rows))
	for _, r := range rows {
		if err := warehouse.CheckIdent("column", r[0].String); err != nil {
			return nil, fmt.Errorf("diff: %s: %w", ref, err)
		}
		out = append(out, Column{Name: r[0].String, Type: r[1].String})
	}
	return out, nil
}

func (c *comparison) count(ctx context.Context, ref warehouse.TableRef) (int64, error) {
	rows, _, err := c.query(ctx, "SELECT COUNT(*) FROM "+ref.Quoted())
	if err != nil {
		return 0, fmt.Errorf("diff: count %s: %w", ref, err)
	}
	return parseCount(rows[0][0])
}

// duplicates returns a note when base holds a key more than once or a null
// key, in which case rows cannot be matched one to one. Base unique bounds the
// join to the rows of both sides; head's duplicates and null keys are found by
// compareRows from the join itself, which saves a scan.
func (c *comparison) duplicates(ctx context.Context, keys []string) (string, error) {
	rows, _, err := c.query(ctx, duplicatesSQL(c.base, keys))
	if err != nil {
		return "", fmt.Errorf("diff: key of %s: %w", c.base, err)
	}
	dups, _ := parseCount(rows[0][0])
	nulls, _ := parseCount(rows[0][1])
	switch {
	case nulls > 0:
		return fmt.Sprintf("key %s is null in %d rows of base (%s): rows cannot be matched by key", strings.Join(keys, ", "), nulls, c.base), nil
	case dups > 0:
		return fmt.Sprintf("key %s is not unique in base (%s): %d rows repeat a key; rows cannot be matched by key", strings.Join(keys, ", "), c.base, dups), nil
	}
	return "", nil
}

// compareRows counts added, removed and changed rows and changed values per
// column in one query.
func (c *comparison) compareRows(ctx context.Context, keys, values []string) error {
	rows, _, err := c.query(ctx, compareSQL(c.base, c.head, keys, values, c.samples))
	if err != nil {
		return fmt.Errorf("diff: compare %s with %s: %w", c.base, c.head, err)
	}
	r := rows[0]
	counts := 5 + len(values)
	n := make([]int64, counts)
	for i := range n {
		if n[i], err = parseCount(r[i]); err != nil {
			return err
		}
	}
	if len(r) == counts+3 {
		c.picked = true
		for k := range c.sampleKeys {
			if c.sampleKeys[k], err = keyList(r[counts+k]); err != nil {
				return err
			}
		}
	}
	k := strings.Join(keys, ", ")
	switch {
	case n[4] > 0:
		return &keyError{fmt.Sprintf("key %s is null in %d rows of head (%s): rows cannot be matched by key", k, n[4], c.head)}
	case n[3] > c.t.BaseRows: // a base row met more than one head row
		return &keyError{fmt.Sprintf("key %s is not unique in head (%s): rows cannot be matched by key", k, c.head)}
	}
	c.t.RowsAdded, c.t.RowsRemoved, c.t.RowsChanged = n[0], n[1], n[2]
	for i, v := range values {
		if n[5+i] > 0 {
			c.t.ChangedValues = append(c.t.ChangedValues, ColumnCount{Column: v, Count: n[5+i]})
		}
	}
	return nil
}

// sample fetches a few rows of each kind, ordered by key.
func (c *comparison) sample(ctx context.Context, keys, values []string) error {
	for _, side := range []struct {
		from, other warehouse.TableRef
		into        *[]Row
		picked      []any
	}{{c.head, c.base, &c.t.SampleAdded, c.sampleKeys[0]}, {c.base, c.head, &c.t.SampleRemoved, c.sampleKeys[1]}} {
		stmt, args := onlyInSQL(side.from, side.other, keys, values, c.samples), []any(nil)
		if c.picked {
			if len(side.picked) == 0 {
				continue
			}
			stmt, args = rowsByKeySQL(side.from, keys, values, len(side.picked)), side.picked
		}
		rows, cols, err := c.query(ctx, stmt, args...)
		if err != nil {
			return fmt.Errorf("diff: sample rows of %s: %w", side.from, err)
		}
		for _, r := range rows {
			row := Row{Key: shown(r[:len(keys)]), Values: map[string]string{}}
			for i := len(keys); i < len(r); i++ {
				row.Values[cols[i]] = shown(r[i : i+1])[0]
			}
			*side.into = append(*side.into, row)
		}
	}
	if c.t.RowsChanged == 0 {
		return nil
	}
	stmt, args := changedSQL(c.base, c.head, keys, values, c.samples), []any(nil)
	if c.picked {
		if args = c.sampleKeys[2]; len(args) == 0 {
			return nil
		}
		stmt = changedByKeySQL(c.base, c.head, keys, values, len(args))
	}
	rows, _, err := c.query(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("diff: sample changed rows: %w", err)
	}
	for _, r := range rows {
		row := ChangedRow{Key: shown(r[:len(keys)])}
		for i, v := range values {
			b, h := r[len(keys)+2*i], r[len(keys)+2*i+1]
			if b != h {
				row.Changes = append(row.Changes, Change{Column: v, Base: shown([]sql.NullString{b})[0], Head: shown([]sql.NullString{h})[0]})
			}
		}
		c.t.SampleChanged = append(c.t.SampleChanged, row)
	}
	return nil
}

// keyError is a key that cannot match rows one to one, found by the join.
type keyError struct{ note string }

func (e *keyError) Error() string { return e.note }

// isMissingDatabase tells a database that does not exist, which makes every
// table in it missing rather than the diff failing.
func isMissingDatabase(err error) bool {
	var ident *warehouse.IdentError
	if errors.As(err, &ident) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "database does not exist") || strings.Contains(msg, "does not exist or not authorized")
}
