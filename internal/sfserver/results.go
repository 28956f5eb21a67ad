package sfserver

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var reOrderBy = regexp.MustCompile(`(?is)\bORDER\s+BY\b`)

// selectRows runs a SELECT and answers its rows in the configured format.
// Without ORDER BY the rows come in no fixed order, as from a real account:
// the double shuffles them on purpose, so that no caller relies on luck.
func (s *Server) selectRows(ctx context.Context, sess *session, stmt string, req queryRequest) (*queryData, error) {
	if err := s.attachNamed(ctx, stmt); err != nil {
		return nil, err
	}
	args, err := scalarArgs(req.Bindings)
	if err != nil {
		return nil, err
	}
	query := translateTypes(stmt)
	if !s.cfg.KeepOrder && !reOrderBy.MatchString(stmt) {
		query = "SELECT * FROM (" + query + ") AS _unordered ORDER BY random()"
	}
	rows, err := sess.conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, execError(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, execError(err)
	}
	d := &queryData{StatementTypeID: typeSelect}
	for _, ct := range types {
		d.RowType = append(d.RowType, columnType(ct))
	}
	arrowFormat := s.cfg.resultFormat() == "arrow"
	if arrowFormat {
		for i := range d.RowType {
			if strings.HasPrefix(d.RowType[i].Type, "timestamp") {
				d.RowType[i].Scale = timestampScale
			}
		}
	}
	var chunk [][]any
	var chunks [][]byte
	var counts []int
	total := 0
	flush := func() error {
		b, err := encodeChunk(d.RowType, chunk)
		if err != nil {
			return err
		}
		chunks, counts = append(chunks, b), append(counts, len(chunk))
		chunk = chunk[:0]
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, execError(err)
		}
		total++
		if !arrowFormat {
			row := make([]*string, len(vals))
			for i, v := range vals {
				row[i] = encode(v)
			}
			d.RowSet = append(d.RowSet, row)
			continue
		}
		if chunk = append(chunk, vals); len(chunk) == s.cfg.chunkRows() {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, execError(err)
	}
	if !arrowFormat {
		return d, nil
	}
	if len(chunk) > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	s.answerArrow(sess, d, chunks, counts, total)
	return d, nil
}

// answerArrow puts the first chunk inline and the others behind URLs.
func (s *Server) answerArrow(sess *session, d *queryData, chunks [][]byte, counts []int, total int) {
	d.QueryResultFormat, d.RowSet, d.Total = "arrow", nil, int64(total)
	s.stats.arrowAnswers.Add(1)
	if len(chunks) == 0 {
		return
	}
	d.RowSetBase64, d.Returned = base64.StdEncoding.EncodeToString(chunks[0]), int64(counts[0])
	if len(chunks) > 1 {
		key, infos := s.chunked(sess, chunks[1:], counts[1:])
		d.Chunks, d.Qrmk = infos, key
		d.ChunkHeaders = map[string]string{headerSSEAlgorithm: "AES256", headerSSEKey: key}
	}
}

// asArrow re-encodes a result built as JSON rows (SHOW, information schema)
// in Arrow, as a real account answers every query of the Go driver.
func (s *Server) asArrow(sess *session, d *queryData) error {
	rows := make([][]any, len(d.RowSet))
	for r, row := range d.RowSet {
		rows[r] = make([]any, len(row))
		for c, v := range row {
			if v == nil {
				continue
			}
			switch t := d.RowType[c].Type; {
			case t == "fixed":
				n, err := strconv.ParseInt(*v, 10, 64)
				if err != nil {
					return err
				}
				rows[r][c] = n
			case strings.HasPrefix(t, "timestamp"):
				sec, frac, _ := strings.Cut(*v, ".")
				secs, err := strconv.ParseInt(sec, 10, 64)
				if err != nil {
					return err
				}
				ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
				rows[r][c] = time.Unix(secs, ns).UTC()
			default:
				rows[r][c] = *v
			}
		}
	}
	for i := range d.RowType {
		if strings.HasPrefix(d.RowType[i].Type, "timestamp") {
			d.RowType[i].Scale = timestampScale
		}
	}
	var chunks [][]byte
	var counts []int
	if len(rows) > 0 {
		b, err := encodeChunk(d.RowType, rows)
		if err != nil {
			return err
		}
		chunks, counts = [][]byte{b}, []int{len(rows)}
	}
	s.answerArrow(sess, d, chunks, counts, len(rows))
	return nil
}

// columnType describes a DuckDB column as Snowflake would.
func columnType(ct *sql.ColumnType) rowType {
	rt := rowType{Name: ct.Name(), Nullable: true}
	switch name := ct.DatabaseTypeName(); {
	case name == "BIGINT" || name == "INTEGER" || name == "SMALLINT" || name == "TINYINT" || name == "HUGEINT" || name == "UBIGINT":
		rt.Type, rt.Precision = "fixed", 38
	case name == "DOUBLE" || name == "FLOAT" || strings.HasPrefix(name, "DECIMAL"):
		rt.Type = "real"
	case name == "BOOLEAN":
		rt.Type = "boolean"
	case name == "TIMESTAMP":
		rt.Type, rt.Scale = "timestamp_ntz", 9
	case name == "TIMESTAMPTZ" || name == "TIMESTAMP WITH TIME ZONE":
		rt.Type, rt.Scale = "timestamp_ltz", 9
	case name == "JSON" || strings.HasSuffix(name, "[]"):
		rt.Type, rt.Length = "array", 16777216
	case name == "DATE":
		rt.Type = "date"
	default:
		rt.Type, rt.Length = "text", 16777216
	}
	return rt
}

// encode renders a value as the JSON row format does: numbers as decimal text,
// timestamps as seconds.fraction, dates as days since the epoch, arrays as JSON.
func encode(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		s = strconv.FormatInt(x, 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	case string:
		s = x
	case []byte:
		s = string(x)
	case time.Time:
		s = fmt.Sprintf("%d.%09d", x.Unix(), x.Nanosecond())
	case []any:
		b, _ := json.Marshal(x)
		s = string(b)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	return &s
}
