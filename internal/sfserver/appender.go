package sfserver

import (
	"context"
	"database/sql/driver"
	"errors"
	"regexp"
	"strings"
)

// rePlaceholders matches a VALUES group of placeholders only: (?, ?, ...).
var rePlaceholders = regexp.MustCompile(`^\(\s*\?(\s*,\s*\?)*\s*\)$`)

// rowSink receives the rows of one INSERT.
type rowSink struct {
	add   func(row []any) error
	close func() error
}

// insertSink returns where an INSERT's rows go: DuckDB's appender when the
// statement names its table in full and binds every column by a placeholder,
// else multi-row INSERT statements of insertBatch rows. Either runs on the
// session's connection, inside its open transaction.
func (s *Server) insertSink(ctx context.Context, sess *session, table, columnList, group string) (*rowSink, error) {
	parts := splitName(table)
	cols := splitColumns(columnList)
	if len(parts) == 3 && len(cols) > 0 && rePlaceholders.MatchString(strings.TrimSpace(group)) {
		return s.appenderSink(ctx, sess, parts, cols)
	}
	head := "INSERT INTO " + table + " " + columnList + " VALUES "
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		groups := make([]string, len(batch))
		var args []any
		for i, row := range batch {
			groups[i] = group
			args = append(args, row...)
		}
		batch = batch[:0]
		if _, err := sess.conn.ExecContext(ctx, head+strings.Join(groups, ", "), args...); err != nil {
			return execError(err)
		}
		return nil
	}
	return &rowSink{
		add: func(row []any) error {
			if batch = append(batch, row); len(batch) == insertBatch {
				return flush()
			}
			return nil
		},
		close: flush,
	}, nil
}

// appenderSink appends rows through DuckDB's appender, which takes typed Go
// values without parsing SQL per row.
func (s *Server) appenderSink(ctx context.Context, sess *session, parts, cols []string) (*rowSink, error) {
	rows := make(chan []any, 1024)
	done := make(chan error, 1)
	ready := make(chan error, 1)
	go func() {
		done <- sess.conn.Raw(func(dc any) error {
			a, err := newAppender(dc.(driver.Conn), parts, cols)
			ready <- err
			if err != nil {
				for range rows { // drain
				}
				return err
			}
			var appendErr error
			for row := range rows {
				if appendErr == nil {
					vals := make([]driver.Value, len(row))
					for i, v := range row {
						vals[i] = v
					}
					appendErr = a.AppendRow(vals...)
				}
			}
			return errors.Join(appendErr, a.Close())
		})
	}()
	if err := <-ready; err != nil {
		close(rows)
		<-done
		return nil, execError(err)
	}
	closed := false
	finish := func() error {
		if closed {
			return nil
		}
		closed = true
		close(rows)
		if err := <-done; err != nil {
			return execError(err)
		}
		return nil
	}
	return &rowSink{
		add: func(row []any) error {
			select {
			case rows <- row:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		close: finish,
	}, nil
}

func splitColumns(list string) []string {
	list = strings.TrimSpace(list)
	if !strings.HasPrefix(list, "(") {
		return nil
	}
	var out []string
	for _, c := range strings.Split(strings.Trim(list, "()"), ",") {
		out = append(out, unquote(strings.TrimSpace(c)))
	}
	return out
}
