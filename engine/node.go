package engine

import "time"

// NodeKind tells an asset from an op.
type NodeKind string

// Node kinds.
const (
	KindAsset NodeKind = "asset"
	KindOp    NodeKind = "op"
)

// node is the engine's common form of an asset or an invoked op.
type node struct {
	name        string
	kind        NodeKind
	description string
	group       string
	ins         []input // data and ordering inputs, in declaration order
	resources   []string
	ioManager   string // assets only
	config      ConfigSchema
	retry       RetryPolicy
	timeout     time.Duration
	compute     func(*Context) (any, error)
	plan        func(*Context) ([]string, error)
	codeVersion string   // assets: the user-set (or derived) code version
	checks      []Check  // assets: their checks
	key         []string // assets: the columns that identify a row
}

// input connects a node to one upstream.
type input struct {
	name    string
	from    string // upstream node name
	nothing bool   // ordering only
}

// deps returns the upstream names, one per input.
func (n *node) deps() []string {
	out := make([]string, len(n.ins))
	for i, in := range n.ins {
		out[i] = in.from
	}
	return out
}

func assetNode(a *Asset) *node {
	n := &node{name: a.Name, kind: KindAsset, description: a.Description, group: a.Group,
		resources: a.Resources, ioManager: a.ioManagerKey(), config: a.Config, retry: a.Retry,
		timeout: a.Timeout, compute: a.Compute, plan: a.Plan, codeVersion: a.CodeVersion, checks: a.Checks, key: a.Key}
	for _, d := range a.Deps {
		n.ins = append(n.ins, input{name: d, from: d})
	}
	return n
}

func opNode(inv *Invocation) *node {
	op := &inv.Op
	n := &node{name: op.Name, kind: KindOp, description: op.Description, resources: op.Resources,
		config: op.Config, retry: op.Retry, timeout: op.Timeout, compute: op.Compute, plan: op.Plan}
	for _, in := range op.Ins {
		n.ins = append(n.ins, input{name: in.Name, from: inv.Inputs[in.Name], nothing: in.Nothing})
	}
	return n
}
