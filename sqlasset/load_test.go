package sqlasset_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/sqlasset"
)

// loadSQL loads a Go asset items and the given SQL assets.
func loadSQL(t *testing.T, assets map[string]string) error {
	t.Helper()
	defs := []engine.Asset{{Name: "items", Compute: func(*engine.Context) (any, error) { return nil, nil }}}
	for name, sql := range assets {
		defs = append(defs, sqlasset.Must(sqlasset.New(name, sql)))
	}
	_, err := engine.Load(engine.Definitions{Env: "test", Assets: defs, Resources: map[string]engine.Resource{
		engine.DefaultIOManager: {Open: func(context.Context, engine.Deps) (any, error) { return nil, nil }}}})
	return err
}

// A reference to an unknown asset is a load-time error naming the asset and
// the reference, with a suggestion.
func TestUnknownRefIsALoadError(t *testing.T) {
	err := loadSQL(t, map[string]string{"comments": `SELECT * FROM {{ ref "itemz" }}`})
	var de *engine.DefinitionError
	if !errors.As(err, &de) || de.Problem != engine.ProblemUnknownDep || de.Subject != "asset comments" || de.Value != "itemz" {
		t.Fatalf("got %v, want an unknown dependency itemz of asset comments", err)
	}
	if !strings.Contains(err.Error(), "items") {
		t.Errorf("no suggestion: %v", err)
	}
}

// A cycle through SQL assets is a load-time error that shows the cycle.
func TestCycleThroughSQLAssetsIsALoadError(t *testing.T) {
	err := loadSQL(t, map[string]string{
		"a": `SELECT * FROM {{ ref "b" }} JOIN {{ ref "items" }} USING (id)`,
		"b": `SELECT * FROM {{ ref "c" }}`,
		"c": `SELECT * FROM {{ ref "a" }}`,
	})
	var de *engine.DefinitionError
	if !errors.As(err, &de) || de.Problem != engine.ProblemCycle {
		t.Fatalf("got %v, want a cycle", err)
	}
	for _, name := range []string{"a", "b", "c"} {
		if !strings.Contains(de.Detail, name) {
			t.Errorf("the cycle %q does not name %s", de.Detail, name)
		}
	}
	// A SQL asset that references itself is a cycle too.
	err = loadSQL(t, map[string]string{"self": `SELECT * FROM {{ ref "self" }}`})
	if !errors.As(err, &de) || de.Problem != engine.ProblemCycle || !strings.Contains(de.Detail, "self -> self") {
		t.Fatalf("self reference: %v", err)
	}
}

// Must panics with the *Error, so a mistake in SQL written in the program
// fails the first test that loads it.
func TestMustPanicsOnBadSQL(t *testing.T) {
	defer func() {
		var se *sqlasset.Error
		if err, _ := recover().(error); !errors.As(err, &se) || se.Asset != "x" {
			t.Errorf("recovered %v", err)
		}
	}()
	sqlasset.Must(sqlasset.New("x", `SELECT {{ .Oops }}`))
	t.Error("no panic")
}

// run graph shows a SQL asset's references as its deps, layered after them.
func TestGraphShowsRefsAsDeps(t *testing.T) {
	p := &project{database: "PRODUCTION_CLONE_42", comments: commentsSQL}
	cat, err := engine.Load(p.definitions(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range cat.Describe().Assets {
		got[a.Name] = strings.Join(a.Deps, ",") + " layer " + string(rune('0'+a.Layer))
	}
	want := map[string]string{"items": " layer 0", "comments": "items layer 1", "comment_stats": "comments layer 2",
		"leaders": "comments,comment_stats layer 3"}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
}
