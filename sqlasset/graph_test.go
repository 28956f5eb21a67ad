package sqlasset_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/sqlasset"
)

// project is a mixed graph over one warehouse:
//
//	items (Go) -> comments (SQL) -> comment_stats (Go) -> leaders (SQL, also reads comments)
type project struct {
	w        warehouse.Warehouse
	database string
	comments string // the SQL of comments

	mu       sync.Mutex
	received []int64 // the ids comment_stats received
}

const commentsSQL = `SELECT "id", "score" FROM {{ ref "items" }} WHERE "type" = 'comment' ORDER BY "id"`

const leadersSQL = `SELECT c."id", c."score"
FROM {{ ref "comments" }} AS c CROSS JOIN {{ ref "comment_stats" }} AS s
WHERE c."score" * s."n" > s."total"
ORDER BY c."id"`

// itemRows is the items asset's table: ids 1..n, a comment when id%3 != 0, and
// score id%10.
func itemRows(n int) arrow.Table {
	b := warehouse.NewTableBuilder([]warehouse.Column{{Name: "id", Kind: warehouse.Int64},
		{Name: "type", Kind: warehouse.String}, {Name: "score", Kind: warehouse.Int64}})
	for id := 1; id <= n; id++ {
		typ := "comment"
		if id%3 == 0 {
			typ = "story"
		}
		if err := b.Append([]any{int64(id), typ, int64(id % 10)}); err != nil {
			panic(err)
		}
	}
	return b.Table()
}

func (p *project) definitions(t *testing.T) engine.Definitions {
	t.Helper()
	items := engine.Asset{Name: "items", Compute: func(*engine.Context) (any, error) { return itemRows(30), nil }}
	comments, err := sqlasset.New("comments", p.comments)
	if err != nil {
		t.Fatal(err)
	}
	stats := engine.Asset{Name: "comment_stats", Deps: []string{"comments"}, Compute: func(ctx *engine.Context) (any, error) {
		in, err := engine.Input[arrow.Table](ctx, "comments")
		if err != nil {
			return nil, err
		}
		var n, total int64
		tr := array.NewTableReader(in, 1024)
		defer tr.Release()
		for tr.Next() {
			rec := tr.Record()
			ids, scores := rec.Column(0).(*array.Int64), rec.Column(1).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				p.mu.Lock()
				p.received = append(p.received, ids.Value(i))
				p.mu.Unlock()
				n++
				total += scores.Value(i)
			}
		}
		b := warehouse.NewTableBuilder([]warehouse.Column{{Name: "n", Kind: warehouse.Int64}, {Name: "total", Kind: warehouse.Int64}})
		if err := b.Append([]any{n, total}); err != nil {
			return nil, err
		}
		return b.Table(), nil
	}}
	leaders := sqlasset.Must(sqlasset.Definition{Name: "leaders", SQL: leadersSQL, Group: "sql"}.Asset())
	return engine.Definitions{Env: "test", Assets: []engine.Asset{items, comments, stats, leaders},
		Resources: map[string]engine.Resource{engine.DefaultIOManager: {
			Spec: &warehouse.IOManager{Database: p.database, Schema: "HACKER_NEWS"},
			Open: func(context.Context, engine.Deps) (any, error) {
				return &warehouse.IOManager{Warehouse: p.w, Database: p.database, Schema: "HACKER_NEWS"}, nil
			},
		}}}
}

func (p *project) run(t *testing.T, selection string) *engine.RunResult {
	t.Helper()
	cat, err := engine.Load(p.definitions(t))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := cat.PlanAssets(selection, nil)
	if err != nil {
		t.Fatal(err)
	}
	return (&engine.Runner{}).Run(context.Background(), plan)
}

func (p *project) rows(t *testing.T, asset string) [][]int64 {
	t.Helper()
	ref := warehouse.TableRef{Database: p.database, Schema: "HACKER_NEWS", Table: strings.ToUpper(asset)}
	tbl, err := p.w.ReadTable(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var out [][]int64
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]int64, rec.NumCols())
			for c := range row {
				row[c] = warehouse.Value(rec.Column(c), i).(int64)
			}
			out = append(out, row)
		}
	}
	return out
}

// testMixedGraph runs the whole graph, checks each table against what Go
// computes, then runs a Go asset alone downstream of the stored SQL table.
func testMixedGraph(t *testing.T, w warehouse.Warehouse, database string) {
	p := &project{w: w, database: database, comments: commentsSQL}
	res := p.run(t, "*")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	var wantComments [][]int64
	var n, total int64
	for id := int64(1); id <= 30; id++ {
		if id%3 != 0 {
			wantComments = append(wantComments, []int64{id, id % 10})
			n, total = n+1, total+id%10
		}
	}
	var wantLeaders [][]int64
	for _, c := range wantComments {
		if c[1]*n > total {
			wantLeaders = append(wantLeaders, c)
		}
	}
	if got := p.rows(t, "comments"); fmt.Sprint(got) != fmt.Sprint(wantComments) {
		t.Errorf("COMMENTS holds %v, want %v", got, wantComments)
	}
	if got := p.rows(t, "comment_stats"); fmt.Sprint(got) != fmt.Sprint([][]int64{{n, total}}) {
		t.Errorf("COMMENT_STATS holds %v, want [[%d %d]]", got, n, total)
	}
	if got := p.rows(t, "leaders"); len(wantLeaders) == 0 || fmt.Sprint(got) != fmt.Sprint(wantLeaders) {
		t.Errorf("LEADERS holds %v, want %v", got, wantLeaders)
	}
	if len(p.received) != int(n) {
		t.Errorf("the Go asset downstream of SQL received %d rows, want %d", len(p.received), n)
	}
	m := res.Steps[1].Materialization
	if res.Steps[1].Node != "comments" || m == nil || m.Rows != n || strings.Join(m.Columns, ",") != "id,score" ||
		m.Location != database+".HACKER_NEWS.COMMENTS" || !strings.Contains(fmt.Sprint(m.Metadata["sql"]), `"`+database+`"."HACKER_NEWS"."ITEMS"`) {
		t.Errorf("comments materialization %+v", m)
	}

	// The Go asset alone loads the SQL asset's stored table.
	p.received = nil
	if err := p.run(t, "comment_stats").Err(); err != nil {
		t.Fatal(err)
	}
	if len(p.received) != int(n) {
		t.Errorf("comment_stats alone received %d rows, want %d", len(p.received), n)
	}
}

// testFailedQueryKeepsTable runs comments, then a broken comments: the step
// fails and the table still holds the first result.
func testFailedQueryKeepsTable(t *testing.T, w warehouse.Warehouse, database string) {
	p := &project{w: w, database: database, comments: commentsSQL}
	if err := p.run(t, "items,comments").Err(); err != nil {
		t.Fatal(err)
	}
	before := p.rows(t, "comments")
	p.comments = `SELECT CAST("type" AS BIGINT) AS "id", "score" FROM {{ ref "items" }}`
	res := p.run(t, "comments")
	var rf *engine.RunFailedError
	if err := res.Err(); !errors.As(err, &rf) || res.Steps[0].Status != engine.StepFailure {
		t.Fatalf("the broken query: %v", err)
	}
	if got := p.rows(t, "comments"); fmt.Sprint(got) != fmt.Sprint(before) || len(before) == 0 {
		t.Errorf("after a failed query COMMENTS holds %v, want %v", got, before)
	}
}
