package engine

import (
	"fmt"
)

// Plan is one validated run: the nodes to execute in topological order, their
// decoded config, and how each input is fed. Build it with Catalog.PlanAssets or
// Catalog.PlanJob; execute it with a Runner.
type Plan struct {
	// Name is the job name, or "assets" for an asset selection.
	Name      string
	nodes     []*planNode
	resources map[string]Resource
}

type planNode struct {
	*node
	children []int
	nUp      int // upstreams inside the plan
	inputs   []planInput
	config   any
	version  string // assets: the code version the materialization records
}

// planInput feeds one input: from a node of this plan (upstream >= 0) or, for an
// asset outside the selection or one its I/O manager computed, by loading it
// through its I/O manager.
type planInput struct {
	input
	upstream  int
	ioManager string
}

// PlanAssets plans a run of the selected assets. Upstream assets left out of the
// selection are loaded through their I/O managers.
func (c *Catalog) PlanAssets(selection string, rc RunConfig) (*Plan, error) {
	sel, err := c.selectAssets(selection)
	if err != nil {
		return nil, err
	}
	return c.plan("assets", c.assets, sel, rc)
}

// PlanJob plans a run of the named job in the catalog's environment.
func (c *Catalog) PlanJob(name string, rc RunConfig) (*Plan, error) {
	cj, ok := c.jobs[name]
	if !ok {
		return nil, Usagef("unknown job %q%s", name, prefixed("; ", didYouMean(name, c.jobNames)))
	}
	if !cj.job.availableIn(c.env) {
		return nil, &JobUnavailableError{Job: name, Env: c.env, Envs: cj.job.Envs}
	}
	if cj.ops != nil {
		all := make([]int, len(cj.ops.nodes))
		for i := range all {
			all[i] = i
		}
		return c.plan(name, cj.ops, all, rc)
	}
	return c.plan(name, c.assets, cj.sel, rc)
}

// maxListed is how many unknown names an error lists before "and N more".
const maxListed = 5

// plan builds a plan of the given positions of d, all of whose upstreams precede
// them, and decodes their config.
func (c *Catalog) plan(name string, d *dag, positions []int, rc RunConfig) (*Plan, error) {
	p := &Plan{Name: name, nodes: make([]*planNode, len(positions)), resources: c.resources}
	at := make(map[int]int, len(positions)) // dag position -> plan position
	for k, i := range positions {
		at[i] = k
	}
	errs := &ValidationErrors{}
	for k, i := range positions {
		n := d.nodes[i]
		pn := &planNode{node: n}
		for _, in := range n.ins {
			pi := planInput{input: in, upstream: -1, ioManager: d.nodes[d.index[in.from]].ioManager}
			if up, ok := at[d.index[in.from]]; ok {
				pi.upstream = up
			}
			pn.inputs = append(pn.inputs, pi)
		}
		for _, u := range d.up[i] {
			if up, ok := at[u]; ok {
				pn.nUp++
				p.nodes[up].children = append(p.nodes[up].children, k)
			}
		}
		if n.config != nil {
			cfg, err := n.config.Decode(rc[n.name])
			if err != nil {
				errs.addCause(ProblemConfig, string(n.kind)+" "+n.name, "", err)
			}
			pn.config = cfg
		} else if len(rc[n.name]) > 0 {
			errs.add(ProblemConfig, string(n.kind)+" "+n.name, "", "this node takes no config")
		}
		p.nodes[k] = pn
	}
	var unknown []string
	for _, key := range sortedKeys(rc) {
		if _, ok := d.index[key]; !ok {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		names := make([]string, len(d.nodes))
		for i, n := range d.nodes {
			names[i] = n.name
		}
		// A few names are useful; thousands make an error nobody reads.
		for _, key := range unknown[:min(len(unknown), maxListed)] {
			errs.add(ProblemConfig, "run config", key, "no such node"+prefixed("; ", didYouMean(key, names)))
		}
		if more := len(unknown) - maxListed; more > 0 {
			errs.add(ProblemConfig, "run config", "", fmt.Sprintf("and %d more unknown node names", more))
		}
	}
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	p.finish()
	return p, nil
}

// Nodes returns the plan's node names in execution order.
func (p *Plan) Nodes() []string {
	out := make([]string, len(p.nodes))
	for i, n := range p.nodes {
		out[i] = n.name
	}
	return out
}

// Resources returns the sorted resource keys the plan's nodes may open.
func (p *Plan) Resources() []string {
	seen := map[string]bool{}
	var visit func(k string)
	visit = func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		for _, r := range p.resources[k].Requires {
			visit(r)
		}
	}
	for _, n := range p.nodes {
		for _, r := range n.resources {
			visit(r)
		}
		if n.kind == KindAsset {
			visit(n.ioManager)
			for _, in := range n.inputs {
				if in.upstream < 0 {
					visit(in.ioManager)
				}
			}
		}
	}
	return sortedKeys(seen)
}

// DryRun asks each node with a Plan function what it would do, without running
// anything or opening a resource. It returns one entry per node, in order.
func (p *Plan) DryRun(runID string) ([]DryRunStep, error) {
	out := make([]DryRunStep, 0, len(p.nodes))
	for _, n := range p.nodes {
		step := DryRunStep{Node: n.name}
		if n.plan != nil {
			ctx := &Context{Node: n.name, RunID: runID, config: n.config, resources: newResourceSet(p.resources)}
			stmts, err := n.plan(ctx)
			if err != nil {
				return nil, fmt.Errorf("plan %s: %w", n.name, err)
			}
			step.Actions = stmts
		}
		out = append(out, step)
	}
	return out, nil
}

// DryRunStep is what one node of a plan would do.
type DryRunStep struct {
	Node    string
	Actions []string
}

// PlanJobNodes plans a run of only the named ops of a job, as a re-execution
// from failure does. An op that takes data from an op left out is refused: op
// outputs live only in memory, within one run.
func (c *Catalog) PlanJobNodes(name string, nodes []string, rc RunConfig) (*Plan, error) {
	cj, ok := c.jobs[name]
	if !ok {
		return nil, Usagef("unknown job %q%s", name, prefixed("; ", didYouMean(name, c.jobNames)))
	}
	if !cj.job.availableIn(c.env) {
		return nil, &JobUnavailableError{Job: name, Env: c.env, Envs: cj.job.Envs}
	}
	d := cj.ops
	if d == nil {
		d = c.assets
	}
	keep := map[int]bool{}
	for _, n := range nodes {
		if asset, _, isCheck := SplitCheckNode(n); isCheck && cj.ops == nil {
			n = asset // a check runs again with its asset
		}
		i, ok := d.index[n]
		if !ok {
			return nil, Usagef("step %s no longer exists in job %s: the definitions changed since that run", n, name)
		}
		keep[i] = true
	}
	positions := make([]int, 0, len(keep))
	for i := range d.nodes {
		if keep[i] {
			positions = append(positions, i)
		}
	}
	if cj.ops != nil {
		for _, i := range positions {
			for _, in := range d.nodes[i].ins {
				if !in.nothing && !keep[d.index[in.from]] {
					return nil, Usagef("op %s needs the output of %s, which would not run again; re-run the whole job", d.nodes[i].name, in.from)
				}
			}
		}
	}
	return c.plan(name, d, positions, rc)
}

// HasAsset reports whether an asset of that name is defined.
func (c *Catalog) HasAsset(name string) bool {
	_, ok := c.assets.index[name]
	return ok
}
