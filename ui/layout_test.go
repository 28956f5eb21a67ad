package ui

import (
	"testing"

	"github.com/assetflow/assetflow/engine"
)

func TestLayoutColumnsAreLayersAndGroupsCollapse(t *testing.T) {
	nodes := []engine.NodeView{
		{Name: "items", Group: "hn", Layer: 0},
		{Name: "comments", Group: "hn", Layer: 1, Deps: []string{"items"}},
		{Name: "stories", Group: "hn", Layer: 1, Deps: []string{"items"}},
		{Name: "report", Group: "bi", Layer: 2, Deps: []string{"comments", "stories"}},
	}
	states := map[string]AssetState{"items": {State: StateFresh}, "comments": {State: StateFailed}, "stories": {State: StateNever}, "report": {State: StateNever}}
	open := layout(nodes, states, parseCollapse("none", len(nodes)), nil)
	box := map[string]layoutNode{}
	for _, n := range open.Nodes {
		box[n.Name] = n
	}
	for _, n := range nodes {
		for _, d := range n.Deps {
			if box[d].X >= box[n.Name].X {
				t.Errorf("edge %s -> %s points left: %d >= %d", d, n.Name, box[d].X, box[n.Name].X)
			}
		}
	}
	if box["comments"].Y == box["stories"].Y || len(open.Edges) != 4 {
		t.Errorf("boxes overlap or edges wrong: %+v, %d edges", box, len(open.Edges))
	}
	if box["report"].Y < open.Groups[0].Y+open.Groups[0].H {
		t.Errorf("group bi drawn inside hn's band")
	}
	closed := layout(nodes, states, parseCollapse("hn", len(nodes)), nil)
	if len(closed.Nodes) != 2 || closed.Nodes[0].Name != "group:hn" || closed.Nodes[0].State != StateFailed || closed.Nodes[0].Count != 3 {
		t.Fatalf("collapsed hn: %+v", closed.Nodes)
	}
	if len(closed.Edges) != 1 || closed.Edges[0].From != "group:hn" || closed.Edges[0].To != "report" {
		t.Errorf("edges out of a collapsed group are not merged into one: %+v", closed.Edges)
	}
	if closed.Groups[0].Toggle != "none" || closed.Groups[1].Toggle != "all" {
		t.Errorf("toggles %q %q, want none (expand hn) and all (collapse bi too)", closed.Groups[0].Toggle, closed.Groups[1].Toggle)
	}
	if c := parseCollapse("", collapseAbove+1); !c.has("any") {
		t.Error("a big graph does not start collapsed")
	}
	if c := parseCollapse("", 10); c.has("hn") {
		t.Error("a small graph starts collapsed")
	}
}
