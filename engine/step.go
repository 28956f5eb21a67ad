package engine

// Upstreams returns each node of the plan with the nodes of the plan it waits
// for: its inputs' nodes, and for an asset's children its blocking checks. A
// node runs once all of them succeeded, and is skipped if one did not.
func (p *Plan) Upstreams() map[string][]string {
	out := make(map[string][]string, len(p.nodes))
	for _, n := range p.nodes {
		out[n.name] = []string{}
	}
	for _, n := range p.nodes {
		for _, c := range n.children {
			child := p.nodes[c].name
			out[child] = append(out[child], n.name)
		}
	}
	return out
}

// Step returns a plan of one node of p, to run apart from the others (on
// another worker, in another process): what it would take from an upstream
// in this run is loaded through that upstream's I/O manager instead, so the
// warehouse is the only data path between steps. A node that takes an op's
// output cannot run apart, since op outputs live only in memory; Step refuses
// it, as StepsCanRunApart does for the whole plan.
func (p *Plan) Step(name string) (*Plan, error) {
	for _, pn := range p.nodes {
		if pn.name != name {
			continue
		}
		one := *pn
		one.children, one.nUp = nil, 0
		one.inputs = make([]planInput, len(pn.inputs))
		for k, in := range pn.inputs {
			if in.upstream >= 0 {
				up := p.nodes[in.upstream]
				if up.kind != KindAsset && !in.nothing {
					return nil, Usagef("%s %s takes the output of %s %s, which lives only in memory: its steps cannot run on separate workers; queue the run whole",
						pn.kind, pn.name, up.kind, up.name)
				}
				in.upstream, in.ioManager = -1, up.ioManager
			}
			one.inputs[k] = in
		}
		return &Plan{Name: p.Name, nodes: []*planNode{&one}, resources: p.resources}, nil
	}
	return nil, Usagef("step %s is not part of this run (%s): the definitions changed since it was queued", name, p.Name)
}

// StepsCanRunApart reports, as an error naming the first one, a node of the
// plan that takes an op's output and so cannot run apart from it (see Step).
func (p *Plan) StepsCanRunApart() error {
	for _, pn := range p.nodes {
		if _, err := p.Step(pn.name); err != nil {
			return err
		}
	}
	return nil
}
