package engine

import (
	"regexp"
	"sort"
	"strings"
)

// Definitions gathers a code base's assets and jobs with the resources bound in the
// current environment, like Dagster's Definitions(assets=..., resources=..., jobs=...).
type Definitions struct {
	Env       string // environment name: local, branch, prod
	Assets    []Asset
	Jobs      []Job
	Resources map[string]Resource
	Schedules []Schedule // runs queued on a timetable by the workers of a PostgreSQL instance
}

// Catalog is a validated set of definitions: names are unique, every dependency,
// op and resource key is known, graphs are acyclic and config defaults are valid.
type Catalog struct {
	env       string
	assets    *dag
	jobs      map[string]*catalogJob
	jobNames  []string
	resources map[string]Resource
	schedules []Schedule
}

type catalogJob struct {
	job Job
	ops *dag  // for graph jobs
	sel []int // for asset jobs: asset positions
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Load validates definitions before any resource opens and reports every problem
// at once as *ValidationErrors.
func Load(defs Definitions) (*Catalog, error) {
	errs := &ValidationErrors{}
	c := &Catalog{env: defs.Env, jobs: map[string]*catalogJob{}, resources: defs.Resources}
	if c.resources == nil {
		c.resources = map[string]Resource{}
	}
	checkResources(c.resources, errs)

	nodes := make([]*node, 0, len(defs.Assets))
	for i := range defs.Assets {
		nodes = append(nodes, assetNode(&defs.Assets[i]))
	}
	checkAssetChecks(defs.Assets, errs)
	if checkNodes(nodes, "asset", c.resources, errs) {
		c.assets = buildDAG(nodes, "asset graph", errs)
	}

	for i := range defs.Jobs {
		j := defs.Jobs[i]
		subject := "job " + j.Name
		if !namePattern.MatchString(j.Name) {
			errs.add(ProblemInvalidName, "job", j.Name, "expected letters, digits and _")
			continue
		}
		if _, dup := c.jobs[j.Name]; dup {
			errs.add(ProblemDuplicateName, subject, j.Name, "")
			continue
		}
		cj := &catalogJob{job: j}
		c.jobs[j.Name] = cj
		c.jobNames = append(c.jobNames, j.Name)
		switch {
		case j.Graph != nil:
			bound := c.resources
			if !j.availableIn(c.env) {
				bound = nil // its resources are bound only where it exists
			}
			ops := make([]*node, 0, len(j.Graph.Ops))
			for k := range j.Graph.Ops {
				ops = append(ops, opNode(&j.Graph.Ops[k]))
			}
			if checkInvocations(j.Graph, subject, errs) && checkNodes(ops, subject+": op", bound, errs) {
				cj.ops = buildDAG(ops, subject, errs)
			}
		case c.assets != nil:
			sel, err := c.selectAssets(j.Selection)
			if err != nil {
				errs.add(ProblemUnknownAsset, subject, j.Selection, err.Error())
			}
			cj.sel = sel
		}
	}
	sort.Strings(c.jobNames)
	c.checkSchedules(defs.Schedules, errs)
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkResources checks each resource's requirements are bound and acyclic.
func checkResources(res map[string]Resource, errs *ValidationErrors) {
	keys := sortedKeys(res)
	for _, k := range keys {
		if res[k].Open == nil {
			errs.add(ProblemMissingCompute, "resource "+k, "", "Open is nil")
		}
		for _, r := range res[k].Requires {
			if _, ok := res[r]; !ok {
				errs.add(ProblemUnboundResource, "resource "+k, r, didYouMean(r, keys))
			}
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		if state[k] == 2 {
			return
		}
		if state[k] == 1 {
			i := indexOf(stack, k)
			errs.add(ProblemCycle, "resources", "", strings.Join(append(stack[i:], k), " -> "))
			return
		}
		state[k] = 1
		stack = append(stack, k)
		for _, r := range res[k].Requires {
			if _, ok := res[r]; ok {
				visit(r)
			}
		}
		stack = stack[:len(stack)-1]
		state[k] = 2
	}
	for _, k := range keys {
		visit(k)
	}
}

// checkNodes validates names, uniqueness, dependencies, resources and config
// defaults. It reports whether the nodes can be put in a graph.
func checkNodes(nodes []*node, what string, bound map[string]Resource, errs *ValidationErrors) bool {
	before := len(errs.Errs)
	seen := make(map[string]bool, len(nodes))
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		switch {
		case !namePattern.MatchString(n.name):
			errs.add(ProblemInvalidName, what, n.name, "expected letters, digits and _, not starting with a digit")
		case seen[n.name]:
			errs.add(ProblemDuplicateName, what+" "+n.name, n.name, "defined more than once")
		}
		seen[n.name] = true
		names = append(names, n.name)
	}
	resourceKeys := sortedKeys(bound)
	for _, n := range nodes {
		subject := what + " " + n.name
		if n.compute == nil {
			errs.add(ProblemMissingCompute, subject, "", "Compute is nil")
		}
		for _, in := range n.ins {
			if in.from != "" && !seen[in.from] {
				errs.add(ProblemUnknownDep, subject, in.from, didYouMean(in.from, names))
			}
		}
		if bound != nil {
			keys := n.resources
			if n.kind == KindAsset {
				keys = append(append([]string(nil), keys...), n.ioManager)
			}
			for _, k := range keys {
				if _, ok := bound[k]; !ok {
					errs.add(ProblemUnboundResource, subject, k, "not bound in this environment"+
						prefixed("; ", didYouMean(k, resourceKeys)))
				}
			}
		}
		if n.config != nil {
			if _, err := n.config.Decode(nil); err != nil {
				errs.addCause(ProblemConfig, subject, "defaults: ", err)
			}
		}
	}
	return len(errs.Errs) == before
}

// checkInvocations checks that every input mapping names a declared input and an
// op of the graph, and that every input is connected.
func checkInvocations(g *Graph, subject string, errs *ValidationErrors) bool {
	before := len(errs.Errs)
	ops := make([]string, 0, len(g.Ops))
	for _, inv := range g.Ops {
		ops = append(ops, inv.Op.Name)
	}
	for _, inv := range g.Ops {
		declared := map[string]bool{}
		for _, in := range inv.Op.Ins {
			declared[in.Name] = true
			if _, ok := inv.Inputs[in.Name]; !ok {
				errs.add(ProblemUnknownInput, subject+": op "+inv.Op.Name, in.Name, "input is not connected to an upstream op")
			}
		}
		for _, name := range sortedKeys(inv.Inputs) {
			if !declared[name] {
				errs.add(ProblemUnknownInput, subject+": op "+inv.Op.Name, name, "the op declares no such input")
			}
			if from := inv.Inputs[name]; indexOf(ops, from) < 0 {
				errs.add(ProblemUnknownOp, subject+": op "+inv.Op.Name, from, didYouMean(from, ops))
			}
		}
	}
	return len(errs.Errs) == before
}

// Env returns the environment the catalog was loaded for.
func (c *Catalog) Env() string { return c.env }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
