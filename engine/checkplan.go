package engine

// finish completes a plan: each asset node gets the code version its
// materialization records, and its checks are inserted right after it, one node
// per check. A blocking (ERROR) check becomes an upstream of the asset's
// children, so when it fails they are skipped like after a failed asset.
func (p *Plan) finish() {
	var nodes []*planNode
	at := make([]int, len(p.nodes)) // old position -> new position
	for i, pn := range p.nodes {
		at[i] = len(nodes)
		nodes = append(nodes, pn)
		if pn.kind != KindAsset {
			continue
		}
		pn.version = DeriveCodeVersion(pn.codeVersion, pn.config)
		for _, c := range pn.checks {
			cn := &planNode{node: checkNode(pn.node, c), nUp: 1}
			cn.inputs = []planInput{{input: cn.ins[0], upstream: at[i]}}
			nodes = append(nodes, cn)
		}
	}
	if len(nodes) == len(p.nodes) {
		return
	}
	for i, pn := range p.nodes {
		for k := range pn.inputs {
			if up := pn.inputs[k].upstream; up >= 0 {
				pn.inputs[k].upstream = at[up]
			}
		}
		children := make([]int, len(pn.children))
		for k, c := range pn.children {
			children[k] = at[c]
		}
		pn.children = children
		if pn.kind != KindAsset {
			continue
		}
		for k, c := range pn.checks {
			q := at[i] + 1 + k
			pn.children = append(pn.children, q)
			if c.severity() != SeverityError {
				continue
			}
			nodes[q].children = append([]int(nil), children...)
			for _, child := range children {
				nodes[child].nUp++
			}
		}
	}
	p.nodes = nodes
}

// PlanChecks plans a run of the selected assets' checks alone, against their
// tables as they are: each check loads its asset through the I/O manager when
// it needs the value.
func (c *Catalog) PlanChecks(selection string) (*Plan, error) {
	sel, err := c.selectAssets(selection)
	if err != nil {
		return nil, err
	}
	p := &Plan{Name: "checks", resources: c.resources}
	for _, i := range sel {
		a := c.assets.nodes[i]
		for _, ch := range a.checks {
			cn := &planNode{node: checkNode(a, ch)}
			cn.inputs = []planInput{{input: cn.ins[0], upstream: -1, ioManager: a.ioManager}}
			p.nodes = append(p.nodes, cn)
		}
	}
	if len(p.nodes) == 0 {
		return nil, Usagef("no asset in selection %q has checks", selection)
	}
	return p, nil
}
