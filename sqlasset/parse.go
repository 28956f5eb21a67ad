package sqlasset

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template/parse"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// Query is a SQL asset's SELECT, parsed: the text between references and the
// upstream asset each reference names. It is the value a SQL asset's Compute
// returns; the warehouse I/O manager resolves and runs it (warehouse.Query).
type Query struct {
	asset string
	parts []part
	refs  []string
}

// part is a piece of the text, or a reference when ref is set.
type part struct {
	text string
	ref  string
}

var assetName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse reads a SQL asset's text. References are text/template actions of the
// one form {{ ref "asset" }}; any other action, a name that is not an asset
// name, or a syntax error is an *Error naming the asset.
func Parse(asset, sql string) (*Query, error) {
	if strings.TrimSpace(sql) == "" {
		return nil, &Error{Asset: asset, Reason: "the SQL is empty: expected a SELECT"}
	}
	trees, err := parse.Parse(asset, sql, "{{", "}}", map[string]any{"ref": true})
	if err != nil {
		return nil, &Error{Asset: asset, Reason: strings.TrimPrefix(err.Error(), "template: "), Cause: err}
	}
	q := &Query{asset: asset}
	for _, n := range trees[asset].Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			q.parts = append(q.parts, part{text: string(n.Text)})
		case *parse.CommentNode:
		case *parse.ActionNode:
			name, err := refOf(asset, n)
			if err != nil {
				return nil, err
			}
			q.parts = append(q.parts, part{ref: name})
			if !slices.Contains(q.refs, name) {
				q.refs = append(q.refs, name)
			}
		default:
			return nil, &Error{Asset: asset, Ref: n.String(), Reason: `only {{ ref "asset" }} may stand in a SQL asset's text`}
		}
	}
	return q, nil
}

// refOf checks that an action is {{ ref "name" }} with a valid asset name.
func refOf(asset string, n *parse.ActionNode) (string, error) {
	bad := &Error{Asset: asset, Ref: n.String(), Reason: `expected {{ ref "asset" }}, with the upstream asset's name in double quotes`}
	if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 {
		return "", bad
	}
	args := n.Pipe.Cmds[0].Args
	if len(args) != 2 {
		return "", bad
	}
	if id, ok := args[0].(*parse.IdentifierNode); !ok || id.Ident != "ref" {
		return "", bad
	}
	s, ok := args[1].(*parse.StringNode)
	if !ok {
		return "", bad
	}
	if !assetName.MatchString(s.Text) {
		return "", &Error{Asset: asset, Ref: n.String(), Reason: fmt.Sprintf("%q is not an asset name: expected letters, digits and _, not starting with a digit", s.Text)}
	}
	return s.Text, nil
}

// Asset returns the name of the asset the query belongs to.
func (q *Query) Asset() string { return q.asset }

// Refs returns the upstream assets the query references, once each, in the
// order they first appear. They are the SQL asset's dependencies.
func (q *Query) Refs() []string { return slices.Clone(q.refs) }

// Resolve returns the SQL with each reference replaced by the quoted, fully
// qualified table that table names for it. Each part of every name is
// validated; nothing is pasted raw.
func (q *Query) Resolve(table func(asset string) warehouse.TableRef) (string, error) {
	var b strings.Builder
	for _, p := range q.parts {
		if p.ref == "" {
			b.WriteString(p.text)
			continue
		}
		ref := table(p.ref)
		if err := ref.Check(); err != nil {
			return "", &Error{Asset: q.asset, Ref: fmt.Sprintf("{{ ref %q }}", p.ref), Reason: "its table: " + err.Error(), Cause: err}
		}
		b.WriteString(ref.Quoted())
	}
	return strings.TrimSpace(b.String()), nil
}

// ComputedByIOManager marks the query as work the warehouse I/O manager does:
// downstream assets receive the table it wrote, loaded back.
func (*Query) ComputedByIOManager() {}

var _ warehouse.Query = (*Query)(nil)
