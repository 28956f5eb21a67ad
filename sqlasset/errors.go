package sqlasset

import "fmt"

// Error is a SQL asset whose text cannot be used: a template syntax error, an
// action other than {{ ref "asset" }}, or a reference that is not an asset's
// name. A reference to an asset that does not exist, or a cycle, is reported by
// engine.Load like any other dependency (engine.ProblemUnknownDep,
// engine.ProblemCycle), naming the asset and the reference.
type Error struct {
	Asset  string // the SQL asset
	Ref    string // the offending action as written, if any
	Reason string
	Cause  error // the template parser's error, if any
}

func (e *Error) Error() string {
	if e.Ref != "" {
		return fmt.Sprintf("SQL asset %s: %s: %s", e.Asset, e.Ref, e.Reason)
	}
	return fmt.Sprintf("SQL asset %s: %s", e.Asset, e.Reason)
}

// Unwrap returns the parser's error, if any.
func (e *Error) Unwrap() error { return e.Cause }
