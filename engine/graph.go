package engine

import (
	"errors"
	"sort"
	"strings"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
)

// dag is a validated, acyclic graph of nodes in deterministic topological order:
// among nodes whose upstreams are all placed, the one with the smallest name comes
// first.
type dag struct {
	nodes []*node        // topological order
	index map[string]int // name -> position in nodes
	up    [][]int        // positions of each node's distinct upstreams
	down  [][]int        // positions of each node's distinct downstreams, ascending
}

// buildDAG orders nodes whose dependencies are all known. It returns nil and reports
// each cycle, by path, to errs.
func buildDAG(nodes []*node, subject string, errs *ValidationErrors) *dag {
	byName := make([]*node, len(nodes))
	copy(byName, nodes)
	sort.Slice(byName, func(i, j int) bool { return byName[i].name < byName[j].name })
	id := make(map[string]int64, len(byName))
	for i, n := range byName {
		id[n.name] = int64(i)
	}

	g := simple.NewDirectedGraph()
	for i := range byName {
		g.AddNode(simple.Node(i))
	}
	selfLoops := false
	for _, n := range byName {
		for _, d := range n.deps() {
			if d == n.name {
				errs.add(ProblemCycle, subject, "", n.name+" -> "+n.name)
				selfLoops = true
				continue
			}
			g.SetEdge(simple.Edge{F: simple.Node(id[d]), T: simple.Node(id[n.name])})
		}
	}

	order, err := topo.SortStabilized(g, func(ns []graph.Node) {
		sort.Slice(ns, func(i, j int) bool { return ns[i].ID() < ns[j].ID() })
	})
	var unorderable topo.Unorderable
	if errors.As(err, &unorderable) {
		for _, scc := range unorderable {
			if len(scc) > 1 {
				errs.add(ProblemCycle, subject, "", cyclePath(g, scc, byName))
			}
		}
		return nil
	}
	if selfLoops {
		return nil
	}

	d := &dag{nodes: make([]*node, len(order)), index: make(map[string]int, len(order)),
		up: make([][]int, len(order)), down: make([][]int, len(order))}
	for i, gn := range order {
		n := byName[gn.ID()]
		d.nodes[i] = n
		d.index[n.name] = i
	}
	for i, n := range d.nodes {
		seen := make(map[int]bool, len(n.ins))
		for _, dep := range n.deps() {
			j := d.index[dep]
			if !seen[j] {
				seen[j] = true
				d.up[i] = append(d.up[i], j)
				d.down[j] = append(d.down[j], i)
			}
		}
	}
	return d
}

// cyclePath finds one cycle inside a strongly connected component and writes it as
// "a -> b -> c -> a", starting from the smallest name.
func cyclePath(g *simple.DirectedGraph, scc []graph.Node, byName []*node) string {
	in := make(map[int64]bool, len(scc))
	start := scc[0].ID()
	for _, n := range scc {
		in[n.ID()] = true
		if n.ID() < start {
			start = n.ID()
		}
	}
	// Depth-first search from start, staying inside the component, until an edge
	// leads back to start. One exists because the component is strongly connected.
	path := []int64{start}
	visited := map[int64]bool{start: true}
	var walk func(u int64) bool
	walk = func(u int64) bool {
		succ := graph.NodesOf(g.From(u))
		sort.Slice(succ, func(i, j int) bool { return succ[i].ID() < succ[j].ID() })
		for _, v := range succ {
			switch {
			case v.ID() == start:
				return true
			case in[v.ID()] && !visited[v.ID()]:
				visited[v.ID()] = true
				path = append(path, v.ID())
				if walk(v.ID()) {
					return true
				}
				path = path[:len(path)-1]
			}
		}
		return false
	}
	walk(start)
	names := make([]string, 0, len(path)+1)
	for _, id := range path {
		names = append(names, byName[id].name)
	}
	names = append(names, byName[start].name)
	return strings.Join(names, " -> ")
}

// ancestors returns the positions of every node upstream of the given ones, up to
// depth levels (depth < 0: unlimited).
func (d *dag) ancestors(from []int, depth int) []int { return d.reach(from, depth, d.up) }

// descendants returns the positions of every node downstream of the given ones.
func (d *dag) descendants(from []int, depth int) []int { return d.reach(from, depth, d.down) }

func (d *dag) reach(from []int, depth int, edges [][]int) []int {
	seen := make(map[int]bool)
	frontier := from
	for level := 0; len(frontier) > 0 && (depth < 0 || level < depth); level++ {
		var next []int
		for _, i := range frontier {
			for _, j := range edges[i] {
				if !seen[j] {
					seen[j] = true
					next = append(next, j)
				}
			}
		}
		frontier = next
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// layers groups node positions by longest distance from a root, for rendering.
func (d *dag) layers() [][]int {
	depth := make([]int, len(d.nodes))
	maxDepth := 0
	for i := range d.nodes {
		for _, u := range d.up[i] {
			if depth[u]+1 > depth[i] {
				depth[i] = depth[u] + 1
			}
		}
		if depth[i] > maxDepth {
			maxDepth = depth[i]
		}
	}
	out := make([][]int, maxDepth+1)
	if len(d.nodes) == 0 {
		return nil
	}
	for i := range d.nodes {
		out[depth[i]] = append(out[depth[i]], i)
	}
	return out
}
