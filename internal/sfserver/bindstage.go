package sfserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// insertFromStage runs an INSERT whose rows the driver PUT to a bind stage as
// CSV (bind_uploader.go) instead of binding them inline. Each field is read
// as the target column's type, the way Snowflake loads CSV text: integers for
// timestamps are seconds, milliseconds, microseconds or nanoseconds since the
// epoch by their size.
func (s *Server) insertFromStage(ctx context.Context, sess *session, stmt string, req queryRequest) (*queryData, error) {
	m := reInsert.FindStringSubmatch(stmt)
	if len(req.Bindings) > 0 {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "a statement has either bindings or a bind stage, not both"}
	}
	at := reStageFrom.FindStringSubmatch(strings.TrimSpace(req.BindStage))
	if at == nil {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("bind stage %q is not a stage location", req.BindStage)}
	}
	st, dir, err := s.stageAt(sess, at[1], at[2], "INSERT")
	if err != nil {
		return nil, err
	}
	files := st.list(dir)
	if len(files) == 0 {
		return nil, &sqlError{code: codeDoesNotExist, state: stateDoesNotExist, msg: fmt.Sprintf("bind stage %s holds no file: the upload did not arrive", req.BindStage)}
	}
	types, err := s.targetTypes(ctx, sess, m[1], m[2])
	if err != nil {
		return nil, err
	}
	group := m[3]
	if n := strings.Count(group, "?"); n != len(types) {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("%d placeholders for %d columns", n, len(types))}
	}
	sink, err := s.insertSink(ctx, sess, m[1], m[2], group)
	if err != nil {
		return nil, err
	}
	total := 0
	fail := func(err error) (*queryData, error) {
		_ = sink.close()
		return nil, err
	}
	for _, name := range files {
		f, _ := st.get(name)
		data, err := readStaged(f)
		if err != nil {
			return fail(&sqlError{code: codeExecution, state: stateExecution, msg: fmt.Sprintf("bind stage file %s: %v", name, err)})
		}
		err = eachCSVRecord(data, func(fields []*string) error {
			if len(fields) != len(types) {
				return fmt.Errorf("a row has %d fields, expected %d", len(fields), len(types))
			}
			row := make([]any, len(fields))
			for i, f := range fields {
				v, err := fromText(f, types[i])
				if err != nil {
					return err
				}
				row[i] = v
			}
			total++
			return sink.add(row)
		})
		if err != nil {
			return fail(asSQLError(fmt.Errorf("bind stage file %s: %w", name, err)))
		}
	}
	if err := sink.close(); err != nil {
		return nil, err
	}
	s.stats.stageBindInserts.Add(1)
	n := strconv.Itoa(total)
	return &queryData{StatementTypeID: typeInsert,
		RowType: []rowType{{Name: "number of rows inserted", Type: "fixed", Precision: 19}},
		RowSet:  [][]*string{{&n}}}, nil
}

func asSQLError(err error) error {
	if _, ok := err.(*sqlError); ok {
		return err
	}
	return &sqlError{code: "100038", state: "22018", msg: err.Error()}
}

// targetTypes returns the DuckDB types of an INSERT's target columns.
func (s *Server) targetTypes(ctx context.Context, sess *session, table, columnList string) ([]string, error) {
	order, colTypes, err := s.tableColumns(ctx, sess, table)
	if err != nil {
		return nil, err
	}
	byName := map[string]string{}
	for i, n := range order {
		byName[n] = colTypes[i]
	}
	names := order
	if list := strings.Trim(strings.TrimSpace(columnList), "()"); list != "" {
		names = nil
		for _, c := range strings.Split(list, ",") {
			names = append(names, unquote(strings.TrimSpace(c)))
		}
	}
	types := make([]string, len(names))
	for i, n := range names {
		t, ok := byName[n]
		if !ok {
			return nil, &sqlError{code: "000904", state: "42000", msg: fmt.Sprintf("SQL compilation error: invalid identifier '%s'", n)}
		}
		types[i] = t
	}
	return types, nil
}

// fromText reads one CSV field as a value of a DuckDB column type. A nil
// field (empty and unquoted) is NULL.
func fromText(f *string, typ string) (any, error) {
	if f == nil {
		return nil, nil
	}
	s := *f
	bad := func(err error) error { return fmt.Errorf("%s value %q: %v", typ, s, err) }
	switch {
	case typ == "BIGINT" || typ == "INTEGER" || typ == "SMALLINT" || typ == "TINYINT" || typ == "HUGEINT":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return n, nil
	case typ == "DOUBLE" || typ == "FLOAT" || strings.HasPrefix(typ, "DECIMAL"):
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	case typ == "BOOLEAN":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, bad(err)
		}
		return b, nil
	case typ == "TIMESTAMP" || typ == "DATE" || strings.HasPrefix(typ, "TIMESTAMP"):
		t, err := parseTime(s)
		if err != nil {
			return nil, bad(err)
		}
		return t, nil
	}
	return s, nil
}

// parseTime reads a timestamp as Snowflake's AUTO format does, integers by
// their size (docs.snowflake.com: Date and time input and output formats).
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch a := max(n, -n); {
		case a < 31_536_000_000:
			return time.Unix(n, 0).UTC(), nil
		case a < 31_536_000_000_000:
			return time.UnixMilli(n).UTC(), nil
		case a < 31_536_000_000_000_000:
			return time.UnixMicro(n).UTC(), nil
		default:
			return time.Unix(0, n).UTC(), nil
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp")
}

// eachCSVRecord parses the CSV the driver writes (createCSVRecord): fields
// separated by commas, records by newlines, a field in double quotes when it
// holds a quote, comma, newline or backslash, or is the empty string; an
// empty unquoted field is NULL.
func eachCSVRecord(data []byte, fn func([]*string) error) error {
	var fields []*string
	i := 0
	for i < len(data) {
		var field *string
		if data[i] == '"' {
			var b strings.Builder
			i++
			for {
				if i >= len(data) {
					return fmt.Errorf("unterminated quoted field")
				}
				if data[i] == '"' {
					if i+1 < len(data) && data[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(data[i])
				i++
			}
			v := b.String()
			field = &v
		} else {
			start := i
			for i < len(data) && data[i] != ',' && data[i] != '\n' {
				i++
			}
			if i > start {
				v := string(data[start:i])
				field = &v
			}
		}
		fields = append(fields, field)
		switch {
		case i >= len(data) || data[i] == '\n':
			if err := fn(fields); err != nil {
				return err
			}
			fields = nil
			i++
		case data[i] == ',':
			i++
			if i >= len(data) { // a trailing comma ends with an empty field
				fields = append(fields, nil)
				return fn(fields)
			}
		default:
			return fmt.Errorf("unexpected %q after a quoted field", data[i])
		}
	}
	return nil
}
