// Package engine is assetflow's core: definitions of assets, ops, graphs, jobs and
// resources; their validation into a Catalog whose graphs are checked with gonum; a
// Plan for one run; and a Runner that executes a plan concurrently, each node as soon
// as its own upstreams have succeeded, emitting structured events.
//
// The flow is definitions -> validated catalog -> plan -> run. A Catalog exists only
// if every definition is valid, and a Plan only if its selection and run config are.
//
// User code (assets, ops, resources) is written against this package's public API.
// The engine imports none of it.
package engine
