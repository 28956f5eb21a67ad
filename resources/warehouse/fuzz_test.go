package warehouse_test

import (
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// FuzzIdentifiers: a name CheckIdent accepts quotes to exactly one quoted
// identifier, with no quote, dot, space or semicolon inside; a PR id CheckPRID
// accepts is digits only.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"PRODUCTION", "PRODUCTION_CLONE_42", `x"; DROP DATABASE PRODUCTION; --`, "../etc", "a.b",
		"", "1abc", "_x$", "ü", "a\x00b", "42", "-1", "4 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if warehouse.CheckIdent("database", name) == nil {
			q := warehouse.Quote(name)
			inner := q[1 : len(q)-1]
			if strings.ContainsAny(inner, "\"'.; /\\\x00\n") || inner != name {
				t.Errorf("accepted %q quotes as %s", name, q)
			}
		}
		if warehouse.CheckPRID(name) == nil {
			if strings.Trim(name, "0123456789") != "" || name == "" {
				t.Errorf("PR id %q accepted", name)
			}
			clone, err := warehouse.CloneName(name)
			if err != nil || warehouse.CheckIdent("database", clone) != nil {
				t.Errorf("clone name of %q: %q (%v)", name, clone, err)
			}
		}
	})
}
