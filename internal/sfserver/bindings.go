package sfserver

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// bindingsInOrder returns the bindings keyed "1", "2", ... in order.
func bindingsInOrder(b map[string]bindingValue) ([]bindingValue, error) {
	keys := make([]int, 0, len(b))
	for k := range b {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 {
			return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("binding %q: expected 1, 2, ...", k)}
		}
		keys = append(keys, n)
	}
	sort.Ints(keys)
	out := make([]bindingValue, len(keys))
	for i, k := range keys {
		if k != i+1 {
			return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("binding %d is missing", i+1)}
		}
		out[i] = b[strconv.Itoa(k)]
	}
	return out, nil
}

// scalarArgs converts single-value bindings to Go values.
func scalarArgs(b map[string]bindingValue) ([]any, error) {
	ordered, err := bindingsInOrder(b)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(ordered))
	for i, bv := range ordered {
		if _, isArray := bv.Value.([]any); isArray {
			return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "array binding is supported only for INSERT ... VALUES"}
		}
		if args[i], err = convert(bv.Type, bv.Value); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// convert turns one bound value, sent as text, into a Go value of its type.
func convert(typ string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("bound %s value %v is not text", typ, v)}
	}
	bad := func(err error) error {
		return &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("bound %s value %q: %v", typ, s, err)}
	}
	switch strings.ToUpper(typ) {
	case "FIXED":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, bad(err)
		}
		return f, nil
	case "REAL":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, bad(err)
		}
		return f, nil
	case "BOOLEAN":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, bad(err)
		}
		return b, nil
	case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ":
		ns, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return time.Unix(0, ns).UTC(), nil
	case "DATE":
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return time.UnixMilli(ms).UTC(), nil
	case "TEXT", "ANY":
		return s, nil
	}
	return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: fmt.Sprintf("bound values of type %s are not supported", typ)}
}

// insertBatch bounds the rows of one multi-row INSERT sent to DuckDB.
const insertBatch = 256

// insert runs INSERT ... VALUES (?, ...), expanding array bindings (one list
// per column) into rows.
func (s *Server) insert(ctx context.Context, sess *session, stmt string, req queryRequest) (*queryData, error) {
	if err := s.attachNamed(ctx, stmt); err != nil {
		return nil, err
	}
	m := reInsert.FindStringSubmatch(stmt)
	group := m[3]
	ordered, err := bindingsInOrder(req.Bindings)
	if err != nil {
		return nil, err
	}
	if strings.Count(group, "?") != len(ordered) {
		return nil, &sqlError{code: codeSyntax, state: stateSyntax,
			msg: fmt.Sprintf("%d placeholders but %d bound values", strings.Count(group, "?"), len(ordered))}
	}
	rows, err := expand(ordered)
	if err != nil {
		return nil, err
	}
	sink, err := s.insertSink(ctx, sess, m[1], m[2], group)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if err := sink.add(row); err != nil {
			_ = sink.close()
			return nil, err
		}
	}
	if err := sink.close(); err != nil {
		return nil, err
	}
	n := strconv.Itoa(len(rows))
	return &queryData{StatementTypeID: typeInsert,
		RowType: []rowType{{Name: "number of rows inserted", Type: "fixed", Precision: 19}},
		RowSet:  [][]*string{{&n}}}, nil
}

// expand turns column bindings into rows: scalars make one row, arrays (all of
// one length) one row per element.
func expand(cols []bindingValue) ([][]any, error) {
	n := -1
	for _, c := range cols {
		if list, ok := c.Value.([]any); ok {
			if n >= 0 && len(list) != n {
				return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "array bindings of different lengths"}
			}
			n = len(list)
		}
	}
	if n < 0 {
		row := make([]any, len(cols))
		for i, c := range cols {
			v, err := convert(c.Type, c.Value)
			if err != nil {
				return nil, err
			}
			row[i] = v
		}
		return [][]any{row}, nil
	}
	rows := make([][]any, n)
	for r := range rows {
		rows[r] = make([]any, len(cols))
	}
	for i, c := range cols {
		list, ok := c.Value.([]any)
		if !ok {
			return nil, &sqlError{code: codeSyntax, state: stateSyntax, msg: "mixed scalar and array bindings"}
		}
		for r, v := range list {
			cv, err := convert(c.Type, v)
			if err != nil {
				return nil, err
			}
			rows[r][i] = cv
		}
	}
	return rows, nil
}
