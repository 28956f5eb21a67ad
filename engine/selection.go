package engine

import (
	"sort"
	"strings"
)

// SelectionHelp documents the asset selection syntax, for --help texts.
const SelectionHelp = `Selection syntax (comma-separated terms, their union):
  items         the asset items
  +items        items and its direct upstreams; ++items two levels up
  *items        items and all its upstreams
  items+        items and its direct downstreams; items++ two levels down
  items*        items and all its downstreams
  *             every asset
  group:NAME    every asset in group NAME`

// SelectionTerm is one parsed term of a selection.
type SelectionTerm struct {
	All   bool   // "*"
	Group string // "group:NAME"
	Name  string // an asset name
	Up    int    // levels of upstreams to add; -1 for all
	Down  int    // levels of downstreams to add; -1 for all
}

// ParseSelection parses the selection syntax described by SelectionHelp. It never
// panics; a malformed term is an error naming it.
func ParseSelection(expr string) ([]SelectionTerm, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, Usagef("empty selection: expected asset names, e.g. NAME or NAME+")
	}
	var terms []SelectionTerm
	for _, raw := range strings.Split(expr, ",") {
		s := strings.TrimSpace(raw)
		switch {
		case s == "":
			return nil, Usagef("selection %q has an empty term", expr)
		case s == "*":
			terms = append(terms, SelectionTerm{All: true})
			continue
		case strings.HasPrefix(s, "group:"):
			g := strings.TrimPrefix(s, "group:")
			if !namePattern.MatchString(g) {
				return nil, Usagef("selection term %q: expected group:NAME", s)
			}
			terms = append(terms, SelectionTerm{Group: g})
			continue
		}
		t := SelectionTerm{}
		body := s
		t.Up, body = countAffix(body, strings.HasPrefix, func(s string) string { return s[1:] })
		t.Down, body = countAffix(body, strings.HasSuffix, func(s string) string { return s[:len(s)-1] })
		if !namePattern.MatchString(body) {
			return nil, Usagef("selection term %q: expected [+|*]NAME[+|*] with NAME of letters, digits and _", s)
		}
		t.Name = body
		terms = append(terms, t)
	}
	return terms, nil
}

// countAffix strips a run of '+' (counted) or one '*' (-1) at one end of s.
func countAffix(s string, has func(string, string) bool, strip func(string) string) (int, string) {
	if has(s, "*") && len(s) > 1 {
		return -1, strip(s)
	}
	n := 0
	for has(s, "+") {
		n++
		s = strip(s)
	}
	return n, s
}

// selectAssets resolves a selection to asset positions in topological order.
func (c *Catalog) selectAssets(expr string) ([]int, error) {
	terms, err := ParseSelection(expr)
	if err != nil {
		return nil, err
	}
	d := c.assets
	chosen := map[int]bool{}
	for _, t := range terms {
		switch {
		case t.All:
			for i := range d.nodes {
				chosen[i] = true
			}
		case t.Group != "":
			found := false
			for i, n := range d.nodes {
				if n.group == t.Group {
					chosen[i] = true
					found = true
				}
			}
			if !found {
				return nil, Usagef("selection: no asset in group %q%s", t.Group, prefixed("; ", didYouMean(t.Group, c.groups())))
			}
		default:
			i, ok := d.index[t.Name]
			if !ok {
				names := make([]string, len(d.nodes))
				for k, n := range d.nodes {
					names[k] = n.name
				}
				return nil, Usagef("selection: unknown asset %q%s", t.Name, prefixed("; ", didYouMean(t.Name, names)))
			}
			chosen[i] = true
			if t.Up != 0 {
				for _, j := range d.ancestors([]int{i}, t.Up) {
					chosen[j] = true
				}
			}
			if t.Down != 0 {
				for _, j := range d.descendants([]int{i}, t.Down) {
					chosen[j] = true
				}
			}
		}
	}
	if len(chosen) == 0 {
		return nil, Usagef("selection %q matches no asset", expr)
	}
	out := make([]int, 0, len(chosen))
	for i := range chosen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out, nil
}

func (c *Catalog) groups() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range c.assets.nodes {
		if n.group != "" && !seen[n.group] {
			seen[n.group] = true
			out = append(out, n.group)
		}
	}
	return out
}

// String renders a term back in selection syntax.
func (t SelectionTerm) String() string {
	switch {
	case t.All:
		return "*"
	case t.Group != "":
		return "group:" + t.Group
	}
	return affix(t.Up) + t.Name + affix(t.Down)
}

func affix(n int) string {
	if n < 0 {
		return "*"
	}
	return strings.Repeat("+", n)
}
