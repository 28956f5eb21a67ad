package engine

// GraphView describes a catalog for inspection: its assets in topological order,
// its jobs, and the resources bound in its environment. It is the model behind
// `run graph` in every format, and its JSON form is a stable interface.
type GraphView struct {
	Env       string         `json:"environment"`
	Assets    []NodeView     `json:"assets"`
	Jobs      []JobView      `json:"jobs"`
	Resources []ResourceView `json:"resources"`
}

// NodeView describes one asset or op.
type NodeView struct {
	Name        string        `json:"name"`
	Kind        NodeKind      `json:"kind"`
	Description string        `json:"description,omitempty"`
	Group       string        `json:"group,omitempty"`
	Deps        []string      `json:"deps"`
	Layer       int           `json:"layer"` // longest distance from a root
	Resources   []string      `json:"resources"`
	IOManager   string        `json:"io_manager,omitempty"`
	Config      []ConfigField `json:"config"`
	Status      *AssetStatus  `json:"status,omitempty"` // with run graph --status only
}

// JobView describes one job.
type JobView struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Envs        []string   `json:"environments,omitempty"` // empty: every environment
	Available   bool       `json:"available"`              // defined in this environment
	Selection   string     `json:"selection,omitempty"`    // asset jobs
	Ops         []NodeView `json:"ops,omitempty"`          // op jobs, in execution order
}

// ResourceView describes one bound resource; secrets are shown as ***.
type ResourceView struct {
	Key         string            `json:"key"`
	Description string            `json:"description,omitempty"`
	Requires    []string          `json:"requires,omitempty"`
	Settings    map[string]string `json:"settings"`
}

// Describe returns the catalog's view.
func (c *Catalog) Describe() GraphView {
	v := GraphView{Env: c.env, Assets: describeDAG(c.assets, nil), Jobs: []JobView{}, Resources: []ResourceView{}}
	for _, name := range c.jobNames {
		cj := c.jobs[name]
		jv := JobView{Name: name, Description: cj.job.Description, Envs: cj.job.Envs, Available: cj.job.availableIn(c.env),
			Selection: cj.job.Selection}
		if cj.ops != nil {
			jv.Ops = describeDAG(cj.ops, nil)
		}
		v.Jobs = append(v.Jobs, jv)
	}
	for _, key := range sortedKeys(c.resources) {
		r := c.resources[key]
		rv := ResourceView{Key: key, Description: r.Description, Requires: r.Requires, Settings: map[string]string{}}
		for _, s := range r.Settings {
			rv.Settings[s.Name] = s.Shown()
		}
		v.Resources = append(v.Resources, rv)
	}
	return v
}

// DescribeSelection returns the view restricted to the selected assets; their
// deps outside the selection are kept as names.
func (c *Catalog) DescribeSelection(selection string) (GraphView, error) {
	sel, err := c.selectAssets(selection)
	if err != nil {
		return GraphView{}, err
	}
	keep := make(map[int]bool, len(sel))
	for _, i := range sel {
		keep[i] = true
	}
	v := c.Describe()
	v.Assets = describeDAG(c.assets, keep)
	return v, nil
}

// DescribeJob returns the view of one job only.
func (c *Catalog) DescribeJob(name string) (GraphView, error) {
	cj, ok := c.jobs[name]
	if !ok {
		return GraphView{}, Usagef("unknown job %q%s", name, prefixed("; ", didYouMean(name, c.jobNames)))
	}
	v := c.Describe()
	for _, j := range v.Jobs {
		if j.Name == name {
			v.Jobs = []JobView{j}
		}
	}
	v.Assets = []NodeView{}
	if cj.ops == nil {
		keep := map[int]bool{}
		for _, i := range cj.sel {
			keep[i] = true
		}
		v.Assets = describeDAG(c.assets, keep)
	}
	return v, nil
}

func describeDAG(d *dag, keep map[int]bool) []NodeView {
	if d == nil {
		return []NodeView{}
	}
	layer := make([]int, len(d.nodes))
	for l, positions := range d.layers() {
		for _, i := range positions {
			layer[i] = l
		}
	}
	out := []NodeView{}
	for i, n := range d.nodes {
		if keep != nil && !keep[i] {
			continue
		}
		nv := NodeView{Name: n.name, Kind: n.kind, Description: n.description, Group: n.group, Deps: n.deps(),
			Layer: layer[i], Resources: append([]string{}, n.resources...), Config: []ConfigField{}}
		if n.kind == KindAsset {
			nv.IOManager = n.ioManager
		}
		if n.config != nil {
			nv.Config = n.config.Fields()
		}
		out = append(out, nv)
	}
	return out
}
